"""Real Chromium on a phone: the installable app and its outbox (issue 5). A worker records units with no
signal, with the server down and with an expired session; every record reaches the server exactly once."""
import json
import re
import time

import pytest
from flask import abort
from playwright.sync_api import expect

import blueprints.pwa as pwa
from domain.survey.store import survey_as_dict
from domain.survey.units import floor_addresses, lay_out_building
from models import Org, Survey, Unit, UserSession, db
from tests.conftest import (
    COMMUNITY, OTHER_COMMUNITY, PASSWORD, PHONE, log_in as log_in_as, make_world, start_live_server,
)

pytestmark = pytest.mark.browser

BUILDING = "长宁路1弄1号楼"


@pytest.fixture
def server(live_server):
    """The live app, with a switch that makes it unreachable for the phone (see go_offline)."""
    live_server.unreachable = False

    @live_server.app.before_request
    def behave_as_unreachable():
        if live_server.unreachable:
            abort(503)

    return live_server


@pytest.fixture
def building(server):
    """The surveyor's 居委 with a building of 20 households laid out; returns [(unit id, address)]."""
    with server.app.app_context():
        users = make_world(server.app)
        community = Org.get(Org.code == COMMUNITY)
        built, _ = lay_out_building(users["surveyor"], community, BUILDING, floor_addresses(BUILDING, 5, 4))
        rows = [(u.id, u.address) for u in Unit.select().where(Unit.building == built).order_by(Unit.position)]
        db.close()
    return {"id": built.id, "units": rows}


