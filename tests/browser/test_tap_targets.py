"""Every link, button and form control a worker taps on the survey pages (nav, sync bar and 下一户 bar
included) is at least 44×44 CSS px on a phone (WCAG 2.5.5, issue 8 item 5)."""
import pytest

from domain.survey.units import floor_addresses, lay_out_building
from models import Org, Survey, Unit, db
from tests.browser.test_offline_browser import evaluate_soon, wait_controlled
from tests.conftest import COMMUNITY, log_in, make_world, negative_body, survey_body

# What is measured here (sizes, layout, CSS, ARIA, CSP) is the markup, the same over either database: run once.
pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]

MIN = 44

# What can be tapped; a checkbox or radio button is tapped through its label, which is measured instead.
MEASURE = """() => {
  const seen = new Set(), small = [];
  const tappable = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex="-1"])');
  for (const element of tappable) {
    const target = element.matches('input[type=checkbox], input[type=radio]') ? (element.closest('label') || element) : element;
    if (seen.has(target)) continue;
    seen.add(target);
    const box = target.getBoundingClientRect();
    const style = getComputedStyle(target);
    if (box.width === 0 && box.height === 0 || style.visibility === 'hidden' || style.display === 'none') continue;
    if (box.width < %d - 0.01 || box.height < %d - 0.01) {
      small.push(`${target.tagName.toLowerCase()} "${(target.innerText || target.value || target.name || '').trim().slice(0, 30)}" ` +
                 `${Math.round(box.width * 10) / 10}×${Math.round(box.height * 10) / 10}`);
    }
  }
  return {count: seen.size, small: small};
}""" % (MIN, MIN)


@pytest.fixture
def day(live_server):
    """A 居委 mid-survey: a building with units in every state (one with red flags), a shop, and records."""
    app = live_server.app
    with app.app_context():
        users = make_world(app)
        surveyor = users["surveyor"]
        community = Org.get(Org.code == COMMUNITY)
        building, _ = lay_out_building(surveyor, community, "9号楼", floor_addresses("9号楼", 3, 2))
        from domain.survey.form import visit_time
        from domain.survey.record import parse_record
        from domain.survey.store import store_record

        def record(body):
            cleaned, errors = parse_record({**body, "visited_at": visit_time()})
            assert not errors, errors
            return store_record(surveyor, cleaned)[0]

        positive = record(survey_body(unit={"type": "household", "address": "9号楼 101室"}))
        record(negative_body(address="9号楼 102室", outcome="absent"))
        record(negative_body(address="9号楼 201室"))
        record(survey_body(unit={"type": "shop", "address": "长宁路100号", "name": "某某便利店"}))
        found = {"building": building.id, "record": positive.id,
                 "unit": Unit.get(Unit.address == "9号楼 101室").id, "fresh": Unit.get(Unit.address == "9号楼 202室").id,
                 "refused_uuid": Survey.get(Survey.unit == Unit.get(Unit.address == "9号楼 102室")).client_uuid}
        db.close()
    return found


def measure(page, where):
    result = page.evaluate(MEASURE)
    assert result["count"] > 0, f"nothing to tap on {where}?"
    return [f"{where}: {item}" for item in result["small"]]


def test_every_tappable_element_of_the_survey_pages_is_44_px(live_server, day, phone):
    url = live_server.url
    log_in(phone, url, "surveyor")
    wait_controlled(phone)
    # A record waiting on the phone in conflict with the stored one: the sync bar's 去处理 and the conflict screen.
    phone.evaluate("""uuid => new Promise((resolve, reject) => {
      const open = indexedDB.open('paimo', 1);
      open.onsuccess = () => {
        const tx = open.result.transaction('outbox', 'readwrite');
        tx.objectStore('outbox').put({client_uuid: uuid, status: 'conflict', attempts: 1, next_try: 0, created_at: Date.now(),
          errors: {client_uuid: '记录冲突'}, body: {client_uuid: uuid, community: '%s', outcome: 'refused', trainings: [],
          purchases: [], note: '', visited_at: '2023-03-20T10:15:00+08:00', unit: {type: 'household', address: '9号楼 102室'}}});
        tx.oncomplete = resolve; tx.onerror = reject;
      };
    })""" % COMMUNITY, day["refused_uuid"])
    too_small = []
    pages = [
        ("/survey/", None),
        (f"/survey/buildings/{day['building']}", None),
        (f"/survey/buildings/{day['building']}?show=not_visited", None),
        (f"/survey/buildings/{day['building']}?saved={day['unit']}", "#saved-bar a"),
        (f"/survey/units/{day['fresh']}/record", "add blocks"),
        (f"/survey/records/{day['record']}", None),
        (f"/survey/records/{day['record']}/edit", None),
        ("/survey/today", None),
        ("/survey/progress", None),
        ("/survey/conflicts", "section.conflict button"),
        ("/profile", None),
        ("/offline", None),
    ]
    for path, wait_for in pages:
        phone.goto(url + path)
        phone.wait_for_load_state("networkidle")
        evaluate_soon(phone, "document.getElementById('outbox-status') === null || "
                             "!document.getElementById('outbox-status').hidden")
        if wait_for == "add blocks":
            phone.get_by_role("button", name="增加一条培训").click()
            phone.get_by_role("button", name="增加一项购买").click()
            phone.locator("fieldset.purchase").wait_for()
        elif wait_for:
            phone.locator(wait_for).first.wait_for()
        too_small += measure(phone, path)
    phone.goto(url + "/survey/")
    phone.once("dialog", lambda dialog: dialog.accept())  # a record still waits on the phone: log out anyway
    phone.get_by_role("button", name="退出").click()
    phone.wait_for_url("**/login")
    log_in(phone, url, "street")
    phone.goto(url + f"/survey/?community={COMMUNITY}")
    too_small += measure(phone, "/survey/ (street)")
    assert too_small == []


def test_the_nav_and_sync_bar_are_tall_enough_on_the_first_page(live_server, day, phone):
    """The figures of the issue, measured where the worker lands after logging in."""
    log_in(phone, live_server.url, "surveyor")
    phone.wait_for_url("**/survey/")
    for name in ("排摸", "今日记录", "进度"):
        box = phone.locator(".top nav").get_by_role("link", name=name, exact=True).bounding_box()
        assert box["height"] >= MIN and box["width"] >= MIN, (name, box)
    box = phone.get_by_role("button", name="立即同步").bounding_box()
    assert box["height"] >= MIN and box["width"] >= MIN
