"""Surveying from the roster on a phone in real Chromium (issue 18 item 8): the 居委's surveyor finds its buildings
already laid out by the street's roster, records two units with one tap each and a shop found at the door that is
not on the roster (清单外), and sees 未走访 shrink; the street then adds the 清单外 shop to the roster in one step."""
import pytest
from playwright.sync_api import expect

from domain.roster import imports
from models import db
from tests.browser.phone import overflow, shot, small_tap_targets
from tests.browser.test_offline_browser import (  # noqa: F401 (server is a fixture)
    cached_pages, eventually, go_offline, go_online, log_in as offline_log_in, server, wait_controlled, wait_pending,
)
from tests.conftest import COMMUNITY, PHONE, log_in, make_world

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
    wait_pending(page, 0)  # both records reached the server

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
    wait_pending(page, 0)
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



@pytest.fixture
def rostered_offline(server):
    with server.app.app_context():
        users = make_world(server.app)
        rows = [(n, COMMUNITY, "", f"{BUILDING}{room}", "", "", "") for n, room in enumerate(("101室", "102室", "201室"), 2)]
        imports.apply(users["street"], imports.plan(users["street"], rows))
        db.close()
    return server


def test_the_居委s_roster_travels_with_the_phone_into_a_stairwell(rostered_offline, browser):
    # The 居委's page, opened once with signal, brings every building of its roster along (the service worker
    # keeps them); in the stairwell a building opens and a one-tap record waits in the outbox.
    server = rostered_offline
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    offline_log_in(page, server.url)
    wait_controlled(page)
    page.goto(server.url + f"/survey/?community={COMMUNITY}")
    href = page.get_by_role("link", name=BUILDING).get_attribute("href")
    eventually(lambda: href in set(cached_pages(page)), message="the roster's building was not kept for offline")
    go_offline(page, server)
    page.goto(server.url + href)
    expect(page.locator("li.unit")).to_have_count(3)
    page.locator("li.unit", has_text="101室").get_by_role("button", name="无人在家").click()
    expect(page.locator("li.unit", has_text="101室").locator(".badge").first).to_contain_text("待同步")
    go_online(page, server)
    context.close()
