"""The street office's roster on a phone in real Chromium (issue 18 item 8): it downloads nothing new, uploads the
spreadsheet it keeps with two bad rows, reads each row's problem, uploads the fixed file, confirms, and reads its
coverage: every 居委 of the file with its 底数, 0% before any visit."""
import pytest
from playwright.sync_api import expect

from tests.browser.phone import overflow, shot, small_tap_targets
from tests.conftest import PHONE, log_in

pytestmark = pytest.mark.browser

HEADER = "居委,详细地址,房屋类型,楼栋\n"
BAD = HEADER + "华阳一居委,仙霞路350弄3号201室,居民户,\n华阳一居委,,居民户,\n华阳二居委,长宁路2号,宾馆,\n"
FIXED = HEADER + "华阳一居委,仙霞路350弄3号201室,居民户,\n华阳一居委,仙霞路350弄3号202室,居民户,\n华阳二居委,长宁路2号,沿街商铺,\n"


def upload(page, text):
    page.get_by_label("清单文件").first.set_input_files(
        {"name": "实有房屋.csv", "mimeType": "text/csv", "buffer": text.encode("gb18030")})
    page.get_by_role("button", name="上传并预览").first.click()
    page.wait_for_load_state()


def test_a_street_imports_its_roster_fixes_two_rows_and_reads_its_coverage(live_server, live_world, browser):
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, "street")
    page.get_by_role("link", name="底数").click()
    page.wait_for_url("**/roster/")
    expect(page.get_by_role("link", name="下载模板")).to_be_visible()
    assert overflow(page) <= 0 and not small_tap_targets(page), small_tap_targets(page)
    shot(page, "roster-1-index")

    upload(page, BAD)
    expect(page.get_by_role("heading", name="有 2 行有误，未导入任何数据")).to_be_visible()
    errors = page.locator("table.roster-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("3")
    expect(errors.nth(0)).to_contain_text("地址不能为空")
    expect(errors.nth(1)).to_contain_text("未知单位类型：宾馆")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    assert overflow(page) <= 0 and not small_tap_targets(page), small_tap_targets(page)
    shot(page, "roster-2-errors")

    upload(page, FIXED)
    expect(page.get_by_text("新增 3 个单位")).to_be_visible()
    shot(page, "roster-3-preview")
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url("**/roster/")
    expect(page.get_by_text("底数清单已导入：新增 3")).to_be_visible()
    first = page.locator('tr[data-community="310105001001"]')
    expect(first.locator("td").nth(1)).to_have_text("2")  # 底数
    expect(first.locator("td").nth(7)).to_have_text("0.0")  # 覆盖率: nobody visited yet
    assert overflow(page) <= 0 and not small_tap_targets(page), small_tap_targets(page)
    shot(page, "roster-4-coverage")
    context.close()
