"""长辈模式 (大字版, issue 12 item 2) in real Chromium posing as WeChat's browser on a phone: one tap at the top of
the poster's report page turns it on; then body text is at least 18 px, every target at least 48×48, text at 7:1
or more (axe's AAA contrast rule), and the report form shows what is essential first with the rest folded below.
The resident reports, and the mode is still on for the receipt, /r/status and the other public pages. It works
without JavaScript too."""
import io

import pytest
from PIL import Image

from domain.public import posters
from models import db
from tests.browser.axe import axe_violations, describe
from tests.browser.phone import overflow, shot, small_tap_targets
from tests.conftest import COMMUNITY, PHONE, WECHAT_UA

# What is measured here (sizes, layout, CSS, ARIA, CSP) is the markup, the same over either database: run once.
pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]

MIN_TEXT = 18  # CSS px
MIN_TARGET = 48  # CSS px
AAA_CONTRAST = ["color-contrast-enhanced"]  # axe's rule for WCAG 1.4.6: 7:1 (4.5:1 for large text)

# Every visible piece of text and the size it is drawn at; text inside form controls and option lists included.
TEXT_SIZES = """() => {
  const sizes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, element = node.parentElement;
    if (!node.textContent.trim() || !element || element.closest('.hp, .sr-only, option, script')) continue;
    if (!element.getClientRects().length || getComputedStyle(element).visibility === 'hidden') continue;
    sizes.push([node.textContent.trim().slice(0, 20), parseFloat(getComputedStyle(element).fontSize)]);
  }
  for (const control of document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]), select, textarea, button')) {
    if (control.closest('.hp') || !control.getClientRects().length) continue;
    sizes.push([control.name || control.id || control.tagName, parseFloat(getComputedStyle(control).fontSize)]);
  }
  return sizes;
}"""


def photo():
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 60, 40)).save(out, "JPEG")
    return out.getvalue()


def is_large(page):
    return "large" in (page.locator("html").get_attribute("class") or "")


def body_text_px(page):
    return page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")


def check_large_page(page, where):
    """What 长辈模式 promises, measured on the page as drawn."""
    assert is_large(page), f"{where}: 长辈模式 is off"
    assert body_text_px(page) >= MIN_TEXT, (where, body_text_px(page))
    small_text = [(text, px) for text, px in page.evaluate(TEXT_SIZES) if px < MIN_TEXT]
    assert not small_text, (where, small_text)
    assert not small_tap_targets(page, MIN_TARGET), (where, small_tap_targets(page, MIN_TARGET))
    assert overflow(page) <= 0, f"{where} is wider than the screen"
    contrast = axe_violations(page, rules=AAA_CONTRAST)
    assert not contrast, "\n".join(describe(where, contrast))


@pytest.fixture
def poster(live_server, live_world):
    with live_server.app.app_context():
        made = posters.create_poster(None, COMMUNITY, "3号楼门厅")
        db.close()
    return made


def test_large_mode_from_the_poster_page_to_the_receipt_in_wechat(live_server, poster, browser):
    context = browser.new_context(**{**PHONE, "user_agent": WECHAT_UA}, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/r/{poster.code}")
    assert not is_large(page)
    # One tap from the top: the switch is the first thing on the page that can be tapped.
    first = page.evaluate("document.querySelector('a[href], button, input, select, textarea').textContent.trim()")
    assert first == "长辈模式"
    page.locator("header").get_by_role("link", name="长辈模式").tap()
    page.wait_for_url(f"**/r/{poster.code}")
    check_large_page(page, f"/r/{poster.code}")
    shot(page, "large-1-form")

    # What is essential first: what happened, 情况描述, 照片, 提交; the rest folded below, closed.
    shown = page.evaluate("""() => [...document.querySelectorAll('form input:not([type=hidden]), form textarea, form select, form button, form summary')]
      .filter(el => el.checkVisibility() && !el.closest('.hp'))
      .map(el => el.tagName === 'SUMMARY' ? 'summary' : (el.name || el.tagName.toLowerCase()))""")
    assert shown == ["kinds"] * 6 + ["description", "photos", "button", "summary"], shown
    folded = page.locator("details.more")
    assert not folded.evaluate("details => details.open")
    assert folded.locator("#amount").count() == 1 and not page.get_by_label("涉及金额（元）").is_visible()
    page.get_by_text("补充更多情况（可不填）").tap()
    assert page.get_by_label("涉及金额（元）").is_visible()
    check_large_page(page, f"/r/{poster.code} with more opened")

    page.get_by_label("上门收费").check()
    page.get_by_label("情况描述").fill("两个人自称消防员上门，讲了十分钟就要每户交200元")
    page.get_by_label("涉及金额（元）").fill("200")
    page.get_by_label("照片").set_input_files({"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo()})
    page.get_by_role("button", name="提交举报").first.tap()
    page.wait_for_url("**/r/status?**")
    assert page.get_by_text("已收到您的举报").is_visible()
    check_large_page(page, "the receipt")
    assert page.evaluate("document.activeElement.classList.contains('receipt-number')")
    shot(page, "large-2-receipt")
    number = page.locator("#report-number").inner_text().strip()

    # Remembered: /r/status and every other public page are in 长辈模式 too, until the resident turns it off.
    for path in ("/r/status", f"/r/status?number={number}", "/r/status?number=X-NOPE", "/check", "/check?q=上海",
                 "/r/guide", "/exposed", "/r/NOPE42", "/r"):
        page.goto(live_server.url + path)
        check_large_page(page, path)
    shot(page, "large-3-general-form")
    page.locator("header").get_by_role("link", name="退出长辈模式").tap()
    page.wait_for_url("**/r")
    assert not is_large(page) and body_text_px(page) < MIN_TEXT
    context.close()


def test_large_mode_works_without_javascript(live_server, poster, browser):
    context = browser.new_context(**{**PHONE, "user_agent": WECHAT_UA}, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/r/{poster.code}")
    page.get_by_role("link", name="长辈模式").click()
    page.wait_for_url(f"**/r/{poster.code}")
    assert is_large(page)
    page.get_by_text("补充更多情况（可不填）").click()  # <details>: no script needed to open it
    page.get_by_label("对方电话").fill("13900002222")
    page.get_by_label("推销产品").check()
    page.get_by_label("情况描述").fill("培训结束后推销灭火器，每个298元")
    page.get_by_role("button", name="提交举报").first.click()
    page.wait_for_url("**/r/status?**")
    assert is_large(page)
    page.goto(f"{live_server.url}/r/status")
    assert is_large(page)
    context.close()
