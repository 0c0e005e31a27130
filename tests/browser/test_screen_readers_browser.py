"""Screen readers in real Chromium (issue 12 items 3 and 4).

The resident: a report sent with a mistake comes back with the focus on the field in error, which names its
message; a report received puts the focus on the 编号 and reads in order. With or without JavaScript.

The 居委 worker, at the normal size: each one-tap button names its unit and the focus stays in the unit's row when
the row is redrawn; what happens to a record is said once through live regions — sent, refused, or waiting for a
signal — and never again on the sync line's redraws; the red flags of the record form are said when they change,
not at every redraw, and a field's inline message is said once and marks the field wrong until it is put right.
"""
import pytest
from playwright.sync_api import expect

from domain.public import posters
from models import db
from tests.browser.test_offline_browser import building, evaluate_soon, server, tap  # noqa: F401 (fixtures)
from tests.conftest import COMMUNITY, PHONE, WECHAT_UA, log_in

# What is measured here (sizes, layout, CSS, ARIA, CSP) is the markup, the same over either database: run once.
pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]


@pytest.fixture
def poster(live_server, live_world):
    with live_server.app.app_context():
        made = posters.create_poster(None, COMMUNITY, "3号楼门厅")
        db.close()
    return made


@pytest.mark.parametrize("javascript", [True, False], ids=["with JavaScript", "without JavaScript"])
@pytest.mark.parametrize("large", [False, True], ids=["normal", "长辈模式"])
def test_a_report_with_a_mistake_puts_the_focus_on_the_field_that_names_it(live_server, poster, browser,
                                                                            javascript, large):
    context = browser.new_context(**{**PHONE, "user_agent": WECHAT_UA}, locale="zh-CN", java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_server.url}/r/{poster.code}")
    if large:
        page.get_by_role("link", name="长辈模式").click()
        page.get_by_text("补充更多情况（可不填）").click()
    page.get_by_label("推销产品").check()
    page.get_by_label("情况描述").fill("培训结束后推销灭火器")
    page.get_by_label("涉及金额（元）").fill("两百")
    page.get_by_role("button", name="提交举报").first.click()
    page.wait_for_load_state()

    amount = page.get_by_label("涉及金额（元）")
    expect(amount).to_be_focused()
    expect(amount).to_have_accessible_description("金额应为数字，例如 298.00")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_value("两百")
    expect(page.get_by_role("alert")).to_contain_text("请按提示修改后再提交")

    amount.fill("200")
    page.get_by_role("button", name="提交举报").first.click()
    page.wait_for_url("**/r/status?**")
    number = page.locator(".receipt-number")
    expect(number).to_be_focused()
    spelled = " ".join(page.locator("#report-number").inner_text().strip().replace("-", ""))
    receipt = page.locator("section.receipt").aria_snapshot()
    # Read in order: the label, the number spelled out (the one on screen is for the eye), what to do with it,
    # then when it was received, where it stands and what comes next.
    said = [receipt.index(words) for words in ("举报编号", spelled[:11], "请复制或截图保存编号", "收到日期", "当前进度", "接下来")]
    assert said == sorted(said), receipt
    context.close()


HEARD = """() => {
  window.heard = [];
  for (const id of ['announce', 'announce-alert']) {
    const region = document.getElementById(id);
    new MutationObserver(() => { if (region.textContent) window.heard.push([id, region.textContent]); })
      .observe(region, {childList: true, characterData: true, subtree: true});
  }
}"""


def heard(page):
    return page.evaluate("window.heard")


def wait_heard(page, region, words):
    evaluate_soon(page, "([region, words]) => window.heard.some(([r, t]) => r === region && t.includes(words))",
                  [region, words], message=f"{region} never said {words}: {heard(page)}")


