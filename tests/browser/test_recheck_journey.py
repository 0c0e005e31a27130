"""回访 on a phone in real Chromium (issue 19 part 2): the street draws a sample for a 居委 as of today, records three
回访 — 一致, 不一致 with what differs (after being told to say what), 未联系上 — and reads sampled / done / 一致率 on the
sample and on the 回访 page. The 不一致 is a `recheck` signal on the surveyor who made the record."""
import datetime
import uuid

import pytest
from playwright.sync_api import expect

from domain.common.clock import now_local
from domain.survey.record import parse_record
from domain.survey.store import store_record
from models import QualitySignal, Recheck, db
from tests.browser.phone import overflow, shot, small_tap_targets
from tests.conftest import COMMUNITY, PHONE, log_in, negative_body, survey_body

pytestmark = pytest.mark.browser


@pytest.fixture
def surveyed(live_server, live_world):
    """Three units of 华阳一居委 surveyed yesterday morning (one had a training and bought a fire extinguisher)."""
    start = (now_local() - datetime.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    with live_server.app.app_context():
        for n, base in enumerate((survey_body, negative_body, negative_body), 1):
            body = base(community=COMMUNITY, client_uuid=str(uuid.uuid4()),
                        visited_at=(start + datetime.timedelta(minutes=5 * n)).isoformat() + "+08:00")
            body["unit"] = {"type": "household", "address": f"仙霞路350弄{n}号101室"}
            record, errors = parse_record(body)
            assert not errors, errors
            store_record(live_world["surveyor"], record)
        db.close()
    return live_world


def item(page, number):
    return page.locator("li.recheck", has_text=f"仙霞路350弄{number}号101室")


def fits(page):
    assert overflow(page) <= 0 and not small_tap_targets(page), small_tap_targets(page)


def test_a_street_draws_a_sample_and_records_three_回访_on_a_phone(live_server, surveyed, browser):
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, "street")
    page.get_by_role("link", name="考核", exact=True).click()
    page.locator("#hub-rechecks").click()
    expect(page.get_by_role("heading", name="回访抽查")).to_be_visible()
    first = page.locator(f'tr[data-community="{COMMUNITY}"] td')
    expect(first.nth(1)).to_have_text("0")
    expect(first.nth(4)).to_have_text("—")
    fits(page)
    shot(page, "recheck-1-index")

    page.get_by_label("居委", exact=True).select_option(label="华阳一居委")
    expect(page.get_by_label("抽样截至日期")).to_have_value(now_local().date().isoformat())
    page.get_by_role("button", name="抽取样本").click()
    expect(page.get_by_role("heading", name="华阳一居委 · 回访")).to_be_visible()
    expect(page.get_by_text("已从 3 个已排摸单位中抽取 3 个")).to_be_visible()
    expect(page.locator("li.recheck")).to_have_count(3)
    expect(item(page, 1)).to_contain_text("上海某某消防培训中心")  # what the record says, to compare
    expect(item(page, 1)).to_contain_text("灭火器 × 2")
    expect(item(page, 2)).to_contain_text("没有参加过消防培训")
    fits(page)
    shot(page, "recheck-2-sample")

    item(page, 1).get_by_role("button", name="一致", exact=True).click()
    expect(item(page, 1)).to_have_attribute("data-result", "match")
    expect(item(page, 1).locator(".badge")).to_have_text("一致")

    item(page, 2).get_by_label("备注（可不填）").fill("住户说培训没收费")
    item(page, 2).get_by_role("button", name="不一致").click()  # without saying what differs
    expect(item(page, 2).locator(".field-error").first).to_contain_text("请勾选哪里不符")
    expect(item(page, 2)).to_have_attribute("data-result", "todo")
    item(page, 2).get_by_label("培训情况不符").check()
    item(page, 2).get_by_role("button", name="不一致").click()
    expect(item(page, 2)).to_have_attribute("data-result", "mismatch")
    expect(item(page, 2).locator(".badge")).to_have_text("不一致：培训情况不符")
    expect(item(page, 2)).to_contain_text("住户说培训没收费")

    item(page, 3).get_by_role("button", name="未联系上").click()
    expect(item(page, 3)).to_have_attribute("data-result", "unreachable")
    figures = page.locator("#recheck-figures")
    expect(figures).to_contain_text("3 户（一致 1 · 不一致 1 · 未联系上 1）")
    expect(figures).to_contain_text("50.0%")
    fits(page)
    shot(page, "recheck-3-recorded")

    page.get_by_role("link", name="← 回访").click()
    first = page.locator(f'tr[data-community="{COMMUNITY}"] td')
    expect(first.nth(1)).to_have_text("3")  # 抽样
    expect(first.nth(2)).to_have_text("3")  # 已回访
    expect(first.nth(3)).to_have_text("1")  # 不一致
    expect(first.nth(4)).to_have_text("50.0%")  # 一致率
    fits(page)
    shot(page, "recheck-4-figures")
    context.close()

    with live_server.app.app_context():
        mismatch = Recheck.get(Recheck.result == "mismatch")
        signal = QualitySignal.get(QualitySignal.kind == "recheck")
        assert mismatch.signal_id == signal.id and signal.user_id == surveyed["surveyor"].id
        assert mismatch.differs == "training_differs" and mismatch.note == "住户说培训没收费"
        db.close()
