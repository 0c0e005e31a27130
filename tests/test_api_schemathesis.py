"""Schemathesis (issue 11, Build 1): every operation of /api/v1/openapi.json, run against the live app over HTTP
with every check on, as each role that may use it (a bearer token of a real user with records in scope):
0 server errors, 0 answers that break the document.

One live app for the module, like a server that several people use: a world of users, records in and out of
each role's scope with small ids that drawn ids meet, and everything the operations store as they run.
Bounded and deterministic: a fixed seed, derandomized generation, few examples per operation, no example
database (Schemathesis' coverage phase adds its own systematic cases: each field's boundaries and codes).

Valid data is placed in the world before it is sent (`placed`): a drawn 居委 code names no 居委 and a drawn date
is mostly in the future, so without this no valid survey record would ever be stored. Negative cases go out
exactly as drawn.
"""
import datetime
import json
import multiprocessing
import os
import re
import uuid

import pytest
import schemathesis
from werkzeug.serving import make_server

from app import create_app
from domain.api.openapi import document
from domain.casework import cases, leads
from domain.common.clock import now_local, today_local
from domain.org import accounts, permissions
from domain.reporting import actions, spot_checks, submissions
from domain.survey.record import parse_record
from domain.survey.store import store_record
from models import User, db
from tests.conftest import (
    COMMUNITY,
    COMMUNITY_2,
    OTHER_COMMUNITY,
    OTHER_STREET,
    STREET,
    TEST_CONFIG,
    database_copy,
    make_world,
)
from tests.test_openapi import api_routes

ROLES = ("surveyor", "street", "district", "department")

CONFIG = {
    # Another seed or more examples, to look further than the suite does: PAIMO_FUZZ_SEED=7 PAIMO_FUZZ_EXAMPLES=50
    "seed": int(os.environ.get("PAIMO_FUZZ_SEED", "20230320")),
    "generation": {
        "deterministic": True,
        "database": "none",
        "max-examples": int(os.environ.get("PAIMO_FUZZ_EXAMPLES", "5")),
        # NUL is refused by every route with 400 before anything reads the request (PostgreSQL's text cannot
        # hold it; the document says so, and tests/test_bad_input.py proves it). Drawn into valid data it
        # would only meet that one rule again and again.
        "allow-x00": False,
    },
    "checks": {
        # Valid data is accepted (2xx), or refused for what a schema cannot say:
        # 404 — a record id outside the caller's scope, or one that does not exist (ids are drawn);
        # 409 — a client_uuid (or correction_id) already stored with another body;
        # 422 — a rule across fields or about the world: a 居委 or street code that does not exist or is not
        #       the caller's, a date in the future, a purchase naming a training the record does not have, a
        #       correction whose client_uuid is not the record's, a referral step that does not follow.
        # `refused_only_for_rules_a_schema_cannot_say` below holds every such 422 to that list, field by field.
        "positive_data_acceptance": {"expected-statuses": ["2xx", "404", "409", "422"]},
    },
}

# The fields at which valid data may be refused (422), per operation: rules across fields or about the world.
UNSAYABLE = {
    "createSurvey": r"community|client_uuid|visited_at|trainings\.\d+\.date|purchases\.\d+\.training",
    "correctSurvey": r"community|client_uuid|visited_at|trainings\.\d+\.date|purchases\.\d+\.training",
    "referCase": r"departments|lead|due",
    "workReferral": r"status|note|case_opened|fine",
    "createLead": r"community|street",
    "createSpotCheck": r"department|channel|date|batches|failed",
    "createAction": r"org|date|inspectors|units_checked",
    "submitTables": r"as_of|client_uuid",
    # a row's 居委 in the caller's scope, an address, a known type, no unit twice (answered by row: RosterRefused)
    "importRoster": r"rows\.\d+\.(community|address|type)",
    # 督办: whom the caller may order and what about (in its scope, in the recipient's area), a due date from today to a
    # year ahead, a uuid another org used; who takes which step (the recipient answers, the issuer decides)
    "createOrder": r"client_uuid|to|subject\.(kind|id)|due",
    "workOrder": r"response|status|note",
}
TOO_DEEP = "内容层次过深"  # properties the API ignores, nested deeper than any record is


