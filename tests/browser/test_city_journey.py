"""The city's journey on a phone in real Chromium (issue 17 item 6): 市安委办 opens the city's 附件1, a row per district,
goes into one district's, and opens that district's submissions board; a district's user who follows a link to another
district's case is told it is not there (404)."""
import pytest
from playwright.sync_api import expect

from domain.casework import cases
from domain.reporting.campaign import load_campaign_file
from models import db
from tests.browser.phone import overflow, shot, small_tap_targets
from tests.conftest import PHONE, log_in
from tests.test_campaign import PLAN
from tests.test_city import CITY_CSV, XUHUI, XUHUI_COMMUNITY, visit

pytestmark = pytest.mark.browser


@pytest.fixture
def city_world(live_server, live_world):
    from domain.org import accounts
    from domain.org.org_import import add_district_departments, import_orgs

    app = live_server.app
    with app.app_context():
        import_orgs(CITY_CSV)
        with open("data/departments.csv", encoding="utf-8") as fh:
            add_district_departments(fh.read())
        method = app.config["PASSWORD_HASH_METHOD"]
        users = {"city": accounts.create_user("city", "city", "310000", "correct-horse-1", method),
                 "xuhui": accounts.create_user("xuhui", "district", XUHUI, "correct-horse-1", method),
                 "xuhui_surveyor": accounts.create_user("xuhui_surveyor", "surveyor", XUHUI_COMMUNITY,
                                                        "correct-horse-1", method)}
        visit(live_world["surveyor"], "310105001001", "长宁路1号", "长宁某某消防培训中心")
        visit(users["xuhui_surveyor"], XUHUI_COMMUNITY, "漕溪北路1号", "徐汇某某消防培训中心")
        load_campaign_file(PLAN)
        changning_case = next(v.id for v in cases.cases_for(live_world["district"]) if v.title == "长宁某某消防培训中心")
        db.close()
    return changning_case


def test_the_city_reads_its_table1_and_a_districts_board_and_a_district_cannot_open_anothers_case(
        live_server, city_world, browser):
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, "city")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="上海市 · 待办")).to_be_visible()
    expect(page.get_by_role("heading", name="排摸进度（各区）")).to_be_visible()
    expect(page.get_by_role("link", name="徐汇区")).to_be_visible()
    assert overflow(page) <= 0 and not small_tap_targets(page), small_tap_targets(page)
    shot(page, "city-1-home")

    page.get_by_role("link", name="统计表").click()
    page.wait_for_url("**/tables/**")
    figures = page.locator("table.figures")
    expect(figures.locator("tbody tr")).to_have_count(2)  # 长宁区, 徐汇区
    expect(figures.get_by_role("link", name="徐汇区")).to_be_visible()
    assert overflow(page) <= 0
    shot(page, "city-2-table1")

    figures.get_by_role("link", name="徐汇区").click()
    page.wait_for_url(f"**district={XUHUI}**")
    expect(page.locator("table.figures").first).to_contain_text("徐家汇街道")  # its one street, read down
    expect(page.locator("table.figures").first).not_to_contain_text("华阳路街道")
    shot(page, "city-3-xuhui-table1")

    page.get_by_role("link", name="报送情况").click()
    page.wait_for_url("**/tables/submissions/board**")
    page.get_by_role("link", name="徐汇区").click()
    page.wait_for_url(f"**/tables/submissions/board?district={XUHUI}")
    expect(page.get_by_role("heading", name="徐汇区 · 报送情况")).to_be_visible()
    expect(page.get_by_text("徐家汇街道").first).to_be_visible()
    assert overflow(page) <= 0 and not small_tap_targets(page), small_tap_targets(page)
    shot(page, "city-4-xuhui-board")
    context.close()

    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, "xuhui")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="徐汇区 · 待办")).to_be_visible()
    answer = page.goto(f"{live_server.url}/cases/{city_world}")  # 长宁区's case, by a link from elsewhere
    assert answer.status == 404
    expect(page.get_by_text("找不到这个页面或记录")).to_be_visible()
    shot(page, "city-5-other-districts-case")
    context.close()
