"""Every page passes axe-core's WCAG 2.2 A/AA rules (issue 12 item 1), in Chromium at a phone's size.

The sweep walks the app's URL map: every GET route that answers HTML, as every role that may open it (public
routes also as an anonymous resident in WeChat's browser), on a live server holding the demo data (domain/demo.py)
plus what the demo lacks (a poster, a report with a photo referred to a department that attached a photo, an
approved institution, an API token), so that pages have content. URL parameters are filled from that data; a
route with a parameter this file has no sample for fails, so a new page cannot escape the sweep. Answers that are
not HTML (photos, QR codes, workbooks, JSON) are recognised by their content type and skipped. A few states the
URL map alone does not reach (the receipt, a search result, the pages a wrong address leads to) are swept too, and
the public pages once more in 长辈模式.

It is marked `engine_independent`: the pages are the same templates over the same data on either database, so
`make test` runs it in the SQLite pass and leaves it out of the PostgreSQL pass (Makefile), where the sweep
(about a minute on two cores) would add nothing but time.
"""
import datetime
import io
import itertools
import time

import pytest
from PIL import Image

from domain.casework import cases, institutions
from domain.common.clock import today_local
from domain.demo import DEMO_COMMUNITIES, DEMO_PASSWORD, DEMO_STREET, load_demo_data
from domain.org import accounts, permissions
from domain.public import approved, posters, reports, uploads
from models import Building, QualitySignal, Survey, Unit, User, db
from tests.browser.axe import axe_violations, describe, element_count
from tests.browser.test_offline_browser import evaluate_soon
from tests.conftest import PHONE, WECHAT_UA, log_in
from tests.test_permissions import QUERY_NAMES_A_RECORD

pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]

# The demo's users, one per role; None is a resident who is not logged in.
ROLE_USERS = {"anonymous": None, "surveyor": "juwei1", "street": "jiezhen", "district": "quban",
              "department": "xiaofang"}
NOT_A_PAGE = {"static"}  # the files themselves; the pages that use them are swept
COMMUNITY = DEMO_COMMUNITIES[0][0]


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def add_what_the_demo_lacks(app):
    """A poster in the first demo 居委, a report from it with a photo, the report's case referred to 消防救援 which
    accepted it with a photo, an approved institution, an API token per user, and 消防救援's tables submitted.
    Returns the URL samples: shared, and by role where scope differs."""
    district = User.get(User.username == "quban")
    poster = posters.create_poster(None, COMMUNITY, "3号楼门厅")
    values, errors = reports.parse_report({
        "kinds": ["door_to_door_fee", "sells_products"], "description": "两个人自称消防员上门，讲了十分钟就要每户买灭火器",
        "institution": "平安消防宣传站", "institution_phone": "13900002222", "place": "3号楼", "amount": "298",
        "happened_on": (today_local() - datetime.timedelta(days=2)).isoformat(), "contact": "13912345678"})
    assert not errors, errors
    report = reports.submit_report(values, [uploads.clean_photo(_jpeg())], app.config["UPLOAD_DIR"], poster)
    view = cases.case_of_report(district, report)
    referral, = cases.refer(district, view, ["xiaofang"], "xiaofang", cases.working_days_after(today_local(), 10))
    jpeg, width, height = uploads.clean_photo(_jpeg())
    event = cases.work(User.get(User.username == "xiaofang"), referral, {"status": "accepted"},
                       [(uploads.save_photo(app.config["UPLOAD_DIR"], jpeg), width, height)])
    approved.add_entry(district, {"name": "上海正规消防培训学校", "credit_code": "91310105MA1FL00000",
                                  "address": "长宁路1号", "phone": "021-62000000", "approval_no": "沪消培001",
                                  "valid_until": ""})
    for user in User.select():
        accounts.issue_token(user)
    suspect = Survey.select().where((Survey.community == COMMUNITY) & Survey.suspect).order_by(Survey.id).first()
    building = Building.select().where(Building.community == COMMUNITY).order_by(Building.id).first()
    institution = institutions.problem_list(today_local())[0]
    shared = {"building_id": building.id, "unit_id": Unit.select().where(Unit.building == building).first().id,
              "survey_id": suspect.id, "code": poster.code, "number": report.number,
              "photo_id": report.photos.get().id, "case_id": view.id, "file_id": event.files.get().id,
              "kind": "trainings", "community": COMMUNITY, "key": institution.key, "table_number": (1, 2, 3)}
    signal = QualitySignal.create(kind="burst", user=suspect.surveyor_id, community=COMMUNITY,
                                  day=suspect.visited_at.date(), starts=suspect.visited_at, ends=suspect.visited_at,
                                  count=1, record_ids=str(suspect.id))
    shared["signal_id"] = signal.id
    submitted = table_entries()
    ordered = demo_orders(district)
    shared["order_id"] = ordered["district"]
    # A street fills in 附件1 and 附件3, a department 附件2 and 附件3 (its own rows); the district sees all three.
    return {"shared": shared, "by_role": {"surveyor": {"order_id": ordered["surveyor"]},
                                          "street": {"submission_id": submitted["jiezhen"], "table_number": (1, 3),
                                                     "order_id": ordered["street"]},
                                          "district": {"submission_id": submitted["jiezhen"],
                                                       "order_id": ordered["district"]},
                                          "department": {"submission_id": submitted["xiaofang"],
                                                         "table_number": (2, 3), "order_id": ordered["department"]}}}


