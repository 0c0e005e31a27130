"""The street office's journey on a phone in real Chromium (issue 8): it logs in and lands on what needs it, opens
the new 线索 from there, comes back and downloads 附件1 as a real workbook."""

import openpyxl
import pytest
from playwright.sync_api import expect

from domain.public import reports
from models import Org, db
from tests.browser.phone import overflow, shot, small_tap_targets
from tests.conftest import COMMUNITY, PHONE, log_in
from tests.test_tables import build_district

pytestmark = pytest.mark.browser


def test_a_street_office_goes_from_its_landing_page_to_a_new_report_and_the_workbook(live_server, live_world, browser,
                                                                                       tmp_path):
    with live_server.app.app_context():
        build_district(live_world)
        values, _ = reports.parse_report({"kinds": ["impersonation"], "description": "自称消防员上门收费，每户200元",
                                          "institution": "上海安居消防培训中心"})
        fresh = reports.create_report(values, community=Org.get(Org.code == COMMUNITY))
        db.close()

    context = browser.new_context(**PHONE, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    log_in(page, live_server.url, "street")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="华阳路街道 · 待办")).to_be_visible()
    expect(page.get_by_role("link", name="2 条新线索，等待查看")).to_be_visible()  # this one and an older one
    expect(page.get_by_text("华阳一居委").first).to_be_visible()
    assert overflow(page) <= 0 and not small_tap_targets(page), small_tap_targets(page)
    shot(page, "street-1-home")

    page.get_by_role("link", name="2 条新线索，等待查看").click()
    page.wait_for_url("**/reports/?status=new")
    page.get_by_role("link", name=fresh.number).click()
    expect(page.get_by_text("自称消防员上门收费，每户200元")).to_be_visible()
    shot(page, "street-2-report")

    page.get_by_role("link", name="排摸通").click()
    page.get_by_role("link", name="附件1（截至今天）").click()
    page.wait_for_url("**/tables/**")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel（.xlsx）").click()
    saved = tmp_path / download.value.suggested_filename
    assert saved.suffix == ".xlsx"
    download.value.save_as(saved)
    workbook = openpyxl.load_workbook(saved)
    cells = [str(c) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert any("消防培训情况排摸统计表" in c for c in cells)
    assert any("华阳一居委" in c for c in cells) and not any("江苏一居委" in c for c in cells)
    context.close()