def refused_only_for_rules_a_schema_cannot_say(ctx, response, case):
    """A check of our own: valid data refused with 422 is refused only at the fields of UNSAYABLE."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return None
    errors = json.loads(response.content).get("errors", {})
    if isinstance(errors, list):  # refused by row (the roster): {row, field, message}, rows from 1
        errors = {f"rows.{e['row'] - 1}.{e['field']}": e["message"] for e in errors}
    allowed = re.compile(UNSAYABLE.get(case.operation.definition.raw.get("operationId"), "(?!)"))
    wrong = {path: message for path, message in errors.items()
             if not allowed.fullmatch(path) and message != TOO_DEEP}
    assert not wrong, f"valid data refused at fields its schema describes: {wrong}"
    return None


# --- the world ---------------------------------------------------------------------------------------------

SEEDED_SURVEY = "0d6f1e2a-6b3a-4c55-9d7e-0d2b8f0c9a11"  # the surveyor's record, id 1: what corrections correct
# The codes each role's valid data names: where its records go, its department, the org it enters 附件3 for.
CODES = {
    "surveyor": {"community": COMMUNITY, "street": STREET, "department": "", "org": ""},
    "street": {"community": COMMUNITY_2, "street": STREET, "department": "", "org": STREET},
    "district": {"community": OTHER_COMMUNITY, "street": OTHER_STREET, "department": "", "org": ""},
    "department": {"community": "", "street": "", "department": "xiaofang", "org": "xiaofang"},
}


def _record(client_uuid, community, address, institution):
    moment = (now_local() - datetime.timedelta(hours=2)).isoformat() + "+08:00"
    record, errors = parse_record({
        "client_uuid": client_uuid, "community": community, "unit": {"type": "household", "address": address},
        "visited_at": moment, "outcome": "surveyed",
        "trainings": [{"institution": institution, "institution_phone": "02160001234",
                       "trainer_identity": "firefighter", "mode": "door_to_door", "fee": "100",
                       "products_pitched": True}],
        "purchases": [{"product": "fire_blanket", "quantity": 1, "amount": "298", "channel": "training",
                       "training": 0, "sample_available": True}]})
    assert not errors, errors
    return record


def seed(users):
    """Records of every kind in and out of each role's scope, with small ids that drawn ids meet."""
    today = today_local()
    store_record(users["surveyor"], _record(SEEDED_SURVEY, COMMUNITY, "长宁路1弄1号101室", "华阳消防培训中心"))
    store_record(users["other_surveyor"], _record(str(uuid.uuid4()), OTHER_COMMUNITY, "江苏路2号", "江苏消防培训中心"))
    for user, place in ((users["street"], {"street": STREET}), (users["department"], {})):
        lead, errors = leads.parse_lead({"client_uuid": str(uuid.uuid4()), "source": "online", **place,
                                         "institution": "安心消防科普服务社", "description": "微信群里招揽消防培训"})
        assert not errors, errors
        leads.store_lead(user, lead)
    district = users["district"]
    view = next(v for v in cases.cases_for(district) if v.title == "华阳消防培训中心")
    referral, = cases.refer(district, view, ["xiaofang"], "xiaofang", today)
    cases.work(users["department"], referral, {"status": "accepted"})
    values, errors = spot_checks.parse_spot_check({
        "client_uuid": str(uuid.uuid4()), "department": "xiaofang", "channel": "in_use", "product": "fire_blanket",
        "date": today.isoformat(), "batches": 2, "failed": 1})
    assert not errors, errors
    spot_checks.store_spot_check(users["department"], values)
    for name in ("street", "department"):
        user = users[name]
        values, errors = actions.parse_action({"client_uuid": str(uuid.uuid4()), "org": actions.own_org(user),
                                               "date": today.isoformat(), "inspectors": 3})
        assert not errors, errors
        actions.store_action(user, values)
        for day in (today - datetime.timedelta(days=1), today):
            submissions.submit(user, permissions.own_scope(user), day)


def token_of(role):
    """A role's bearer token, known before the app runs: Schemathesis puts it into the cases it builds while
    collecting the tests. The `api` fixture issues it to the role's user."""
    return f"pm_schemathesis-{role}"


def issue_token(user, token):
    """domain.org.accounts.issue_token, with the token's random part fixed to `token`'s."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts.secrets, "token_urlsafe", lambda size: token.removeprefix("pm_"))
        _, issued = accounts.issue_token(user)
    assert issued == token
    return issued


def serve(server, config):
    """The server's process: an app and database connections of its own, then requests until terminated."""
    server.app = create_app(config)
    server.serve_forever()


@pytest.fixture(scope="module")
def api(database_template, tmp_path_factory):
    """The live app (CSRF on, as in production) with the world and a token for each role, served by a process
    of its own (as a server is, and so on the other core while Schemathesis keeps this one busy): its base URL."""
    directory = tmp_path_factory.mktemp("schemathesis")
    with database_copy(database_template, directory) as url:
        config = {**TEST_CONFIG, "DATABASE_URL": url, "WTF_CSRF_ENABLED": True, "UPLOAD_DIR": str(directory / "up")}
        app = create_app(config)
        with app.app_context():
            users = make_world(app)
            seed(users)
            for role in ROLES:
                issue_token(users[role], token_of(role))
            db.close()
        assert app.test_client().get("/api/v1/openapi.json").json == document()  # what Schemathesis reads
        db.close()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        process = multiprocessing.get_context("fork").Process(target=serve, args=(server, config), daemon=True)
        process.start()
        server.server_close()  # the child serves: this process keeps no copy of the socket
        yield f"http://127.0.0.1:{server.server_port}/api/v1"
        process.terminate()
        process.join(10)


