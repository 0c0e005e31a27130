"""Real Chromium as WeChat's in-app browser on a phone: a resident scans a poster, reports with a photo, gets a
编号; the 居委's surveyor finds it in the queue with its flags; the resident sees its status by the number."""
import io

import pytest
from PIL import Image

from domain.public import posters
from models import db
from tests.conftest import COMMUNITY, PHONE, WECHAT_UA, log_in

pytestmark = pytest.mark.browser


def phone_photo():
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def test_a_resident_reports_from_a_poster_in_wechat(live_server, live_world, browser):
    with live_server.app.app_context():
        poster = posters.create_poster(None, COMMUNITY, "3号楼门厅")
        db.close()

    resident = browser.new_context(**{**PHONE, "user_agent": WECHAT_UA}, locale="zh-CN", java_script_enabled=False)
    page = resident.new_page()
    page.goto(f"{live_server.url}/r/{poster.code}")
    assert page.get_by_text("华阳一居委 · 3号楼门厅").is_visible()
    assert page.get_by_label("请勿填写").bounding_box()["x"] < -1000  # the honeypot is out of sight
    page.get_by_label("上门收费").check()
    page.get_by_label("冒充消防员或政府人员").check()
    page.get_by_label("情况描述").fill("两个人自称消防员，上门讲了十分钟就收每户200元培训费")
    page.get_by_label("涉及金额（元）").fill("200")
    page.get_by_label("照片").set_input_files(
        {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()})
    page.get_by_role("button", name="提交举报").click()
    page.wait_for_url("**/r/status?**")
    assert page.get_by_text("已收到您的举报").is_visible()
    number = page.locator(".number").inner_text().strip()
    assert len(number) == 13

    staff = browser.new_context(**PHONE, locale="zh-CN")
    desk = staff.new_page()
    log_in(desk, live_server.url, "surveyor")
    desk.wait_for_url("**/survey/**")
    desk.goto(f"{live_server.url}/reports/")
    desk.get_by_role("link", name=number).click()
    assert desk.get_by_text("上门收费：凡是上门收费的培训都是假培训").is_visible()
    assert desk.get_by_text("冒充身份：").is_visible()
    photo = desk.get_by_alt_text("举报照片 1")
    assert photo.evaluate("img => img.decode().then(() => img.naturalWidth)") == 640  # loads for staff in scope
    staff.close()

    page.goto(f"{live_server.url}/r/status")
    page.get_by_label("举报编号").fill(number)
    page.get_by_role("button", name="查询").click()
    assert page.locator(".status").inner_text() == "新线索"
    resident.close()