def test_the_sync_status_is_said_once_when_a_record_is_sent_or_fails(server, building, phone):  # noqa: F811
    log_in(phone, server.url)
    phone.goto(f"{server.url}/survey/buildings/{building['id']}")
    evaluate_soon(phone, "!document.getElementById('outbox-status').hidden")
    status = phone.locator("#outbox-status")
    assert status.get_attribute("aria-live") is None and status.get_attribute("role") is None  # redrawn: not live
    expect(phone.locator("#announce")).to_have_attribute("role", "status")
    expect(phone.locator("#announce-alert")).to_have_attribute("role", "alert")
    phone.evaluate(HEARD)
    (first, first_address), (second, second_address), (third, third_address), (fourth, _) = building["units"][:4]

    # Each one-tap button names its unit; tapped, the record is sent and said, and the focus stays in the row.
    row = phone.locator(f"#unit-{first}")
    expect(row.get_by_role("button", name="无人在家")).to_have_accessible_description(first_address)
    expect(row.get_by_role("link", name="详细登记")).to_have_accessible_description(first_address)
    phone.evaluate("id => { document.getElementById('unit-' + id).dataset.old = '1'; }", second)
    tap(phone, second, "已排摸·无培训无购买")
    wait_heard(phone, "announce", f"已上传：{second_address} 已排摸")
    evaluate_soon(phone, "id => !document.getElementById('unit-' + id).dataset.old", second,
                  message="the row was not redrawn from the server")
    # The button tapped is gone from the redrawn row (a surveyed unit offers 再次登记 and 更正): the focus is there.
    assert phone.evaluate("id => document.getElementById('unit-' + id).contains(document.activeElement)", second)
    assert phone.evaluate("document.activeElement.textContent.trim()") == "再次登记"

    # Nothing new happens: the sync line is redrawn (立即同步, back online) but nothing more is said.
    count = len(heard(phone))
    status.get_by_role("button", name="立即同步").click()
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    phone.wait_for_timeout(800)
    assert len(heard(phone)) == count, heard(phone)

    # No signal: said once, however often the outbox tries again.
    phone.route("**/api/v1/surveys", lambda route: route.abort("internetdisconnected"))
    tap(phone, third, "拒绝配合")
    wait_heard(phone, "announce", "没有网络")
    for _ in range(2):
        status.get_by_role("button", name="立即同步").click()
        phone.wait_for_timeout(300)
    assert [t for _, t in heard(phone)].count(heard(phone)[-1][1]) == 1, heard(phone)
    phone.unroute("**/api/v1/surveys")
    status.get_by_role("button", name="立即同步").click()
    wait_heard(phone, "announce", f"已上传：{third_address} 拒绝配合")

    # Refused by the server: said at once, as an alert.
    phone.route("**/api/v1/surveys", lambda route: route.fulfill(
        status=422, content_type="application/json", body='{"errors": {"community": "这个居委不在您负责的范围内"}}'))
    tap(phone, fourth, "无人在家")
    wait_heard(phone, "announce-alert", "未能上传：")
    assert "记录需要修改" in heard(phone)[-1][1]
    expect(status).to_contain_text("1 条记录需要修改")


def test_the_flags_preview_is_said_when_it_changes_and_field_messages_once(server, building, phone):  # noqa: F811
    log_in(phone, server.url)
    unit, _ = building["units"][5]
    phone.goto(f"{server.url}/survey/units/{unit}/record")
    assert phone.locator("#flags").get_attribute("aria-live") is None  # redrawn on every change: not live
    phone.evaluate(HEARD)
    phone.get_by_role("button", name="增加一条培训").click()
    fee = phone.get_by_label("收费（元）")
    expect(fee).to_have_accessible_description("")  # names its message, empty for now
    phone.get_by_label("机构名称").fill("上海某某消防培训中心")
    phone.get_by_label("培训方式").select_option("door_to_door")
    fee.fill("200")
    fee.blur()
    # The name alone already changed the flags (非批准机构): wait for the preview of the fee, then it is the last.
    wait_heard(phone, "announce", "上门收费")
    flags = [t for _, t in heard(phone) if "第1条培训" in t]
    assert "上门收费" in flags[-1]

    # Another change that leaves the flags as they are: they are drawn again, not said again.
    phone.get_by_label("备注").fill("住户说对方穿着制服")
    phone.get_by_label("备注").blur()
    phone.wait_for_timeout(800)
    assert len([t for _, t in heard(phone) if "第1条培训" in t]) == len(flags), heard(phone)

    # A wrong fee: its message is said once and the field is marked wrong; put right, the mark goes.
    fee.fill("两百")
    fee.blur()
    wait_heard(phone, "announce", "收费（元）：收费应为数字")
    expect(fee).to_have_attribute("aria-invalid", "true")
    expect(fee).to_have_accessible_description("收费应为数字，例如 298.00")
    fee.fill("200")
    fee.blur()
    expect(fee).not_to_have_attribute("aria-invalid", "true")


def test_a_staff_form_sent_back_puts_the_focus_on_its_first_wrong_field(live_server, live_world, phone):
    """Forms whose page does not choose the focus itself (static/js/live.js does): 登记线索 sent empty."""
    log_in(phone, live_server.url, "street")
    phone.goto(f"{live_server.url}/leads/new")
    phone.get_by_role("button", name="保存线索").click()
    phone.wait_for_load_state()
    expect(phone.locator("main").get_by_role("alert")).to_contain_text("请按红字提示修改后再保存")
    source = phone.get_by_label("线索来源")
    expect(source).to_be_focused()
    expect(source).to_have_attribute("aria-invalid", "true")
    expect(source).to_have_accessible_description(phone.locator("#err-source").inner_text())
    description = phone.get_by_label("情况描述")
    expect(description).to_have_attribute("aria-invalid", "true")
    expect(description).to_have_accessible_description(phone.locator("#err-description").inner_text())
