"""The surveyor's whole day in Chromium on a phone (issue 8): lay out a building, one-tap two units, record a
positive unit with a training and a purchase, correct a one-tap unit to a full record online and another
offline then online, and settle two 409 conflicts both ways. At the end the server holds each record once,
corrected where corrected, 今日记录 says 已更正, and nothing waits on the phone."""
import re

import pytest
from playwright.sync_api import expect

from domain.survey.record import parse_record
from domain.survey.store import store_record
from models import AuditLog, Survey, User, db
from tests.browser.test_offline_browser import (  # noqa: F401 (server is a fixture)
    cached_pages,
    evaluate_soon,
    eventually,
    go_offline,
    go_online,
    server,
    wait_controlled,
    wait_pending,
)
from tests.conftest import log_in as log_in_as, make_world

pytestmark = pytest.mark.browser

BUILDING = "7号楼"


@pytest.fixture
def world(server):
    with server.app.app_context():
        users = make_world(server.app)
        db.close()
    return users


def on_server(app, action):
    with app.app_context():
        try:
            return action()
        finally:
            db.close()


def records(app):
    """{address: (outcome, [training institutions], times corrected)} of every stored record, and their count."""
    def read():
        rows = list(Survey.select().order_by(Survey.id))
        found = {}
        for s in rows:
            corrections = AuditLog.select().where((AuditLog.action == "correct")
                                                  & (AuditLog.object_id == str(s.id))).count()
            found[s.unit.address] = (s.outcome, [t.institution for t in s.trainings], corrections)
        return found, len(rows)
    return on_server(app, read)


def status(page):
    return page.locator("#outbox-status .outbox-count").inner_text()


def row(page, room):
    return page.locator("li.unit", has_text=f"{BUILDING} {room}")


def add_training(page, institution, fee="0"):
    page.get_by_role("button", name="增加一条培训").click()
    block = page.locator("fieldset.training").last
    block.get_by_label("机构名称").fill(institution)
    block.get_by_label("培训人员身份").select_option(label="培训机构人员")
    block.get_by_label("培训方式").select_option(label="集中授课")
    block.get_by_label("收费（元）").fill(fee)


def add_sale_at_the_training(page):
    """A fire blanket bought 培训现场, the training left at 不关联培训 (issue 8 item 3)."""
    page.get_by_role("button", name="增加一项购买").click()
    block = page.locator("fieldset.purchase").last
    block.get_by_label("灭火毯").check()
    block.get_by_label("数量").fill("1")
    block.get_by_label("金额（元）").fill("298")
    block.get_by_label("购买渠道").select_option(label="培训现场")
    expect(block.get_by_label("在哪条培训上买的")).to_have_value("")


