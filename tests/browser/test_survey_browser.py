"""Real Chromium, phone viewport: a worker lays out a building, records a unit with one tap, and records
a unit with a door-to-door training and a purchase at it, seeing the red flags before and after saving."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import log_in

pytestmark = pytest.mark.browser


def test_a_worker_records_units_door_to_door_on_a_phone(live_server, live_world, phone):
    log_in(phone, live_server.url, "surveyor")
    phone.wait_for_url("**/survey/")

    phone.get_by_label("楼栋名称").fill("12号楼")
    phone.get_by_label("楼层数").fill("3")
    phone.get_by_label("每层户数").fill("2")
    phone.get_by_role("button", name="排布").click()
    phone.wait_for_url("**/survey/buildings/*")

    first = phone.locator("li.unit", has_text="12号楼 101室")
    expect(first.locator(".badge")).to_have_text("未走访")
    first.get_by_role("button", name="已排摸·无培训无购买").click()
    expect(phone.locator("li.unit", has_text="12号楼 101室").locator(".badge")).to_have_text("已排摸")

    phone.locator("li.unit", has_text="12号楼 102室").get_by_role("link", name="详细登记").click()
    phone.wait_for_url("**/record")
    phone.get_by_role("button", name="增加一条培训").click()
    expect(phone.get_by_text("第1条培训")).to_be_visible()
    phone.get_by_label("机构名称").fill("上海某某消防培训中心")
    phone.get_by_label("培训人员身份").select_option(label="培训机构人员")
    phone.get_by_label("培训方式").select_option(label="上门培训")
    phone.get_by_label("收费（元）").fill("200")
    phone.get_by_label("收费（元）").blur()
    expect(phone.locator("#flags")).to_contain_text("上门收费")  # shown at once, before saving

    phone.get_by_role("button", name="增加一项购买").click()
    expect(phone.get_by_text("第1项购买")).to_be_visible()
    phone.get_by_label("灭火毯").check()
    phone.get_by_label("数量").fill("1")
    phone.get_by_label("金额（元）").fill("298")
    phone.get_by_label("购买渠道").select_option(label="培训现场")
    phone.get_by_label("在哪条培训上买的").select_option(label="第1条培训")
    expect(phone.locator("#flags")).to_contain_text("推销产品")

    phone.get_by_role("button", name="保存记录").click()
    phone.wait_for_url(re.compile(r".*/survey/buildings/\d+#unit-\d+$"))  # back at the unit just recorded
    row = phone.locator("li.unit", has_text="12号楼 102室")
    expect(row.locator(".badge").first).to_have_text("已排摸")
    for flag in ("疑似冒牌培训", "上门收费", "推销产品"):
        expect(row).to_contain_text(flag)
    expect(phone.locator("#saved-bar")).to_contain_text("已保存：12号楼 102室")
    expect(phone.locator("#saved-bar").get_by_role("link")).to_have_text("下一户：12号楼 201室")

    phone.get_by_role("link", name="今日记录").click()
    expect(phone.locator("#today-list li.record")).to_have_count(2)
    expect(phone.locator("#today-list")).to_contain_text("上门收费")
    phone.locator("#today-list li.record", has_text="12号楼 102室").get_by_role("link", name="查看").click()
    flags = phone.locator("#flags")
    expect(flags).to_contain_text("上门收费")
    expect(flags).to_contain_text("推销产品")
    expect(flags).to_contain_text("疑似冒牌培训")
    expect(flags).to_contain_text("凡是推销消防产品的培训都是假培训")
