"""What Schemathesis found (issue 11, Build 1), each kept fixed here in words: a 4xx with a Chinese message at the
field, never a 500, and answers as the document (/api/v1/openapi.json) says."""
import uuid

import pytest

from domain.org import accounts
from models import User
from tests.conftest import COMMUNITY, STREET, survey_body
from tests.test_cases import log_in
from tests.test_corrections import corrected


def bearer(app, username):
    with app.app_context():
        _, token = accounts.issue_token(User.get(User.username == username))
    return {"Authorization": f"Bearer {token}"}


def institution_case(client, auth):
    return next(c["id"] for c in client.get("/api/v1/cases", headers=auth).get_json()["cases"]
                if c["kind"] == "institution")


@pytest.fixture
def as_role(app, world):
    """A client and the bearer header of a role's user."""
    client = app.test_client()
    return lambda username: (client, bearer(app, username))


# --- routing ---------------------------------------------------------------------------------------------------


def test_a_method_a_route_does_not_take_is_405_with_allow_even_to_nobody(client):
    reply = client.put("/api/v1/openapi.json")  # was 401: the login check ran before routing's answer
    assert reply.status_code == 405 and reply.get_json()["error"] == "405"
    assert set(reply.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}  # was missing


@pytest.mark.parametrize("method", ["get", "put"])
def test_an_id_too_long_for_any_database_is_404(as_role, method):
    client, auth = as_role("surveyor")
    reply = client.open("/api/v1/surveys/" + "9" * 19, method=method.upper(), json={}, headers=auth)
    assert reply.status_code == 404  # was a 500 (the driver's overflow); a PUT over a converter `max`, 405
    assert client.get("/api/v1/surveys/" + "9" * 18, headers=auth).status_code == 404


# --- fields of the wrong type are refused, not read as absent ------------------------------------------------


def test_case_filters_the_list_does_not_know_are_refused(as_role):
    client, auth = as_role("street")
    reply = client.get("/api/v1/cases?status=AAA&kind=x&important=yes", headers=auth)
    assert reply.status_code == 422  # was 200 with every case
    assert set(reply.get_json()["errors"]) == {"status", "kind", "important"}
    assert client.get("/api/v1/cases?status=pending&important=0&overdue=", headers=auth).status_code == 200


@pytest.mark.parametrize("value", [{}, False, 0, []])
def test_a_lead_place_that_is_not_text_is_refused(as_role, value):
    client, auth = as_role("street")
    reply = client.post("/api/v1/leads", headers=auth, json={
        "client_uuid": str(uuid.uuid4()), "source": "online", "street": STREET, "community": value,
        "description": "微信群里招揽消防培训"})
    assert reply.status_code == 422 and reply.get_json()["errors"] == {"community": "代码应为文字"}


@pytest.mark.parametrize("value", [{}, False, 0, 123])
def test_a_client_uuid_that_is_not_text_is_refused(as_role, value):
    client, auth = as_role("street")
    reply = client.post("/api/v1/submissions", headers=auth, json={"as_of": "2023-03-31", "client_uuid": value})
    assert reply.status_code == 422 and set(reply.get_json()["errors"]) == {"client_uuid"}  # {} was a submission


def test_a_referral_step_of_the_wrong_type_is_refused_at_its_field(app, world, as_role):
    surveyor = log_in(app, "surveyor")
    assert surveyor.post("/api/v1/surveys", json=survey_body()).status_code == 201
    district, auth = as_role("district")
    referral = district.post(f"/api/v1/cases/{institution_case(district, auth)}/referrals", headers=auth,
                             json={"departments": ["xiaofang"]}).get_json()["referrals"][0]
    client, auth = as_role("department")
    for body, field in (({"status": {}}, "status"), ({"status": ["accepted"]}, "status"),  # {} was a 500
                        ({"status": "accepted", "note": 5}, "note"),
                        ({"status": "penalised", "case_opened": "maybe"}, "case_opened")):
        reply = client.patch(f"/api/v1/referrals/{referral['id']}", headers=auth, json=body)
        assert reply.status_code == 422 and field in reply.get_json()["errors"], (body, reply.get_json())
    assert client.patch(f"/api/v1/referrals/{referral['id']}", headers=auth,
                        json={"status": "accepted"}).status_code == 200


# --- days are YYYY-MM-DD, as the document says ---------------------------------------------------------------