def demo_orders(district):
    """督办 orders each role sees: the district's to the demo street about a 居委's coverage (answered, overdue) and to
    消防救援, the street's to its first 居委. Returns {role: the id of an order it sees}."""
    import uuid

    from domain.supervision import orders
    from models import SupervisionOrder

    def order(user, to, kind, subject, request):
        values, errors = orders.parse_order({"client_uuid": str(uuid.uuid4()), "to": to, "request": request,
                                             "subject": {"kind": kind, "id": subject},
                                             "due": today_local().isoformat()})
        assert not errors, errors
        return orders.issue(user, values)[0]

    street = User.get(User.username == "jiezhen")
    to_street = order(district, DEMO_STREET, "community", COMMUNITY, "未走访单位较多，请组织补访")
    orders.answer(street, to_street, "已组织楼组长逐户补访")
    yesterday = today_local() - datetime.timedelta(days=1)
    SupervisionOrder.update(due=yesterday).where(SupervisionOrder.id == to_street.id).execute()
    to_community = order(street, COMMUNITY, "other", "", "请把拒访户再走访一次")
    to_department = order(district, "xiaofang", "other", "", "请加快核查移交的案件")
    return {"surveyor": to_community.id, "street": to_street.id, "district": to_street.id,
            "department": to_department.id}


def table_entries():
    """The demo has the campaign, 附件2 and 附件3 entries, a sample and the street's two submissions; 消防救援 submits
    its tables too. Returns {username: the last submission's id}."""
    from domain.reporting import submissions
    from models import Submission

    fire = User.get(User.username == "xiaofang")
    mine = submissions.submit(fire, permissions.own_scope(fire), today_local())[0]
    street = Submission.select().where(Submission.street == DEMO_STREET).order_by(Submission.id.desc()).first()
    return {"jiezhen": street.id, "xiaofang": mine.id}


@pytest.fixture
def demo_server(live_server):
    app = live_server.app
    with app.app_context():
        assert load_demo_data(app.config["PASSWORD_HASH_METHOD"])
        samples = add_what_the_demo_lacks(app)
        db.close()
    return live_server, samples


def samples_of(samples, role):
    return {**samples["shared"], **samples["by_role"].get(role, {})}


def get_routes(app, role):
    """(endpoint, rule) of every GET route the role may open: public ones for everyone, the others by rule."""
    user = User.get(User.username == ROLE_USERS[role]) if ROLE_USERS[role] else None
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_A_PAGE or "GET" not in rule.methods:
            continue
        permission = app.view_functions[rule.endpoint].permission
        if permission == permissions.PUBLIC or (user is not None and permissions.can(user, permission)):
            found.append((rule.endpoint, rule))
    return sorted(found, key=lambda r: r[1].rule)


