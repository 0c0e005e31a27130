"""Real Chromium, phone viewport: a department's day (issue 9). 区消防救援支队 lands on the cases referred to it,
opens the overdue one, accepts it, then records 已查处 with a fine; the street sees each step."""
import datetime
import uuid

import pytest
from playwright.sync_api import expect

from domain.casework import cases
from domain.common.clock import now_local, today_local
from domain.survey.record import parse_record
from domain.survey.store import store_record
from models import Referral, User, db
from tests.conftest import COMMUNITY, PHONE, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def referred_case(live_server, live_world):
    """A household trained at the door for a fee by 安居, referred by the street to 消防救援, due yesterday."""
    with live_server.app.app_context():
        body = {"client_uuid": str(uuid.uuid4()), "community": COMMUNITY,
                "unit": {"type": "household", "address": "长宁路1弄1号101室"},
                "visited_at": (now_local() - datetime.timedelta(days=3)).isoformat() + "+08:00",
                "outcome": "surveyed",
                "trainings": [{"institution": "上海安居消防培训中心", "institution_phone": "021-6000 1234",
                               "trainer_identity": "firefighter", "mode": "door_to_door", "fee": "50"}],
                "purchases": []}
        record, errors = parse_record(body)
        assert not errors
        store_record(live_world["surveyor"], record)
        street = User.get(User.username == "street")
        view = next(v for v in cases.cases_for(street) if v.kind == "institution")
        cases.refer(street, view, ["xiaofang"], "xiaofang", today_local() - datetime.timedelta(days=1), "请核查")
        case_id = view.id
        db.close()
    return case_id


def test_a_department_accepts_and_closes_a_referral_on_a_phone(live_server, referred_case, phone):
    log_in(phone, live_server.url, "department")
    phone.wait_for_url("**/cases/")
    row = phone.locator("li.case", has_text="上海安居消防培训中心")
    expect(row.locator(".badge.overdue")).to_have_text("超期")
    row.get_by_role("link", name="上海安居消防培训中心").click()
    phone.wait_for_url(f"**/cases/{referred_case}")
    mine = phone.locator("section.mine")
    expect(mine).to_contain_text("移交给本部门（牵头）：已移交")
    expect(mine).to_contain_text("移交说明：请核查")
    submit = mine.get_by_role("button", name="提交")
    box = submit.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44

    mine.get_by_label("接收").check()
    submit.click()
    expect(phone.locator(".flash")).to_contain_text("已记录：已接收")
    mine = phone.locator("section.mine")
    expect(mine).to_contain_text("已接收")

    mine.get_by_label("已查处").check()
    mine.get_by_label("已立案").check()
    mine.get_by_label("罚没款（元，查处时填写）").fill("-1")
    mine.get_by_role("button", name="提交").click()
    expect(phone.locator("#err-fine")).to_have_text("金额不能为负数")  # the wrong field says why; nothing saved
    mine = phone.locator("section.mine")
    mine.get_by_label("已查处").check()
    mine.get_by_label("罚没款（元，查处时填写）").fill("3000")
    mine.get_by_role("button", name="提交").click()
    expect(phone.locator(".flash")).to_contain_text("已记录：已查处")
    expect(phone.locator(".badge.case-closed")).to_have_text("已办结")
    expect(phone.locator("section.mine form")).to_have_count(0)  # an ended referral takes no more steps

    with live_server.app.app_context():
        referral = Referral.get()
        assert (referral.status, referral.case_opened, referral.fine_fen) == ("penalised", True, 300000)
        db.close()

    street = phone.context.browser.new_context(**PHONE, locale="zh-CN").new_page()
    log_in(street, live_server.url, "street")
    street.goto(f"{live_server.url}/cases/{referred_case}")
    expect(street.locator("ul.referrals")).to_contain_text("已查处")
    expect(street.locator("ul.referrals")).to_contain_text("罚没款 3,000.00 元")
    street.context.close()
