"""Who may do what, proven over the whole URL map (design section 3; issue 9 item 6).

Every route must say who may use it (`@requires(action)` or `@public`, blueprints/guard.py; the rules in domain/org/permissions.py). Then, for every route
and every role, a request with a record inside the user's scope is answered (anything but 403/404/500) when
permissions.can says the role may, and 404 when it may not; a record outside the user's scope is 404. A new
route without a rule, or with a URL parameter this test has no sample for, fails here.
"""
import datetime
import io
import uuid

import pytest
from PIL import Image

from domain.casework import cases, institutions
from domain.common.clock import now_local, today_local
from domain.org import accounts, permissions
from domain.public import approved, posters, reports, uploads
from domain.survey.record import parse_record
from domain.survey.store import store_record
from domain.survey.units import floor_addresses, lay_out_building
from models import Org, QualitySignal, Survey, User
from tests.conftest import COMMUNITY, OTHER_COMMUNITY, make_world

ROLES = ("surveyor", "street", "district", "department")
NOT_A_PAGE = {"static"}  # Flask's own static files: public by nature, cached by the service worker
# Routes whose query string (not their path) names a record: ?community= or ?key=.
QUERY_NAMES_A_RECORD = {"posters.print_all", "tables.institution"}
NOT_A_RECORD = {"kind", "table_number"}  # a poster's kind of file, a table's number (附件1-3)


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(out, "JPEG")
    return out.getvalue()


def _place(app, users, community, institution):
    """A building, a suspect survey record, a poster and a report with a photo in one 居委."""
    org = Org.get(Org.code == community)
    building, _ = lay_out_building(None, org, "1号楼", floor_addresses("1号楼", 1, 2))
    unit = building.units.first()
    surveyor = users["surveyor" if community == COMMUNITY else "other_surveyor"]
    record, errors = parse_record({
        "client_uuid": str(uuid.uuid4()), "community": community,
        "unit": {"type": "household", "address": unit.address},
        "visited_at": (now_local() - datetime.timedelta(hours=1)).isoformat() + "+08:00", "outcome": "surveyed",
        "trainings": [{"institution": institution, "institution_phone": "", "trainer_identity": "institution",
                       "mode": "door_to_door", "fee": "100", "products_pitched": True}],
        "purchases": [{"product": "fire_blanket", "quantity": 1, "amount": "298", "channel": "training",
                       "training": 0, "sample_available": True}]})
    assert not errors, errors
    survey, _ = store_record(surveyor, record)
    poster = posters.create_poster(None, community, "门厅")
    values, _ = reports.parse_report({"kinds": ["door_to_door_fee"], "description": "上门收费", "institution": ""})
    cleaned = [uploads.clean_photo(_jpeg())]
    report = reports.submit_report(values, cleaned, app.config["UPLOAD_DIR"], poster)
    key = next(i.key for i in institutions.problem_list(now_local().date()) if institution in i.names)
    signal = QualitySignal.create(kind="burst", user=surveyor, community=community, day=survey.visited_at.date(),
                                  starts=survey.visited_at, ends=survey.visited_at, count=1,
                                  record_ids=str(survey.id))
    return {"survey_id": survey.id, "unit_id": unit.id, "building_id": building.id, "code": poster.code,
            "number": report.number, "photo_id": report.photos.get().id, "community": community,
            "institution": key, "kind": "trainings", "signal_id": signal.id}


@pytest.fixture
def samples(app, world):
    """Records inside and outside each role's scope, keyed by URL parameter name."""
    with app.app_context():
        inside = _place(app, world, COMMUNITY, "华阳消防培训中心")
        outside = _place(app, world, OTHER_COMMUNITY, "江苏消防培训中心")
        district = world["district"]
        # The 华阳 report's case is referred to the department of the `department` user (区消防救援支队), which
        # attaches a photo to a step; the 江苏 one's to 区市场监管局, which does the same.
        for place, department in ((inside, "xiaofang"), (outside, "shichang")):
            view = cases.case_of_report(district, reports.report_by_number(place["number"]))
            referral, = cases.refer(district, view, [department], department, today_local())
            worker = User(role="department", department=department)
            jpeg, width, height = uploads.clean_photo(_jpeg())
            photo = (uploads.save_photo(app.config["UPLOAD_DIR"], jpeg), width, height)
            event = cases.work(worker, referral, {"status": "accepted"}, [photo])
            place.update(case_id=view.id, referral_id=referral.id, file_id=event.files.get().id)
        entry = approved.add_entry(district, {"name": "上海正规消防培训学校", "credit_code": "", "address": "",
                                              "phone": "", "approval_no": "", "valid_until": ""})
        decision = institutions.merge(district, "n:华阳消防培训中心", "n:江苏消防培训中心")
        institutions.undo(district, decision.id)
        decision = institutions.merge(district, "n:甲", "n:乙")
        tokens = {name: accounts.issue_token(user)[0].id for name, user in world.items()}
        entries = _entries(world, inside["survey_id"])
        orders = _orders(world)
    shared = {"entry_id": entry.id, "decision_id": decision.id, "token_id": tokens["surveyor"], "table_number": 3,
              **entries["inside"], **orders["inside"]}
    return {"inside": {**inside, **shared},
            "outside": {**outside, "table_number": 3, **entries["outside"], **orders["outside"]}, "tokens": tokens,
            "by_role": {role: {**entries["by_role"].get(role, {}), **orders["by_role"][role]} for role in ROLES}}


