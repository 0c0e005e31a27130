"""The resident's journey in real Chromium posing as WeChat's browser on a phone (issue 8): scan the poster's QR code
(decoded by zbar), report with a photo, copy the 编号, look the report up on the status page, learn how to tell a
fake, and find an institution in the published list. Every page fits the screen with thumb-sized targets."""
import datetime
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from pyzbar.pyzbar import decode

from domain.common.clock import today_local
from domain.public import approved, posters
from models import db
from tests.browser.phone import overflow, shot, small_tap_targets
from tests.conftest import COMMUNITY, PHONE, WECHAT_UA, log_in

pytestmark = pytest.mark.browser

FUTURE = (today_local() + datetime.timedelta(days=365)).isoformat()
APPROVED = ("name,credit_code,address,phone,approval_no,valid_until\n"
            f"上海安泰消防培训有限公司,91310105MA1FL0XX1A,长宁区长宁路1号,021-60000000,沪消培001,{FUTURE}\n"
            "上海长青消防技能培训学校,,长宁区天山路88号,021-62000000,沪消培003,\n")


def phone_photo():
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def fits_a_thumb(page):
    assert overflow(page) <= 0, f"{page.url} is wider than the screen"
    assert not small_tap_targets(page), (page.url, small_tap_targets(page))


def test_a_resident_scans_reports_copies_the_number_and_checks_an_institution(live_server, live_world, browser):
    live_server.app.config["BASE_URL"] = ""  # as `make run` on any port: links follow the address asked at
    with live_server.app.app_context():
        poster = posters.create_poster(None, COMMUNITY, "3号楼门厅")
        approved.import_csv(APPROVED)
        db.close()

    # The 居委 prints the poster; the resident's phone reads its QR code.
    staff = browser.new_context(**PHONE, locale="zh-CN")
    desk = staff.new_page()
    log_in(desk, live_server.url, "surveyor")
    qr = desk.request.get(f"{live_server.url}/posters/{poster.code}/qr.png").body()
    staff.close()
    [scanned] = [symbol.data.decode() for symbol in decode(Image.open(io.BytesIO(qr)))]
    assert scanned == f"{live_server.url}/r/{poster.code}"

    resident = browser.new_context(**{**PHONE, "user_agent": WECHAT_UA}, locale="zh-CN")
    resident.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = resident.new_page()
    page.goto(scanned)
    expect(page.get_by_text("华阳一居委 · 3号楼门厅")).to_be_visible()
    fits_a_thumb(page)
    shot(page, "resident-1-form")

    page.get_by_label("推销产品").check()
    page.get_by_label("情况描述").fill("有人自称消防员上门培训，讲完就推销灭火毯，一条298元")
    page.get_by_label("对方机构或人员名称").fill("上海安居消防培训中心")
    page.get_by_label("照片").set_input_files({"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()})
    page.get_by_role("button", name="提交举报").click()
    page.wait_for_url("**/r/status?**")
    expect(page.get_by_role("heading", name="已收到您的举报，谢谢！")).to_be_visible()
    expect(page.get_by_text("收到 1 张")).to_be_visible()
    number = page.locator("#report-number").inner_text().strip()
    assert re.fullmatch(r"\d{6}-[0-9A-Z]{6}", number)
    fits_a_thumb(page)

    page.get_by_role("button", name="复制编号").click()
    expect(page.get_by_role("button", name="已复制")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == number
    shot(page, "resident-2-receipt")

    # Later: the status page, with the number pasted from the clipboard.
    page.get_by_role("link", name="查举报进度").click()
    page.get_by_label("举报编号").focus()
    page.keyboard.press("Control+V")
    page.get_by_role("button", name="查询").click()
    today = today_local()
    expect(page.get_by_text(f"{today.year}年{today.month}月{today.day}日")).to_be_visible()
    expect(page.locator(".status")).to_have_text("新线索")
    expect(page.get_by_text("已收到，等待工作人员查看")).to_be_visible()
    expect(page.get_by_text("工作人员会尽快查看您的举报")).to_be_visible()
    assert "推销灭火毯" not in page.content()
    fits_a_thumb(page)
    shot(page, "resident-3-status")

    # How to tell a fake, linked from every report page.
    page.get_by_role("link", name="怎样识别假培训、假产品").click()
    expect(page.get_by_role("heading", name="看 3C 标志")).to_be_visible()
    expect(page.get_by_text("XF 1205-2014")).to_be_visible()
    fits_a_thumb(page)
    shot(page, "resident-4-guide")

    # The published list of approved institutions, then a search by part of a name.
    page.get_by_role("link", name="查培训机构", exact=True).click()
    expect(page.get_by_text("依法批准的消防安全培训机构（共 2 家）")).to_be_visible()
    expect(page.get_by_text("上海长青消防技能培训学校")).to_be_visible()
    fits_a_thumb(page)
    shot(page, "resident-5-list")
    page.get_by_label("机构名称或统一社会信用代码").fill("安泰")
    page.get_by_role("button", name="查询").click()
    listed = page.locator(".institutions li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("上海安泰消防培训有限公司")
    expect(listed).to_contain_text("沪消培001")
    fits_a_thumb(page)
    shot(page, "resident-6-found")
    resident.close()
