"""Corrections (issue 8 item 1): an explicit edit of a stored record, applied exactly once whether it comes
from the edit form or from a phone's outbox (PUT /api/v1/surveys/<id> with a correction_id), audited, and
shown as 已更正 in 今日记录."""
import uuid

import pytest

from models import AuditLog, Survey
from tests.conftest import COMMUNITY, OTHER_COMMUNITY, negative_body, survey_body
from tests.test_survey_ui import building_page, full_record, one_tap_form, record_form_fields


@pytest.fixture
def surveyor(world, actions):
    actions.login("surveyor")
    return world["surveyor"]


def corrected(stored, **changes):
    """The stored record (as the API returned it) with changes, plus a new correction_id."""
    body = {key: stored[key] for key in ("client_uuid", "community", "visited_at", "outcome", "trainings",
                                         "purchases", "note")}
    body["unit"] = {key: stored["unit"][key] for key in ("type", "address", "name")}
    body.update(changes, correction_id=str(uuid.uuid4()))
    return body


def put(client, record_id, body):
    return client.put(f"/api/v1/surveys/{record_id}", json=body)


def corrections_of(record_id):
    return AuditLog.select().where((AuditLog.action == "correct") & (AuditLog.object_id == str(record_id))).count()


def test_a_one_tap_record_is_corrected_to_a_full_record_once(surveyor, actions, client):
    stored = actions.post_survey(negative_body()).get_json()
    full = survey_body()
    body = corrected(stored, trainings=full["trainings"], purchases=full["purchases"])

    first = put(client, stored["id"], body)
    assert first.status_code == 200
    record = first.get_json()
    assert record["id"] == stored["id"] and record["client_uuid"] == stored["client_uuid"]
    assert record["suspect"] is True and "sells_products" in record["trainings"][0]["flags"]
    assert record["visited_at"] == stored["visited_at"]  # a correction is no new visit

    again = put(client, stored["id"], body)  # the phone did not hear the answer and sends it again
    assert again.status_code == 200 and again.get_json() == record
    assert Survey.select().count() == 1
    assert corrections_of(stored["id"]) == 1


def test_the_same_correction_id_with_another_body_is_a_conflict(surveyor, actions, client):
    stored = actions.post_survey(negative_body()).get_json()
    body = corrected(stored, note="第一次更正")
    assert put(client, stored["id"], body).status_code == 200
    reply = put(client, stored["id"], {**body, "note": "另一份内容"})
    assert reply.status_code == 409 and reply.get_json()["record"]["note"] == "第一次更正"
    assert Survey.get_by_id(stored["id"]).note == "第一次更正"


def test_two_corrections_apply_in_turn(surveyor, actions, client):
    stored = actions.post_survey(negative_body()).get_json()
    assert put(client, stored["id"], corrected(stored, outcome="absent")).status_code == 200
    assert put(client, stored["id"], corrected(stored, outcome="refused")).status_code == 200
    assert Survey.get_by_id(stored["id"]).outcome == "refused" and corrections_of(stored["id"]) == 2


def test_after_a_correction_the_original_and_the_corrected_record_replay_without_conflict(surveyor, actions, client):
    """A phone that still holds either version (its outbox, a conflict settled with its own version) may send
    it again: 200 with the stored record, never a 409 and never a second record."""
    original = negative_body()
    stored = actions.post_survey(original).get_json()
    body = corrected(stored, outcome="absent")
    assert put(client, stored["id"], body).status_code == 200
    assert actions.post_survey(original).status_code == 200
    replay = {key: value for key, value in body.items() if key != "correction_id"}
    assert actions.post_survey(replay).status_code == 200
    assert actions.post_survey({**replay, "outcome": "refused"}).status_code == 409
    assert Survey.select().count() == 1 and Survey.get().outcome == "absent"


@pytest.mark.parametrize("change, field, message", [
    ({"correction_id": None}, "correction_id", "更正编号"),
    ({"correction_id": "abc"}, "correction_id", "更正编号"),
    ({"client_uuid": str(uuid.uuid4())}, "client_uuid", "记录编号与要更正的记录不符"),
    ({"outcome": "maybe"}, "outcome", "走访结果"),
    ({"community": OTHER_COMMUNITY}, "community", "不在您负责的范围内"),
])
def test_a_wrong_correction_is_422_at_its_field_and_changes_nothing(surveyor, actions, client, change, field, message):
    stored = actions.post_survey(negative_body()).get_json()
    reply = put(client, stored["id"], {**corrected(stored, outcome="absent"), **change})
    assert reply.status_code == 422
    assert message in reply.get_json()["errors"][field]
    assert Survey.get_by_id(stored["id"]).outcome == "surveyed" and corrections_of(stored["id"]) == 0


def test_a_record_outside_the_scope_is_404_for_a_correction(world, actions, client):
    actions.login("other_surveyor")
    stored = actions.post_survey(negative_body(community=OTHER_COMMUNITY)).get_json()
    actions.logout()
    actions.login("surveyor")
    reply = put(client, stored["id"], corrected(stored, community=COMMUNITY, outcome="absent"))
    assert reply.status_code == 404 and "record" not in reply.get_json()
    assert put(client, 999999, corrected(stored)).status_code == 404
    assert Survey.get_by_id(stored["id"]).outcome == "surveyed"


def test_a_bearer_token_script_corrects_without_csrf(make_app, world):
    from domain.org import accounts

    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    _, token = accounts.issue_token(world["surveyor"], "同步脚本")
    headers = {"Authorization": f"Bearer {token}"}
    stored = client.post("/api/v1/surveys", json=negative_body(), headers=headers).get_json()
    reply = client.put(f"/api/v1/surveys/{stored['id']}", json=corrected(stored, outcome="absent"), headers=headers)
    assert reply.status_code == 200 and reply.get_json()["outcome"] == "absent"


# --- the edit form without JavaScript -------------------------------------------------------------------------

def test_the_edit_form_corrects_once_goes_back_to_the_unit_and_today_says_corrected(surveyor, client):
    url, page = building_page(client)
    action, data = one_tap_form(page, "surveyed", "12号楼 101室")
    client.post(action, data=data)
    survey = Survey.get()
    edit = client.get(f"/survey/records/{survey.id}/edit").get_data(as_text=True)
    action, fields = record_form_fields(edit)
    assert fields["correction_id"] and fields["client_uuid"] == survey.client_uuid

    response = client.post(action, data=full_record(fields))
    assert response.status_code == 303
    assert response.headers["Location"] == f"{url}?corrected={survey.unit_id}#unit-{survey.unit_id}"
    assert "已更正：12号楼 101室" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.post(action, data=full_record(fields)).status_code == 303  # a double tap on 保存更正
    assert Survey.select().count() == 1 and corrections_of(survey.id) == 1

    today = client.get("/survey/today").get_data(as_text=True)
    assert '<span class="badge corrected">已更正</span>' in today
    assert today.count('<li class="record"') == 1


def test_a_record_never_corrected_is_not_marked_corrected(surveyor, actions, client):
    actions.post_survey(negative_body(visited_at=_now()))
    today = client.get("/survey/today").get_data(as_text=True)
    assert today.count('<li class="record"') == 1 and "已更正" not in today


def _now():
    from domain.survey.form import visit_time

    return visit_time()