def eventually(check, timeout=20.0, message="condition not met"):
    """Poll `check` until it returns something truthy (a condition, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.1)


def stored_surveys(app):
    with app.app_context():
        rows = [(s.unit.address, s.outcome, s.client_uuid) for s in Survey.select().order_by(Survey.id)]
        db.close()
    return rows


def log_in(page, url):
    log_in_as(page, url, "surveyor")
    page.wait_for_url("**/survey/**")


def evaluate_soon(page, expression, arg=None, timeout=20.0, message=None):
    """Poll a page expression until truthy. (wait_for_function evaluates a string, which the app's CSP
    forbids; `evaluate` goes through the debugger protocol.) A navigation in between just polls again."""
    def check():
        try:
            return page.evaluate(expression, arg)
        except Exception as exc:  # the page navigated while evaluating
            if "context was destroyed" in str(exc) or "navigat" in str(exc):
                return False
            raise
    return eventually(check, timeout, message or expression)


def wait_controlled(page):
    evaluate_soon(page, "navigator.serviceWorker.controller !== null")


def cached_pages(page):
    return page.evaluate("caches.open('paimo-pages').then(c => c.keys())"
                         ".then(keys => keys.map(r => new URL(r.url).pathname))")


def open_building_for_offline(page, url, building):
    """Open the building page under the service worker and wait until it and its record forms are cached."""
    page.goto(f"{url}/survey/buildings/{building['id']}")
    wanted = {f"/survey/buildings/{building['id']}", "/survey/today", "/survey/form/trainings"}
    wanted |= {f"/survey/units/{unit_id}/record" for unit_id, _ in building["units"]}
    eventually(lambda: wanted <= set(cached_pages(page)), message="pages not cached for offline use")


def go_offline(page, server):
    """Cut the phone's network. Chromium's offline emulation has a gap: right after a document loads
    from the service worker's cache, a fetch can still go out (seen about one run in six). A phone
    without signal has no such gap, so the server also refuses everything until go_online."""
    page.context.set_offline(True)
    server.unreachable = True


def go_online(page, server):
    server.unreachable = False
    page.context.set_offline(False)


def wait_pending(page, count):
    evaluate_soon(page, "n => (document.getElementById('outbox-status') || {dataset: {}}).dataset.pending"
                        " === String(n)", count, message=f"{count} records should wait in the outbox")


def tap(page, unit_id, button):
    row = page.locator(f"#unit-{unit_id}")
    row.get_by_role("button", name=button).click()
    return row


def record_full_visit(page, unit_id):
    """详细登记 with one door-to-door training that sold an extinguisher (flags: 推销产品, 上门收费, 冒充身份)."""
    page.locator(f"#unit-{unit_id}").get_by_role("link", name="详细登记").click()
    page.wait_for_url(f"**/survey/units/{unit_id}/record")
    page.get_by_role("button", name="增加一条培训").click()
    page.get_by_label("机构名称").fill("上海某某消防培训中心")
    page.get_by_label("机构联系电话").fill("021-6000 0000")
    page.get_by_label("培训人员身份").select_option("firefighter")
    page.get_by_label("培训方式").select_option("door_to_door")
    page.get_by_label("收费（元）").fill("200")
    page.get_by_label("培训中推销了消防产品").check()
    page.get_by_role("button", name="增加一项购买").click()
    page.locator("#purchase-0").get_by_label("灭火器").check()
    page.get_by_label("数量").fill("2")
    page.get_by_label("金额（元）").fill("560")
    page.get_by_label("购买渠道").select_option("training")
    page.get_by_label("在哪条培训上买的").select_option("0")
    page.get_by_label("有3C标志").select_option("false")
    page.get_by_role("button", name="保存记录").click()


def test_twenty_units_recorded_offline_reach_the_server_once(server, building, phone):
    log_in(phone, server.url)
    wait_controlled(phone)
    open_building_for_offline(phone, server.url, building)
    units = building["units"]
    expected = {}

    go_offline(phone, server)
    for i, (unit_id, address) in enumerate(units[:14]):
        outcome, button = [("surveyed", "已排摸·无培训无购买"), ("absent", "无人在家"), ("refused", "拒绝配合")][i % 3]
        row = tap(phone, unit_id, button)
        expected[address] = outcome
        expect(row.locator(".badge")).to_contain_text("待同步")
        if i == 6:
            phone.reload()  # offline: the service worker serves the page, the outbox keeps the records
            wait_pending(phone, 7)
    for unit_id, address in units[14:]:
        record_full_visit(phone, unit_id)
        phone.wait_for_url(f"**/survey/buildings/{building['id']}#unit-{unit_id}")  # back at the unit
        expected[address] = "surveyed"
    wait_pending(phone, 20)
    phone.reload()
    wait_pending(phone, 20)

    phone.goto(server.url + "/survey/today")  # still offline: the cached list plus the waiting records
    expect(phone.locator("#today-list li.record .outbox-mark", has_text="待同步")).to_have_count(20)
    assert stored_surveys(server.app) == []

    go_online(phone, server)
    wait_pending(phone, 0)
    stored = stored_surveys(server.app)
    assert len(stored) == 20 and len({uuid for _, _, uuid in stored}) == 20
    assert {address: outcome for address, outcome, _ in stored} == expected

    with server.app.app_context():
        full = [survey_as_dict(s) for s in Survey.select().where(Survey.unit.in_([u for u, _ in units[14:]]))]
        db.close()
    assert len(full) == 6
    for record in full:
        (training,) = record["trainings"]
        assert set(training["flags"]) >= {"sells_products", "door_to_door_fee", "impersonation"}
        assert training["suspect"] and training["fee"] == "200.00"
        (purchase,) = record["purchases"]
        assert (purchase["product"], purchase["quantity"], purchase["amount"]) == ("fire_extinguisher", 2, "560.00")
        assert (purchase["training"], purchase["ccc_mark"], purchase["id_label"]) == (0, False, None)
    assert phone.locator("#today-list li.record .outbox-mark", has_text="待同步").count() == 0


def test_records_made_while_the_server_is_down_arrive_once_after_restart(server, building, phone):
    log_in(phone, server.url)
    wait_controlled(phone)
    open_building_for_offline(phone, server.url, building)
    units = building["units"]
    for unit_id, _ in units[:2]:
        expect(tap(phone, unit_id, "已排摸·无培训无购买").locator(".badge")).to_have_text("已排摸")
    assert len(stored_surveys(server.app)) == 2

    port = int(server.url.rsplit(":", 1)[1])
    server.stop()
    tap(phone, units[2][0], "无人在家")
    tap(phone, units[3][0], "已排摸·无培训无购买")
    wait_pending(phone, 2)
    phone.reload()  # the server is down: the page comes from the service worker
    tap(phone, units[4][0], "拒绝配合")
    record_full_visit(phone, units[5][0])
    phone.wait_for_url(f"**/survey/buildings/{building['id']}#unit-{units[5][0]}")
    wait_pending(phone, 4)
    phone.get_by_role("button", name="立即同步").click()  # still down: they stay
    wait_pending(phone, 4)

    restarted = start_live_server(server.app, port=port)
    server.server, server.thread = restarted.server, restarted.thread
    phone.get_by_role("button", name="立即同步").click()  # (or the outbox's own timer got there first)
    wait_pending(phone, 0)
    stored = stored_surveys(server.app)
    assert sorted(address for address, _, _ in stored) == sorted(address for _, address in units[:6])


def test_records_kept_through_an_expired_session_arrive_after_logging_in(server, building, phone):
    log_in(phone, server.url)
    wait_controlled(phone)
    open_building_for_offline(phone, server.url, building)
    with server.app.app_context():
        UserSession.delete().execute()  # the working day ended on the server
        db.close()
    units = building["units"]
    for unit_id, _ in units[:3]:
        tap(phone, unit_id, "已排摸·无培训无购买")
    wait_pending(phone, 3)
    status = phone.locator("#outbox-status")
    status.get_by_text("登录已过期").wait_for()
    assert stored_surveys(server.app) == []

    status.get_by_role("link", name="请重新登录").click()
    phone.wait_for_url("**/login**")
    phone.get_by_label("用户名").fill("surveyor")
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(f"**/survey/buildings/{building['id']}")
    wait_pending(phone, 0)
    stored = stored_surveys(server.app)
    assert sorted(address for address, _, _ in stored) == sorted(address for _, address in units[:3])
    assert "登录已过期" not in status.inner_text()


def test_app_is_installable_and_the_service_worker_controls_it(server, building, phone):
    log_in(phone, server.url)
    wait_controlled(phone)
    phone.reload()
    assert phone.evaluate("navigator.serviceWorker.controller.scriptURL") == server.url + "/sw.js"
    manifest = phone.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["short_name"] == "排摸通" and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    assert any(icon["purpose"] == "maskable" for icon in manifest["icons"])
    # Chromium's own installability check, less what a test browser cannot be (its profile is incognito).
    cdp = phone.context.new_cdp_session(phone)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []


def test_replies_are_sorted_stale_token_portal_page_refused_record(server, building, browser):
    """A stale CSRF token is refreshed; a captive portal's HTML 200 is no confirmation; a refused record
    waits, with the server's message, for the worker to fix it; logging out warns while records wait."""
    context = browser.new_context(**PHONE, locale="zh-CN", service_workers="block")
    phone = context.new_page()
    try:
        log_in(phone, server.url)
        phone.goto(f"{server.url}/survey/buildings/{building['id']}")
        units = building["units"]

        phone.evaluate("document.querySelector('meta[name=csrf-token]').content = 'stale-token'")
        row = tap(phone, units[0][0], "已排摸·无培训无购买")
        expect(row.locator(".badge")).to_have_text("已排摸")  # no longer 待同步: confirmed by the server
        assert len(stored_surveys(server.app)) == 1

        portal_hits = []

        def captive_portal(route):
            portal_hits.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body="<html><body>请先连接 Wi-Fi 认证</body></html>")

        phone.route("**/api/v1/surveys", captive_portal)
        tap(phone, units[1][0], "无人在家")
        evaluate_soon(phone, "paimoOutbox.entries().then(e => e.length === 1 && e[0].attempts >= 1)")
        wait_pending(phone, 1)
        assert portal_hits and len(stored_surveys(server.app)) == 1

        dialogs = []
        phone.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        phone.get_by_role("button", name="退出").click()
        assert "1 条记录没有上传" in dialogs[0]
        assert phone.url.endswith(f"/survey/buildings/{building['id']}")

        phone.unroute("**/api/v1/surveys")
        phone.get_by_role("button", name="立即同步").click()
        wait_pending(phone, 0)
        assert len(stored_surveys(server.app)) == 2

        # A page that names a 居委 the worker no longer serves: the server refuses the record (422).
        phone.evaluate("c => document.querySelectorAll('#unit-%d input[name=community]').forEach(i => i.value = c)"
                       % units[2][0], OTHER_COMMUNITY)
        tap(phone, units[2][0], "拒绝配合")
        phone.locator("#outbox-status").get_by_text("1 条记录需要修改").wait_for()
        phone.locator("#outbox-status").get_by_role("link", name="去处理").click()
        item = phone.locator("#today-list li.record", has_text=units[2][1])
        expect(item.locator(".outbox-mark")).to_have_text("需修改")
        expect(item).to_contain_text("这个居委不在您负责的范围内")
        item.get_by_label("居委代码").fill(COMMUNITY)
        item.get_by_role("button", name="改好了，重新上传").click()
        expect(item.locator(".outbox-mark")).to_have_text("已同步")
        stored = stored_surveys(server.app)
        assert len(stored) == 3 and stored[-1][:2] == (units[2][1], "refused")
    finally:
        context.close()


def test_a_new_version_is_offered_and_old_caches_go(server, building, phone, monkeypatch):
    def version():
        with server.app.test_client() as client:
            code = client.get("/sw.js").get_data(as_text=True)
        return json.loads(re.match(r"self\.PAIMO = (.*);\n", code).group(1))["version"]

    log_in(phone, server.url)
    wait_controlled(phone)
    old = version()
    evaluate_soon(phone, "v => caches.keys().then(k => k.includes('paimo-static-' + v))", old)

    with server.app.test_request_context():
        renamed = pwa.manifest_json().replace("冒牌消防培训排摸", "冒牌消防培训排摸（新版）")
    monkeypatch.setattr(pwa, "manifest_json", lambda: renamed)  # a deployment that changed the app
    new = version()
    assert new != old
    phone.reload()
    banner = phone.locator("#update-banner")
    expect(banner).to_contain_text("有新版本")
    banner.get_by_role("button", name="刷新使用新版本").click()
    evaluate_soon(phone, "v => caches.keys().then(k => k.includes('paimo-static-' + v[1])"
                         " && !k.includes('paimo-static-' + v[0]))", [old, new])
    expect(phone.locator("#update-banner")).to_have_count(0)