def test_a_surveyors_day_on_a_phone(server, world, phone):
    app = server.app
    log_in_as(phone, server.url, "surveyor")
    phone.wait_for_url("**/survey/")
    wait_controlled(phone)
    expect(phone.locator("#outbox-status .outbox-count")).to_have_text("手机上没有待同步的记录")

    # Lay out a building.
    phone.get_by_label("楼栋名称").fill(BUILDING)
    phone.get_by_label("楼层数").fill("3")
    phone.get_by_label("每层户数").fill("2")
    phone.get_by_role("button", name="排布").click()
    phone.wait_for_url("**/survey/buildings/*")
    building_url = phone.url

    # One tap for two units: stored, and their rows now look visited and offer 更正.
    row(phone, "101室").get_by_role("button", name="已排摸·无培训无购买").click()
    row(phone, "102室").get_by_role("button", name="无人在家").click()
    expect(row(phone, "101室").get_by_role("link", name="更正")).to_be_visible()
    expect(row(phone, "102室").get_by_role("link", name="更正")).to_be_visible()
    expect(row(phone, "101室")).to_have_attribute("data-state", "surveyed")
    expect(row(phone, "102室")).to_have_attribute("data-state", "absent")
    assert records(app)[1] == 2

    # A positive unit: a training and a blanket bought there, flagged before and after saving.
    row(phone, "201室").get_by_role("link", name="详细登记").click()
    phone.wait_for_url("**/record")
    add_training(phone, "上海某某消防培训中心")
    add_sale_at_the_training(phone)
    expect(phone.locator("#flags")).to_contain_text("推销产品")
    phone.get_by_role("button", name="保存记录").click()
    phone.wait_for_url(re.compile(r".*/survey/buildings/\d+#unit-\d+$"))
    bar = phone.locator("#saved-bar")
    expect(bar).to_contain_text("已保存：7号楼 201室")
    expect(bar.get_by_role("link")).to_have_text("下一户：7号楼 202室")
    expect(row(phone, "201室")).to_contain_text("疑似冒牌培训")
    expect(row(phone, "201室")).to_contain_text("推销产品")
    bar.get_by_role("link").click()
    expect(phone.locator("#saved-bar")).to_have_count(0)

    # Correct a one-tap unit to a full record, online.
    row(phone, "101室").get_by_role("link", name="更正").click()
    phone.wait_for_url("**/survey/records/*/edit")
    add_training(phone, "上海平安消防培训中心", fee="100")
    add_sale_at_the_training(phone)
    phone.get_by_role("button", name="保存更正").click()
    phone.wait_for_url(re.compile(r".*/survey/buildings/\d+#unit-\d+$"))
    expect(phone.locator("#saved-bar")).to_contain_text("已更正：7号楼 101室")
    expect(row(phone, "101室")).to_contain_text("推销产品")
    stored, count = records(app)
    assert count == 3 and stored["7号楼 101室"] == ("surveyed", ["上海平安消防培训中心"], 1)

    # Correct the other one-tap unit offline (its edit page was kept on the phone), then online.
    phone.goto(building_url)
    edit_102 = row(phone, "102室").get_by_role("link", name="更正").get_attribute("href")
    eventually(lambda: edit_102 in cached_pages(phone), message="the edit page should be kept for offline use")
    go_offline(phone, server)
    row(phone, "102室").get_by_role("link", name="更正").click()
    phone.wait_for_url(f"**{edit_102}")
    phone.get_by_text("已排摸", exact=True).click()
    add_training(phone, "上海某某消防培训中心")
    add_sale_at_the_training(phone)
    phone.get_by_role("button", name="保存更正").click()
    phone.wait_for_url(re.compile(r".*/survey/buildings/\d+#unit-\d+$"))
    expect(phone.locator("#saved-bar")).to_contain_text("更正已保存在手机上（待同步）")
    wait_pending(phone, 1)
    assert "全部已同步" not in status(phone) and "待同步" in status(phone)
    phone.goto(server.url + "/survey/today")  # still offline: the kept list plus what waits
    listed = phone.locator("#today-list li.record")
    expect(listed.filter(has_text="7号楼 102室").locator(".outbox-mark")).to_have_text("更正待同步")
    expect(phone.locator("#today-count")).to_have_text(str(listed.count()))
    assert records(app)[0]["7号楼 102室"] == ("absent", [], 0)

    go_online(phone, server)
    wait_pending(phone, 0)
    stored, count = records(app)
    assert count == 3 and stored["7号楼 102室"] == ("surveyed", ["上海某某消防培训中心"], 1)
    phone.reload()
    for room in ("101室", "102室"):
        item = phone.locator("#today-list li.record", has_text=f"7号楼 {room}")
        expect(item.locator(".badge.corrected")).to_have_text("已更正")
    expect(phone.locator("#today-list li.record")).to_have_count(3)
    expect(phone.locator("#today-count")).to_have_text("3")
    expect(phone.locator("#today-list")).not_to_contain_text("已保存")

    # Two records made on this phone meet other versions made elsewhere with the same client_uuid: 409.
    phone.goto(building_url)
    go_offline(phone, server)
    row(phone, "202室").get_by_role("button", name="已排摸·无培训无购买").click()
    row(phone, "301室").get_by_role("button", name="无人在家").click()
    wait_pending(phone, 2)
    waiting = evaluate_soon(phone, "paimoOutbox.entries().then(e => e.length === 2 && e)")

    def stored_elsewhere():
        user = User.get(User.username == "surveyor")
        for entry in waiting:
            record, errors = parse_record({**entry["body"], "outcome": "refused"})
            assert not errors
            store_record(user, record)
    on_server(app, stored_elsewhere)

    go_online(phone, server)
    conflicts = phone.locator("#outbox-status .outbox-conflicts")
    expect(conflicts).to_contain_text("2 条记录与已保存的记录冲突")
    assert "全部已同步" not in status(phone)
    conflicts.get_by_role("link", name="去处理").click()
    phone.wait_for_url("**/survey/conflicts")

    keep = phone.locator("section.conflict", has_text="7号楼 202室")
    expect(keep.locator("tr.differs", has_text="走访结果")).to_contain_text("已排摸")
    expect(keep.locator("tr.differs", has_text="走访结果")).to_contain_text("拒绝配合")
    phone.once("dialog", lambda dialog: dialog.accept())
    keep.get_by_role("button", name="保留已保存的（删除手机上的）").click()
    expect(keep).to_contain_text("已保留已保存的记录")

    mine = phone.locator("section.conflict", has_text="7号楼 301室")
    mine.get_by_role("button", name="用手机上的更正已保存的").click()
    expect(mine).to_contain_text("已用手机上的版本更正了已保存的记录")
    evaluate_soon(phone, "paimoOutbox.entries().then(e => e.length === 0)")
    expect(phone.locator("#outbox-status .outbox-conflicts")).to_have_count(0)
    expect(phone.locator("#outbox-status .outbox-count")).to_contain_text("手机上的记录已全部同步")

    stored, count = records(app)
    assert count == 5, "one record per unit, each stored once"
    assert stored["7号楼 202室"] == ("refused", [], 0)  # kept the stored version
    assert stored["7号楼 301室"] == ("absent", [], 1)  # corrected to the phone's version