# --- valid data, placed in the world ----------------------------------------------------------------------


def _day(value, earliest, latest):
    """`value` (YYYY-MM-DD…) moved into [earliest, latest] when it is a day outside it; otherwise as it was."""
    try:
        day = datetime.date.fromisoformat(value[:10])
    except (TypeError, ValueError):
        return value
    inside = min(max(day, earliest), latest)
    return value if inside == day else inside.isoformat() + value[10:]


def _uuid_of(body):
    """The client_uuid a device would give this body: the same body, the same uuid (a retry)."""
    text = json.dumps({k: v for k, v in body.items() if k not in ("client_uuid", "correction_id")}, sort_keys=True)
    return str(uuid.uuid5(uuid.NAMESPACE_URL, text))


def placed(case, role):
    """A valid case with its places, days and identities those of the world: the role's own 居委 or street, days
    from 2000 to today, a client_uuid made from the body, the surveyor's record for a correction and the seeded
    case for a referral."""
    body = case.body
    if case.meta is None or not case.meta.generation.mode.is_positive or not isinstance(body, dict):
        return case
    today, first = today_local(), datetime.date(2000, 1, 1)
    operation = case.operation.definition.raw["operationId"]
    for key, code in CODES[role].items():
        if isinstance(body.get(key), str):
            body[key] = code
    for key in ("visited_at", "date", "as_of"):
        if isinstance(body.get(key), str):
            body[key] = _day(body[key], first, today)
    for training in body.get("trainings") or []:
        if isinstance(training, dict) and isinstance(training.get("date"), str):
            training["date"] = _day(training["date"], first, today)
    if isinstance(body.get("due"), str):
        body["due"] = _day(body["due"], today, today + datetime.timedelta(days=366))
    if operation == "correctSurvey":  # the surveyor's own record
        case.path_parameters["survey_id"] = 1
        body["client_uuid"] = SEEDED_SURVEY
        body["correction_id"] = _uuid_of(body)
    elif operation == "referCase":  # the seeded case
        case.path_parameters["case_id"] = 1
    elif "client_uuid" in body:
        body["client_uuid"] = _uuid_of(body)
    return case


# --- the tests: one per role, each over the operations the role may use ----------------------------------


# Operations whose code is the same for every role that may use them but for the scope check (which
# tests/test_permissions.py walks for every route and role) run as the one role whose daily work they are:
# their bodies are the largest, and they are most of the run's time.
RUN_AS = {"createSurvey": "surveyor", "correctSurvey": "surveyor", "createLead": "street"}


def operations_for(role):
    """The operationIds a role may use: those whose route declares a permission (domain/org/permissions.py) the role has,
    and the public ones (those of RUN_AS only for their role)."""
    app = create_app({**TEST_CONFIG, "DATABASE_URL": "sqlite:///:memory:"})
    by_route = api_routes(app)
    user = User(role=role)
    allowed = []
    for path, item in document()["paths"].items():
        for method, op in item.items():
            permission = app.view_functions[by_route[(method, path)]].permission
            if RUN_AS.get(op["operationId"], role) != role:
                continue
            if permission == permissions.PUBLIC or permissions.can(user, permission):
                allowed.append(op["operationId"])
    return allowed


def schema_for(role):
    """The served document (the same data), as `role` sees the API: the operations it may use, its token."""
    config = schemathesis.Config.from_dict({**CONFIG, "auth": {"openapi": {"bearerToken": {"bearer": token_of(role)}}}})
    return schemathesis.openapi.from_dict(document(), config=config).include(operation_id=operations_for(role))


def run(case, role, base_url):
    placed(case, role).call_and_validate(base_url=base_url,
                                         additional_checks=[refused_only_for_rules_a_schema_cannot_say])


as_surveyor, as_street, as_district, as_department = (schema_for(role) for role in ROLES)


@as_surveyor.parametrize()
def test_the_api_keeps_its_document_for_a_surveyor(case, api):
    run(case, "surveyor", api)


@as_street.parametrize()
def test_the_api_keeps_its_document_for_a_street(case, api):
    run(case, "street", api)


@as_district.parametrize()
def test_the_api_keeps_its_document_for_the_district(case, api):
    run(case, "district", api)


@as_department.parametrize()
def test_the_api_keeps_its_document_for_a_department(case, api):
    run(case, "department", api)

