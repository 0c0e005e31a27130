"""Real Chromium, phone viewport (issue 10): 区消防救援支队 enters a day's spot checks (a mistake first, said at
its field), sees them in 附件2; the street enters a day's work for 附件3 and submits its tables, then reads the
frozen copy back. Screenshots go to /tmp/shots-tables/."""
import os

import pytest
from playwright.sync_api import expect

from domain.reporting.campaign import load_campaign_file
from models import SpotCheck, Submission, db
from tests.conftest import PHONE, log_in
from tests.test_campaign import PLAN
from tests.test_tables import build_district

pytestmark = pytest.mark.browser
SHOTS = "/tmp/shots-tables"


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def tap_target_ok(locator):
    box = locator.bounding_box()
    return box["height"] >= 44 and box["width"] >= 44


@pytest.fixture
def district_data(live_server, live_world):
    with live_server.app.app_context():
        build_district(live_world)
        load_campaign_file(PLAN)
        db.close()
    return live_world


def test_a_department_enters_spot_checks_and_a_street_submits_its_tables(live_server, district_data, phone):
    problems = []
    phone.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)

    # 消防救援 on its phone: 统计表 → 录入抽查.
    log_in(phone, live_server.url, "department")
    phone.get_by_role("link", name="统计表").click()
    phone.wait_for_url("**/tables/3")
    phone.get_by_role("link", name="录入抽查").click()
    phone.wait_for_url("**/tables/spot-checks")
    phone.get_by_label("抽查日期").fill("2023-03-20")
    phone.get_by_label("抽查渠道").select_option(label="使用领域")
    phone.get_by_label("产品类别").select_option(label="灭火器")
    phone.get_by_label("抽查批次").fill("4")
    phone.get_by_label("其中不合格批次").fill("6")
    save = phone.get_by_role("button", name="保存")
    assert tap_target_ok(save)
    save.click()
    expect(phone.locator("#err-failed")).to_have_text("不合格批次不能多于抽查批次")
    shot(phone, "1-department-spot-check-error")
    phone.get_by_label("其中不合格批次").fill("1")
    phone.get_by_label("立案查处（件）").fill("1")
    phone.get_by_label("罚没款（元）").fill("5000")
    phone.get_by_role("button", name="保存").click()
    expect(phone.locator(".notice")).to_contain_text("已保存：3月20日 使用领域 · 灭火器，抽查 4 批次")
    expect(phone.locator("ul.entries li")).to_have_count(1)
    shot(phone, "2-department-spot-check-saved")
    with live_server.app.app_context():
        assert SpotCheck.select().count() == 1
        db.close()

    phone.get_by_role("link", name="附件2").first.click()
    phone.wait_for_url("**/tables/2")
    phone.get_by_label("统计日期").fill("2023-03-31")
    phone.get_by_role("button", name="查看").click()
    phone.wait_for_url("**as_of=2023-03-31**")
    total = phone.locator("table.figures tfoot tr td")
    expect(total).to_have_text(["4", "1", "25.0", "1", "5,000.00"])
    shot(phone, "3-department-table2")

    # The street on its phone: enters a day's work, then submits its tables as of 3月31日.
    street = phone.context.browser.new_context(**PHONE, locale="zh-CN").new_page()
    street.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    log_in(street, live_server.url, "street")
    street.goto(f"{live_server.url}/tables/actions")
    street.get_by_label("日期").fill("2023-03-30")
    street.get_by_label("出动检查人次").fill("12")
    street.get_by_label("宣传活动场次").fill("2")
    street.get_by_role("button", name="保存").click()
    expect(street.locator(".notice")).to_contain_text("出动检查 12 人次，宣传活动 2 场")
    shot(street, "4-street-actions")

    street.get_by_role("link", name="附件3").first.click()
    street.wait_for_url("**/tables/3")
    street.get_by_label("统计日期").fill("2023-03-31")
    street.get_by_role("button", name="查看").click()
    street.wait_for_url("**as_of=2023-03-31**")
    # One row, the street's own: read down the page.
    expect(street.locator("table.figures.transposed thead")).to_contain_text("华阳路街道")
    expect(street.locator("table.figures.transposed tr", has_text="出动检查人次").locator("td")).to_have_text("12")
    shot(street, "5-street-table3")
    street.get_by_role("link", name="报送截至当日的表格").click()
    street.wait_for_url("**/tables/submissions**")
    expect(street.get_by_label("统计日期（数据截至当日24时）")).to_have_value("2023-03-31")
    submit = street.get_by_role("button", name="报送（冻结副本）")
    assert tap_target_ok(submit)
    shot(street, "6-street-submit")
    submit.click()
    street.wait_for_url("**/tables/submissions/*")
    expect(street.locator("h1")).to_have_text("华阳路街道 · 截至 2023年3月31日的报送")
    expect(street.get_by_text("这是华阳路街道的第一次报送。")).to_be_visible()
    shot(street, "7-street-submitted")
    with live_server.app.app_context():
        frozen = Submission.get()
        assert frozen.street_id == "310105001" and frozen.as_of.isoformat() == "2023-03-31"
        db.close()
    with street.expect_download() as download:
        street.get_by_role("link", name="下载报送的工作簿（.xlsx）").click()
    assert download.value.suggested_filename == "长宁区华阳路街道专项整治统计表_报送_2023-03-31.xlsx"

    # Width: nothing on these pages is wider than the phone.
    for page in (phone, street):
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    street.context.close()
    assert not problems, problems
