"""Surveying from the roster on a phone in real Chromium (issue 18 item 8): the 居委's surveyor finds its buildings
already laid out by the street's roster, records two units with one tap each and a shop found at the door that is
not on the roster (清单外), and sees 未走访 shrink; the street then adds the 清单外 shop to the roster in one step."""
import pytest
from playwright.sync_api import expect

from domain.roster import imports
from models import db
from tests.browser.phone import overflow, shot, small_tap_targets
from tests.conftest import COMMUNITY, PHONE, log_in

pytestmark = pytest.mark.browser

BUILDING = "仙霞路350弄3号"


@pytest.fixture
def rostered(live_server, live_world):
    with live_server.app.app_context():
        rows = [(n, COMMUNITY, "", f"{BUILDING}{room}", "", "", "") for n, room in enumerate(("101室", "102室", "201室"), 2)]
        planned = imports.plan(live_world["street"], rows)
        imports.apply(live_world["street"], planned)
        db.close()
    return live_world


def unit_row(page, text):
    return page.locator("li.unit", has_text=text)


def test_a_surveyor_records_from_the_roster_and_the_street_adds_what_was_off_it(live_server, rostered, browser):
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, "surveyor")
    page.goto(live_server.url + f"/survey/?community={COMMUNITY}")
    building = page.get_by_role("link", name=BUILDING)
    expect(building).to_contain_text("未走访 3")
    shot(page, "roster-survey-1-buildings")
    building.click()
    expect(page.locator("li.unit")).to_have_count(3)
    unit_row(page, "101室").get_by_role("button", name="已排摸·无培训无购买").click()
    expect(unit_row(page, "101室")).to_have_attribute("data-state", "surveyed")
    unit_row(page, "102室").get_by_role("button", name="无人在家").click()
    expect(unit_row(page, "102室")).to_have_attribute("data-state", "absent")
    assert overflow(page) <= 0 and not small_tap_targets(page), small_tap_targets(page)
    shot(page, "roster-survey-2-building")

    page.goto(live_server.url + f"/survey/?community={COMMUNITY}")
    expect(page.get_by_role("link", name=BUILDING)).to_contain_text("未走访 1")
    page.get_by_label("单位类型").select_option(label="沿街商铺")
    page.get_by_label("地址", exact=True).fill("长宁路100号")
    page.get_by_role("button", name="添加", exact=True).click()
    shop = unit_row(page, "长宁路100号")
    expect(shop).to_contain_text("清单外")
    shop.get_by_role("button", name="已排摸·无培训无购买").click()
    expect(shop).to_have_attribute("data-state", "surveyed")
    assert overflow(page) <= 0 and not small_tap_targets(page), small_tap_targets(page)
    shot(page, "roster-survey-3-off-roster")
    context.close()

    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, "street")
    page.goto(live_server.url + "/roster/")
    expect(page.get_by_role("heading", name="清单外单位（1）")).to_be_visible()
    expect(page.get_by_label("华阳一居委 · 长宁路100号")).to_be_checked()
    first = page.locator(f'tr[data-community="{COMMUNITY}"] td')
    expect(first.nth(1)).to_have_text("3")  # 底数
    expect(first.nth(6)).to_have_text("1")  # 清单外
    page.get_by_role("button", name="加入底数清单").click()
    expect(page.get_by_text("已把 1 个清单外单位加入底数清单")).to_be_visible()
    first = page.locator(f'tr[data-community="{COMMUNITY}"] td')
    expect(first.nth(1)).to_have_text("4")
    expect(first.nth(3)).to_have_text("2")  # 已排摸: 101室 and the shop
    expect(first.nth(5)).to_have_text("1")  # 未走访: 201室
    expect(first.nth(6)).to_have_text("0")
    expect(first.nth(7)).to_have_text("50.0")
    assert overflow(page) <= 0 and not small_tap_targets(page), small_tap_targets(page)
    shot(page, "roster-survey-4-street")
    context.close()