def urls_of(app, endpoint, rule, samples):
    """The route's URLs with its parameters filled from the samples; a tuple of samples is one URL each (the
    three tables)."""
    missing = [name for name in rule.arguments if name not in samples]
    assert not missing, (f"tests/browser/test_axe_sweep.py has no sample for {missing} of {rule.rule}: add one to "
                         f"add_what_the_demo_lacks, so that the page is swept")
    query = {name: samples[name] for name in ("community", "key")} if endpoint in QUERY_NAMES_A_RECORD else {}
    names = sorted(rule.arguments)
    choices = [samples[name] if isinstance(samples[name], tuple) else (samples[name],) for name in names]
    with app.test_request_context():
        from flask import url_for

        return [url_for(endpoint, **dict(zip(names, values)), **query) for values in itertools.product(*choices)]


def extra_pages(role, samples, routes):
    """States of pages the URL map does not name: the receipt, search results, wrong addresses; for a resident
    then all of it again in 长辈模式 (the cookie set by its switch stays for the rest of the sweep)."""
    number = samples["number"]
    if role != "anonymous":
        return ["/nowhere"]
    states = [f"/r/status?number={number}&received=1", f"/r/status?number={number}", "/r/status?number=X-NOPE",
              "/check?q=上海正规消防培训学校", "/check?q=上海", "/check?q=安居", "/r/NOPE42", "/nowhere"]
    return states + [f"/r/mode?large=1&next=/r/{samples['code']}"] + sorted(routes) + states


def load(page, url, role):
    page.goto(url)
    if role == "surveyor":
        # The sync bar is drawn by static/js/outbox.js once the outbox is read: sweep it as the worker sees it.
        evaluate_soon(page, "document.getElementById('outbox-status') === null || "
                            "!document.getElementById('outbox-status').hidden")


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_every_page_passes_axe(demo_server, browser, role):
    server, samples = demo_server
    samples = samples_of(samples, role)
    app = server.app
    started = time.monotonic()
    agent = {"user_agent": WECHAT_UA} if role == "anonymous" else {}
    context = browser.new_context(**{**PHONE, **agent}, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    if ROLE_USERS[role]:
        log_in(page, server.url, ROLE_USERS[role], DEMO_PASSWORD)
        assert "/login" not in page.url, f"{role} could not log in"
    with app.app_context():
        routes = {url for endpoint, rule in get_routes(app, role) for url in urls_of(app, endpoint, rule, samples)}
        db.close()
    problems, swept, skipped, fragments = [], [], [], []
    rules, elements = set(), 0
    for url in sorted(routes) + extra_pages(role, samples, routes):
        answer = context.request.get(server.url + url, max_redirects=5)
        if answer.status >= 500 or (url in routes and answer.status >= 400):
            problems.append(f"{url}: answered {answer.status} to {role}")
        if not answer.headers.get("content-type", "").startswith("text/html"):
            skipped.append(url)
            continue
        if not answer.text().lstrip()[:15].lower().startswith("<!doctype html"):
            # An htmx fragment (a unit's row, one more training block): not a page anyone opens, swept inside the
            # pages that include it (the building page, the edit form of a record with trainings and purchases).
            fragments.append(url)
            continue
        load(page, server.url + url, role)
        found = axe_violations(page)
        swept.append(url)
        problems += describe(f"{url} ({role})", found)
        rules |= {v["id"] for v in found}
        elements += element_count(found)
    context.close()
    print(f"\naxe sweep as {role}: {len(swept)} pages in {time.monotonic() - started:.1f} s, "
          f"violations of {sorted(rules)} on {elements} elements; "
          f"fragments: {fragments}; not HTML: {skipped}")
    assert swept, "nothing swept?"
    assert not problems, "\n".join(problems)
