"""The district on a phone in real Chromium (issue 19 part 3): opens 考核排名 from the navigation, picks the day, sorts
the streets by 未走访 and back, then downloads the 通报 draft; the test reads the downloaded .docx back. Screenshots
go to $PAIMO_SHOTS."""
import docx
import pytest
from playwright.sync_api import expect

from models import db
from tests.browser.axe import axe_violations, describe
from tests.browser.phone import overflow, shot, small_tap_targets
from tests.conftest import PHONE, STREET, log_in
from tests.test_ranking import build_supervised

pytestmark = pytest.mark.browser


@pytest.fixture
def supervised_district(live_server, live_world):
    with live_server.app.app_context():
        build_supervised(live_world)
        db.close()
    return live_world


def row_names(page):
    return page.locator("table.ranking tbody th[scope=row]").all_inner_texts()


def fits_a_phone(page):
    small = small_tap_targets(page)
    assert overflow(page) <= 0 and not small, small


def test_the_district_sorts_the_ranking_and_downloads_the_bulletin(live_server, supervised_district, browser):
    context = browser.new_context(**PHONE, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    log_in(page, live_server.url, "district")
    page.get_by_role("link", name="考核", exact=True).click()
    page.locator("#hub-ranking").click()
    page.wait_for_url("**/ranking/")
    expect(page.get_by_role("heading", name="长宁区考核排名（街镇）")).to_be_visible()

    # The day of the ranking: 3月31日.
    page.get_by_label("统计日期").fill("2023-03-31")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**as_of=2023-03-31**")
    expect(page.locator("table.ranking tbody tr").first).to_contain_text("华阳路街道")
    assert row_names(page) == ["华阳路街道", "江苏路街道"]
    expect(page.locator("table.ranking tfoot")).to_contain_text("60.0")
    fits_a_phone(page)
    shot(page, "bulletin-1-ranking")

    # Sort by 未走访: most first (江苏路 has 2 not visited, 华阳路 1), then tap again for the fewest first.
    page.get_by_role("link", name="未走访").click()
    page.wait_for_url("**sort=not_visited**")
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("未走访")
    assert row_names(page) == ["江苏路街道", "华阳路街道"]
    shot(page, "bulletin-2-sorted-by-not-visited")
    page.get_by_role("link", name="未走访").click()
    page.wait_for_url("**dir=asc**")
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("未走访")
    assert row_names(page) == ["华阳路街道", "江苏路街道"]
    # The ranking keeps its 名次 whatever the sort: 华阳路 first, 江苏路 second.
    assert page.locator("table.ranking tbody tr td:first-of-type").all_inner_texts() == ["1", "2"]

    # The departments, one tab away: 公安 first (nothing overdue), 消防救援 last.
    page.get_by_role("link", name="各部门").click()
    page.wait_for_url("**level=department**")
    assert row_names(page)[0] == "区公安分局" and row_names(page)[-1] == "区消防救援支队"
    fits_a_phone(page)
    shot(page, "bulletin-3-departments")

    # The 通报 draft, for the district to edit.
    draft = page.get_by_role("link", name="通报草稿（.docx）")
    box = draft.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    with page.expect_download() as download:
        draft.click()
    assert download.value.suggested_filename == "长宁区考核情况通报（草稿）_2023-03-31.docx"
    document = docx.Document(download.value.path())
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "长宁区关于打击冒牌消防培训和制售假冒伪劣消防产品专项整治工作考核情况的通报"
    whole = "\n".join(texts)
    assert "排名靠前的是华阳路街道" in whole and "排名靠后的是江苏路街道" in whole
    assert "排名靠前的是区公安分局" in whole and "排名靠后的是区消防救援支队" in whole
    assert "1. 华阳路街道华阳二居委，账号“surveyor2”：夜间记录" in whole
    assert "2. 江苏路街道江苏一居委，账号“other_surveyor”：集中补录" in whole
    assert [c.text for c in document.tables[0].rows[1].cells][:2] == ["1", "华阳路街道"]
    context.close()
    assert not blocked, blocked

    # The pages of the journey pass axe's WCAG 2.2 A/AA rules (axe is injected: a context of its own, without CSP).
    checked = browser.new_context(**PHONE, locale="zh-CN", bypass_csp=True).new_page()
    log_in(checked, live_server.url, "district")
    for query in ("as_of=2023-03-31", "as_of=2023-03-31&sort=not_visited&dir=asc", "as_of=2023-03-31&level=department",
                  f"as_of=2023-03-31&street={STREET}"):
        checked.goto(f"{live_server.url}/ranking/?{query}")
        violations = axe_violations(checked)
        assert not violations, describe(query, violations)
    checked.context.close()
