"""POST /api/v1/surveys and GET /api/v1/surveys/<id> as design sections 7-8 describe them."""
import threading
import uuid

import pytest

from models import Survey, Unit
from tests.conftest import COMMUNITY, COMMUNITY_2, OTHER_COMMUNITY, negative_body, survey_body


@pytest.fixture
def surveyor(world, actions):
    actions.login("surveyor")
    return world["surveyor"]


def test_a_record_is_stored_with_its_flags(surveyor, actions):
    reply = actions.post_survey(survey_body())
    assert reply.status_code == 201
    record = reply.get_json()
    assert record["id"] and record["community"] == COMMUNITY
    assert record["suspect"] is True
    assert record["trainings"][0]["fee"] == "200.00"
    assert record["purchases"][0] == {"product": "fire_extinguisher", "quantity": 2, "amount": "560.00",
                                      "channel": "training", "training": 0, "ccc_mark": False, "id_label": None,
                                      "sample_available": True}
    assert set(record["trainings"][0]["flags"]) >= {"sells_products", "door_to_door_fee", "impersonation"}


def test_a_negative_record_has_no_flags(surveyor, actions):
    record = actions.post_survey(negative_body()).get_json()
    assert record["suspect"] is False and record["trainings"] == [] and record["purchases"] == []


