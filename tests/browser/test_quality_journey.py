"""The street finds a planted burst on a phone in real Chromium (issue 19 item 7): 30 records of one surveyor within
ten minutes are a 速度异常 signal on the street's 质量信号 page; the street opens it, reads the records on their
timeline, and confirms the problem with a note."""
import datetime
import uuid

import pytest
from playwright.sync_api import expect

from domain.common.clock import now_local
from domain.survey.record import parse_record
from domain.survey.store import store_record
from models import QualitySignal, db
from tests.browser.phone import overflow, shot, small_tap_targets
from tests.conftest import COMMUNITY, PHONE, log_in, negative_body

pytestmark = pytest.mark.browser


@pytest.fixture
def planted(live_server, live_world):
    """A bench's worth of one-tap records: 30 doors in seven and a half minutes yesterday morning."""
    start = (now_local() - datetime.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    with live_server.app.app_context():
        for i in range(30):
            visited = (start + datetime.timedelta(seconds=15 * i)).isoformat() + "+08:00"
            record, errors = parse_record(negative_body(f"仙霞路350弄{i + 1}号", community=COMMUNITY,
                                                        visited_at=visited, client_uuid=str(uuid.uuid4())))
            assert not errors, errors
            store_record(live_world["surveyor"], record)
        db.close()
    return live_world


def test_the_street_finds_a_burst_opens_it_and_confirms_it(live_server, planted, browser):
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, "street")
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="考核", exact=True).click()
    expect(page.locator("#hub-quality")).to_contain_text("1 条待核实")
    shot(page, "quality-0-supervision")
    page.locator("#hub-quality").click()
    expect(page.get_by_role("heading", name="质量信号")).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text("不是结论")
    signal = page.locator("li.signal")
    expect(signal).to_have_count(1)
    expect(signal).to_contain_text("速度异常")
    expect(signal).to_contain_text("华阳一居委")
    expect(signal).to_contain_text("30 条记录")
    assert overflow(page) <= 0 and not small_tap_targets(page), small_tap_targets(page)
    shot(page, "quality-1-list")

    signal.get_by_role("link").click()
    expect(page.get_by_role("heading", name="速度异常")).to_be_visible()
    expect(page.locator("ol.timeline li")).to_have_count(30)
    expect(page.locator("ol.timeline li").nth(1)).to_contain_text("距上一条 15 秒")
    expect(page.locator("#signal-review")).to_contain_text("待核实")
    shot(page, "quality-2-signal")

    page.get_by_label("确认问题").check()
    page.get_by_role("button", name="保存审核结果").click()
    expect(page.locator("#note-error")).to_be_visible()  # a review needs its reasons
    page.get_by_label("确认问题").check()
    page.get_by_label("说明（核实了什么、依据是什么）").fill("电话回访 5 户，均称当天无人上门")
    page.get_by_role("button", name="保存审核结果").click()
    expect(page.get_by_text("已记录审核结果：确认问题")).to_be_visible()
    expect(page.locator("#signal-review")).to_contain_text("确认问题")
    expect(page.locator("#signal-review")).to_contain_text("均称当天无人上门")
    assert overflow(page) <= 0 and not small_tap_targets(page), small_tap_targets(page)
    shot(page, "quality-3-confirmed")
    context.close()

    with live_server.app.app_context():
        assert QualitySignal.get().verdict == "confirmed"
        db.close()