@pytest.mark.parametrize("day", ["20230320", "2023-W12-1", 20230320])
def test_a_day_in_another_iso_form_is_refused(as_role, day):
    """Python 3.11 reads 20230320 and 2023-W12-1 as days; the API's days are RFC 3339 full-dates."""
    client, auth = as_role("street")
    assert client.get(f"/api/v1/tables/1?as_of={day}", headers=auth).status_code == 422
    reply = client.post("/api/v1/actions", headers=auth, json={
        "client_uuid": str(uuid.uuid4()), "org": STREET, "date": day, "inspectors": 1})
    assert reply.status_code == 422 and set(reply.get_json()["errors"]) == {"date"}
    body = survey_body(community=COMMUNITY)
    body["trainings"][0]["date"] = day
    reply = client.post("/api/v1/surveys", headers=auth, json=body)
    assert reply.status_code == 422 and set(reply.get_json()["errors"]) == {"trainings.0.date"}


# --- whole numbers as JSON writes them -----------------------------------------------------------------------


def test_whole_numbers_written_with_a_point_zero_are_whole_numbers(as_role):
    """JSON Schema's integers include 5.0; the API refused them (应为整数)."""
    client, auth = as_role("department")
    reply = client.post("/api/v1/spot-checks", headers=auth, json={
        "client_uuid": str(uuid.uuid4()), "department": "xiaofang", "channel": "in_use", "product": "fire_blanket",
        "date": "2023-03-20", "batches": 5.0, "failed": 2.0})
    assert reply.status_code == 201 and (reply.get_json()["batches"], reply.get_json()["failed"]) == (5, 2)
    client, auth = as_role("surveyor")
    body = survey_body()
    body["purchases"][0]["quantity"] = 2.0
    reply = client.post("/api/v1/surveys", headers=auth, json=body)
    assert reply.status_code == 201 and reply.get_json()["purchases"][0]["quantity"] == 2


@pytest.mark.parametrize("value", [2.5, "１", "1_000", True])
def test_other_numbers_are_not_whole_numbers(as_role, value):
    client, auth = as_role("surveyor")
    body = survey_body()
    body["purchases"][0]["quantity"] = value
    reply = client.post("/api/v1/surveys", headers=auth, json=body)
    assert reply.status_code == 422 and set(reply.get_json()["errors"]) == {"purchases.0.quantity"}


# --- a case whose mentions have all gone -------------------------------------------------------------------


def test_a_referred_case_whose_record_was_corrected_away_stays_a_case(app, world, as_role):
    """Its only mention corrected to 无培训: the district lost it (404) and its department got a 500."""
    surveyor = log_in(app, "surveyor")
    stored = surveyor.post("/api/v1/surveys", json=survey_body()).get_json()
    district, auth = as_role("district")
    case_id = institution_case(district, auth)
    assert district.post(f"/api/v1/cases/{case_id}/referrals", headers=auth,
                         json={"departments": ["xiaofang"]}).status_code == 201
    fixed = corrected(stored, trainings=[], purchases=[])
    assert surveyor.put(f"/api/v1/surveys/{stored['id']}", json=fixed).status_code == 200

    seen = district.get(f"/api/v1/cases/{case_id}", headers=auth)
    assert seen.status_code == 200 and seen.get_json()["mentions"] == []
    assert seen.get_json()["title"] == "上海某某消防培训中心"  # its anchor's name
    assert seen.get_json()["referrals"][0]["department"] == "xiaofang"
    client, auth = as_role("department")
    assert client.get(f"/api/v1/cases/{case_id}", headers=auth).get_json()["title"] == "上海某某消防培训中心"
    assert log_in(app, "department").get(f"/cases/{case_id}").status_code == 200
    street, auth = as_role("street")  # a street sees a case by its mentions in the street: none are left
    assert street.get(f"/api/v1/cases/{case_id}", headers=auth).status_code == 404



# --- money up to the API's limit is stored, on PostgreSQL too ---------------------------------------------


def test_money_up_to_a_hundred_million_yuan_is_stored(as_role):
    """10,000,000,000 fen is beyond PostgreSQL's integer: a fine or a purchase over 21,474,836.47 yuan was a 500."""
    client, auth = as_role("department")
    reply = client.post("/api/v1/spot-checks", headers=auth, json={
        "client_uuid": str(uuid.uuid4()), "department": "xiaofang", "channel": "in_use", "product": "fire_blanket",
        "date": "2023-03-20", "batches": 1, "fine": 99999999.99})
    assert reply.status_code == 201 and reply.get_json()["fine"] == "99999999.99"
    client, auth = as_role("surveyor")
    body = survey_body()
    body["trainings"][0]["fee"] = "100000000"
    body["purchases"][0]["amount"] = "100000000.00"
    reply = client.post("/api/v1/surveys", headers=auth, json=body)
    assert reply.status_code == 201
    assert (reply.get_json()["trainings"][0]["fee"], reply.get_json()["purchases"][0]["amount"]) == (
        "100000000.00", "100000000.00")
    table = client.get("/api/v1/tables/1", headers=as_role("district")[1]).get_json()
    assert table["total"]["amount"] == "200000000.00"