def test_replay_returns_the_stored_record(surveyor, actions):
    body = survey_body()
    first = actions.post_survey(body)
    again = actions.post_survey(body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert Survey.select().count() == 1


def test_same_uuid_with_another_body_is_a_conflict_not_an_overwrite(surveyor, actions):
    body = survey_body()
    stored = actions.post_survey(body).get_json()
    changed = {**body, "note": "改过的备注"}
    reply = actions.post_survey(changed)
    assert reply.status_code == 409
    assert reply.get_json()["record"] == stored
    assert Survey.get_by_id(stored["id"]).note == ""


def send_at_once(app, bodies):
    """Send each body from a client of its own, logged in as the surveyor, all at the same moment: the replies."""
    barrier = threading.Barrier(len(bodies))
    replies = []

    def send(body):
        client = app.test_client()
        client.post("/login", data={"username": "surveyor", "password": "correct-horse-1"})
        barrier.wait()
        replies.append(client.post("/api/v1/surveys", json=body))

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return replies


def test_simultaneous_sends_store_one_record(surveyor, app, world):
    """Eight devices (or retries) send the same record at the same moment: one row, same id for all."""
    body = survey_body()
    replies = [(reply.status_code, reply.get_json()["id"]) for reply in send_at_once(app, [body] * 8)]
    assert sorted(code for code, _ in replies) == [200] * 7 + [201]
    assert len({record_id for _, record_id in replies}) == 1
    assert Survey.select().where(Survey.client_uuid == body["client_uuid"]).count() == 1


def test_eight_records_of_one_new_address_at_once_lay_out_one_unit_and_keep_exact_figures(surveyor, app, world):
    """Eight surveyors record the same new address at the same moment: the first lays the unit out, the others
    wait for it and record on it; the kept figures equal their recomputation."""
    from domain.survey import unit_state

    replies = send_at_once(app, [negative_body(address="同时路8号") for _ in range(8)])
    assert [reply.status_code for reply in replies] == [201] * 8
    assert Unit.select().where(Unit.address_key == "同时路8号").count() == 1
    assert Survey.select().join(Unit).where(Unit.address_key == "同时路8号").count() == 8
    assert unit_state.differences() == []


def test_two_spellings_of_one_address_are_one_unit(surveyor, actions):
    actions.post_survey(negative_body(address="长宁路100号", outcome="absent"))
    actions.post_survey(negative_body(address="长宁路 １００ 号"))
    assert Unit.select().where(Unit.community == COMMUNITY).count() == 1
    assert Survey.select().count() == 2


BAD_RECORDS = [
    ("unknown community", {"community": "310105009999"}, "community", "没有这个居委"),
    ("unknown unit type", {"unit": {"type": "castle", "address": "长宁路1号"}}, "unit.type", "单位类型"),
    ("missing address", {"unit": {"type": "shop", "address": " "}}, "unit.address", "请填写地址"),
    ("unknown outcome", {"outcome": "maybe"}, "outcome", "走访结果"),
    ("time in the future", {"visited_at": "2099-01-01T10:00:00+08:00"}, "visited_at", "不能晚于现在"),
    ("time that is not a time", {"visited_at": "昨天"}, "visited_at", "格式不正确"),
    ("no client_uuid", {"client_uuid": "abc"}, "client_uuid", "UUID"),
]


@pytest.mark.parametrize("case, overrides, field, message", BAD_RECORDS, ids=[c[0] for c in BAD_RECORDS])
def test_bad_records_get_a_message_at_the_field(surveyor, actions, case, overrides, field, message):
    reply = actions.post_survey(survey_body(**overrides))
    assert reply.status_code == 422
    assert message in reply.get_json()["errors"][field]
    assert Survey.select().count() == 0


def test_bad_trainings_and_purchases_name_their_field(surveyor, actions):
    body = survey_body()
    body["trainings"][0].update(mode="teleport", fee="-5", date="2023-13-40")
    body["purchases"][0].update(quantity=-2, amount="1.234", product="magic_wand")
    body["purchases"].append({"product": "fire_blanket", "quantity": 1, "amount": "298", "channel": "training",
                              "training": 3})
    errors = actions.post_survey(body).get_json()["errors"]
    assert "培训方式" in errors["trainings.0.mode"]
    assert errors["trainings.0.fee"] == "收费不能为负数"  # the field is 收费（元）, not 金额
    assert "格式不正确" in errors["trainings.0.date"]
    assert errors["purchases.0.quantity"] == "数量至少为 1"
    assert errors["purchases.0.amount"] == "金额最多保留两位小数"
    assert "产品" in errors["purchases.0.product"]
    assert errors["purchases.1.training"] == "关联的培训不存在"


@pytest.mark.parametrize("payload", [None, "not json", [1, 2], {"unit": "长宁路"}, {"trainings": "many"}])
def test_malformed_bodies_are_4xx_never_500(surveyor, client, payload):
    if payload == "not json":
        reply = client.post("/api/v1/surveys", data="{oops", content_type="application/json")
    else:
        reply = client.post("/api/v1/surveys", json=payload)
    assert reply.status_code == 422
    assert reply.get_json()["errors"]


def test_absent_units_have_no_trainings(surveyor, actions):
    reply = actions.post_survey(survey_body(outcome="absent"))
    assert reply.status_code == 422
    assert "outcome" in reply.get_json()["errors"]


def test_a_surveyor_cannot_record_for_another_community(surveyor, actions):
    reply = actions.post_survey(survey_body(community=OTHER_COMMUNITY))
    assert reply.status_code == 422
    assert "不在您负责的范围内" in reply.get_json()["errors"]["community"]


def test_a_surveyor_of_another_community_gets_404_for_a_record(world, client, actions):
    actions.login("surveyor")
    record_id = actions.post_survey(survey_body()).get_json()["id"]
    assert client.get(f"/api/v1/surveys/{record_id}").status_code == 200
    actions.logout()
    actions.login("surveyor2")
    reply = client.get(f"/api/v1/surveys/{record_id}")
    assert reply.status_code == 404
    assert "上海某某" not in reply.get_data(as_text=True)


@pytest.mark.parametrize("username, status", [
    ("surveyor", 200), ("street", 200), ("district", 200), ("surveyor2", 404), ("other_street", 404),
    ("department", 404),
])
def test_record_scope_by_role(world, client, actions, username, status):
    actions.login("surveyor")
    record_id = actions.post_survey(survey_body()).get_json()["id"]
    actions.logout()
    actions.login(username)
    assert client.get(f"/api/v1/surveys/{record_id}").status_code == status


def test_a_street_user_can_record_for_its_communities(world, actions):
    actions.login("street")
    assert actions.post_survey(negative_body(community=COMMUNITY_2)).status_code == 201
    assert actions.post_survey(negative_body(community=OTHER_COMMUNITY)).status_code == 422


def test_anonymous_calls_get_401_json(client, world):
    reply = client.post("/api/v1/surveys", json=survey_body())
    assert reply.status_code == 401
    assert reply.get_json()["error"] == "unauthorized"
    assert client.get("/api/v1/surveys/1").status_code == 401


def test_replaying_another_communitys_uuid_reveals_nothing(world, client, actions):
    actions.login("surveyor")
    body = survey_body()
    actions.post_survey(body)
    actions.logout()
    actions.login("other_surveyor")
    reply = actions.post_survey({**body, "community": OTHER_COMMUNITY})
    assert reply.status_code == 422
    assert "record" not in reply.get_json()


def test_money_may_be_a_number_or_a_string(surveyor, actions):
    body = survey_body()
    body["trainings"][0]["fee"] = 200
    body["purchases"][0]["amount"] = 560.5
    record = actions.post_survey(body).get_json()
    assert record["trainings"][0]["fee"] == "200.00"
    assert record["purchases"][0]["amount"] == "560.50"


def test_uuid_spelling_is_normalised(surveyor, actions):
    body = survey_body(client_uuid=str(uuid.uuid4()).upper())
    first = actions.post_survey(body)
    again = actions.post_survey({**body, "client_uuid": body["client_uuid"].lower()})
    assert (first.status_code, again.status_code) == (201, 200)