def _entries(world, survey_id):
    """附件2 and 附件3 entries, a survey sample and submissions of the street, the department and others."""
    from domain.reporting import actions, spot_checks, submissions
    from models import SpotCheck

    today = now_local().date()

    def action(user):
        values, errors = actions.parse_action({"client_uuid": str(uuid.uuid4()), "org": actions.own_org(user),
                                               "date": today.isoformat(), "inspectors": 3})
        assert not errors, errors
        return actions.store_action(user, values)[0].id

    def submission(user):
        return submissions.submit(user, permissions.own_scope(user), today)[0].id

    department = world["department"]
    values, errors = spot_checks.parse_spot_check({
        "client_uuid": str(uuid.uuid4()), "department": "xiaofang", "channel": "in_use", "product": "fire_blanket",
        "date": today.isoformat(), "batches": 2})
    assert not errors, errors
    spot_check = spot_checks.store_spot_check(department, values)[0].id
    other_spot_check = SpotCheck.create(department="shichang", channel="store", product="fire_blanket", date=today,
                                        batches=1, body_hash="-").id
    sample = spot_checks.collect_sample(department, survey_id, 0, today)[0].id
    street = {"submission_id": submission(world["street"]), "action_id": action(world["street"])}
    return {"inside": {**street, "spot_check_id": spot_check, "sample_id": sample},
            "outside": {"submission_id": submission(world["other_street"]), "action_id": action(world["other_street"]),
                        "spot_check_id": other_spot_check, "sample_id": -1},
            "by_role": {"department": {"submission_id": submission(department), "action_id": action(department)}}}


def _orders(world):
    """督办 orders each role sees (its org issued them or received them), and one between others it must not see."""
    from domain.supervision import orders

    def order(user, to, kind="other", subject=""):
        values, errors = orders.parse_order({"client_uuid": str(uuid.uuid4()), "to": to, "request": "请整改",
                                             "subject": {"kind": kind, "id": subject},
                                             "due": now_local().date().isoformat()})
        assert not errors, errors
        return orders.issue(user, values)[0].id

    to_street = order(world["district"], world["street"].org_id, "community", COMMUNITY)
    to_community = order(world["street"], COMMUNITY)
    to_department = order(world["district"], "xiaofang")
    between_others = order(world["other_street"], OTHER_COMMUNITY)
    return {"inside": {"order_id": to_street}, "outside": {"order_id": between_others},
            "by_role": {"surveyor": {"order_id": to_community}, "street": {"order_id": to_street},
                        "district": {"order_id": to_street}, "department": {"order_id": to_department}}}


def routes(app):
    """(rule, method, endpoint, permission) of every route, GETs first and deletions last."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_A_PAGE:
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method, rule.endpoint, getattr(view, "permission", None)))
    destructive = ("delete", "retire", "undo", "revoke", "logout")
    return sorted(found, key=lambda r: (r[1] != "GET", any(w in r[2] for w in destructive), r[0].rule))


def build_url(app, rule, values):
    missing = [name for name in rule.arguments if name not in values]
    assert not missing, f"tests/test_permissions.py has no sample for {missing} of {rule.rule}: add one"
    with app.test_request_context():
        from flask import url_for

        query = {"community": values["community"], "key": values["institution"]}
        return url_for(rule.endpoint, **{**query, **{name: values[name] for name in rule.arguments}})


def test_every_route_says_who_may_use_it(app):
    undeclared = [rule.rule for rule, _, _, permission in routes(app) if permission is None]
    assert not undeclared, f"routes without @requires(...) or @public: {undeclared}"
    unknown = {p for _, _, _, p in routes(app) if p not in permissions.RULES and p != permissions.PUBLIC}
    assert not unknown


def test_anonymous_users_reach_only_public_routes(app, samples):
    client = app.test_client()
    for rule, method, endpoint, permission in routes(app):
        if permission == permissions.PUBLIC:
            continue
        url = build_url(app, rule, samples["inside"])
        with client.open(url, method=method, data={}) as reply:
            pass
        expected = (401,) if rule.rule.startswith("/api/") else (302,)
        assert reply.status_code in expected, f"{method} {url} answered {reply.status_code} to nobody"
        if reply.status_code == 302:
            assert "/login" in reply.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_by_every_role_inside_and_outside_scope(app, world, samples, role):
    user = User.get(User.username == role)
    client = app.test_client()
    client.post("/login", data={"username": role, "password": "correct-horse-1"})
    inside = {**samples["inside"], "token_id": samples["tokens"][role], **samples["by_role"].get(role, {})}
    outside = {**samples["outside"], "entry_id": -1, "decision_id": -1,
               "token_id": samples["tokens"]["other_street" if role != "other_street" else "street"]}
    problems = []
    for rule, method, endpoint, permission in routes(app):
        if permission == permissions.PUBLIC or endpoint == "auth.login":
            continue
        allowed = permissions.can(user, permission)
        names_a_record = bool(rule.arguments - NOT_A_RECORD) or endpoint in QUERY_NAMES_A_RECORD
        for where, values in (("inside", inside), ("outside", outside)):
            if where == "outside" and not names_a_record:
                continue
            if where == "outside" and permissions.sees_whole_district(user) \
                    and not {"token_id", "entry_id", "decision_id"} & set(rule.arguments):
                continue  # nothing is outside the district's scope but ids that do not exist
            url = build_url(app, rule, values)
            with client.open(url, method=method, data={"community": values["community"]}) as reply:
                status = reply.status_code
            if status >= 500:
                problems.append(f"{role} {method} {url} ({where}): {status}")
            elif allowed and where == "inside" and status in (403, 404):
                problems.append(f"{role} {method} {url}: {status}, but {role} may {permission}")
            elif (not allowed or where == "outside") and status != 404:
                problems.append(f"{role} {method} {url} ({where}): {status}, expected 404")
    assert not problems, "\n".join(problems)
