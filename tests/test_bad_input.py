"""Bad input gets a Chinese message at its field, never a 500 or a worker's memory (issue 11 items 4 and 6)."""
import contextlib
import json
import tracemalloc

import pytest

from domain.common.fields import RecordErrors, parse_money
from domain.survey.record import parse_record
from models import Survey
from tests.conftest import COMMUNITY, survey_body

HUGE = "1E+100000000000"


def post_raw(client, text):
    return client.post("/api/v1/surveys", data=text, content_type="application/json")


def with_training(**fields):
    body = survey_body()
    body["trainings"][0].update(fields)
    return body


def with_purchase(**fields):
    body = survey_body()
    body["purchases"][0].update(fields)
    return body


@pytest.fixture
def surveyor_client(world, client, actions):
    actions.login("surveyor")
    return client


# --- money ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    (HUGE, "金额过大，请核对"),
    ("-" + HUGE, "金额过大，请核对"),
    ("9" * 5000, "金额过大，请核对"),
    ("1E-100000000000", "金额最多保留两位小数"),
    ("Infinity", "金额应为数字，例如 298.00"),
    ("NaN", "金额应为数字，例如 298.00"),
    ("-1", "金额不能为负数"),
    ("100000000.01", "金额过大，请核对"),
])
def test_money_that_is_no_amount_gets_a_message(text, message):
    errors = RecordErrors()
    parse_money(text, "fee", errors)
    assert errors == {"fee": message}


@pytest.mark.parametrize("field", ["fee"])
def test_a_huge_exponent_in_a_training_fee_is_a_422_at_the_field(surveyor_client, field):
    reply = post_raw(surveyor_client, json.dumps(with_training(**{field: HUGE})))
    assert reply.status_code == 422
    # A training's fee is called 收费 at its field (issue 8).
    assert reply.get_json()["errors"] == {"trainings.0.fee": "收费过大，请核对"}


def test_a_huge_exponent_in_a_purchase_amount_is_a_422_at_the_field(surveyor_client):
    reply = post_raw(surveyor_client, json.dumps(with_purchase(amount=HUGE)))
    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {"purchases.0.amount": "金额过大，请核对"}


def test_a_huge_exponent_on_the_public_form_shows_the_form_again(client, world):
    reply = client.post("/r", data={"description": "上门推销灭火器", "amount": HUGE})
    assert reply.status_code == 422
    page = reply.get_data(as_text=True)
    assert "金额过大，请核对" in page and "上门推销灭火器" in page


# --- a purchase's training index ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["Infinity", "-Infinity", "1e400", "NaN", "0.5", "\"²\"", "\"" + "9" * 5000 + "\""])
def test_a_training_index_that_is_no_index_is_a_422_at_the_field(surveyor_client, raw):
    text = json.dumps(with_purchase(training="__INDEX__")).replace('"__INDEX__"', raw)
    reply = post_raw(surveyor_client, text)
    assert reply.status_code == 422
    assert set(reply.get_json()["errors"]) == {"purchases.0.training"}


@pytest.mark.parametrize("raw", ["0", "0.0", "\"0\""])
def test_a_training_index_may_be_sent_as_number_or_text(surveyor_client, raw):
    text = json.dumps(with_purchase(training="__INDEX__")).replace('"__INDEX__"', raw)
    assert post_raw(surveyor_client, text).status_code == 201


# --- visited_at far from now -----------------------------------------------------------------------------

@pytest.mark.parametrize("value, message", [
    ("0001-01-01T00:00:00+08:00", "走访时间不正确"),
    ("0001-01-01T00:30:00-08:00", "走访时间不正确"),
    ("9999-12-31T23:59:59-08:00", "走访时间不能晚于现在"),
    ("9999-12-31T23:59:59+14:00", "走访时间不能晚于现在"),
    ("9999-12-31T23:59:59", "走访时间不能晚于现在"),
])
def test_a_visit_time_in_year_1_or_9999_is_a_422_at_the_field(surveyor_client, value, message):
    reply = post_raw(surveyor_client, json.dumps(survey_body(visited_at=value)))
    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {"visited_at": message}


# --- text that cannot be stored -------------------------------------------------------------------------------

LONE = "\ud800"


@pytest.mark.parametrize("path, body", [
    ("note", survey_body(note="备注" + LONE)),
    ("community", survey_body(community=COMMUNITY + LONE)),
    ("unit.address", survey_body(unit={"type": "shop", "address": LONE})),
    ("unit.name", survey_body(unit={"type": "shop", "address": "长宁路1号", "name": LONE})),
    ("trainings.0.institution", with_training(institution=LONE)),
    ("trainings.0.content", with_training(content="x" + LONE + "y")),
    ("trainings.0.mode", with_training(mode=LONE)),
    ("purchases.0.product", with_purchase(product=LONE)),
    ("outcome", survey_body(outcome=LONE)),
    ("client_uuid", survey_body(client_uuid=LONE)),
])
def test_a_lone_surrogate_in_any_text_is_a_422_at_its_field(surveyor_client, path, body):
    text = json.dumps(body)  # ensure_ascii: the surrogate travels as \ud800, as a script would send it
    reply = post_raw(surveyor_client, text)
    assert reply.status_code == 422
    errors = reply.get_json()["errors"]
    assert errors[path] == "含有无法识别的字符，请删除后重新输入"
    assert Survey.select().count() == 0


def test_a_lone_surrogate_in_a_key_is_refused(surveyor_client):
    body = survey_body()
    text = json.dumps(body)[:-1] + ', "\\ud800": 1}'
    reply = post_raw(surveyor_client, text)
    assert reply.status_code == 422 and "body" in reply.get_json()["errors"]


# --- JSON nested deeper than anything a record has --------------------------------------------------------

@pytest.mark.parametrize("depth", [100, 990, 100_000])
def test_json_nested_deep_is_a_client_error(surveyor_client, depth):
    for text in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth,
                 json.dumps(survey_body())[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}"):
        reply = post_raw(surveyor_client, text)
        assert reply.status_code in (400, 422)
        assert reply.get_json()["errors"]


def test_parse_record_walks_deep_bodies_without_recursion():
    body = survey_body()
    nested = []
    for _ in range(50_000):
        nested = [nested]
    body["extra"] = nested
    _, errors = parse_record(body)
    assert list(errors.values()) == ["内容层次过深"] and list(errors)[0].startswith("extra.")


# --- as_of far in the future, on every table route ----------------------------------------------------------

TABLE_URLS = ["/tables/", "/tables/problems", "/tables/problems/institution?key=x", "/api/v1/tables/1",
              "/api/v1/tables/1.xlsx", "/api/v1/tables/1.csv"]


@pytest.fixture
def institution_key(world):
    """The key of an institution on today's problem list (the page a bad as_of falls back to)."""
    from domain.casework.institutions import problem_list
    from domain.common.clock import now_local
    from domain.survey.store import store_record

    record, errors = parse_record(survey_body(visited_at=now_local().isoformat() + "+08:00"))
    assert not errors
    store_record(world["surveyor"], record)
    return problem_list(now_local().date())[0].key


@pytest.mark.parametrize("url", TABLE_URLS)
@pytest.mark.parametrize("as_of", ["9999-12-31", "2101-01-01"])
def test_as_of_far_in_the_future_is_a_422_at_the_field(world, client, actions, institution_key, url, as_of):
    actions.login("district")
    url = url.replace("key=x", f"key={institution_key}")
    reply = client.get(url + ("&" if "?" in url else "?") + f"as_of={as_of}")
    assert reply.status_code == 422
    if url.startswith("/api/"):
        assert reply.get_json()["errors"] == {"as_of": "统计日期应在 2000-01-01 至 2100-12-31 之间"}
    else:
        assert "统计日期应在 2000-01-01 至 2100-12-31 之间" in reply.get_data(as_text=True)


def test_as_of_at_the_end_of_the_range_still_works(world, client, actions):
    actions.login("district")
    assert client.get("/api/v1/tables/1?as_of=2100-12-31").status_code == 200


# --- item 4: a form block's index cannot make the page (or the worker) huge ----------------------------------


class Peak:
    bytes = 0


@contextlib.contextmanager
def peak_memory():
    """The most Python memory allocated while the block ran (tracemalloc): the cost of a request in bytes, which,
    unlike its time, a busy machine does not change."""
    peak = Peak()
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

@pytest.mark.parametrize("query", ["purchases.2000000.x=1", "trainings.2000000.x=1&purchases.2000000.x=1",
                                   "purchases.%C2%B2.x=1", "trainings." + "9" * 5000 + ".x=1"])
def test_a_huge_index_in_the_block_query_costs_nothing(surveyor_client, query):
    small = surveyor_client.get("/survey/form/trainings?purchases.3.x=1")
    with peak_memory() as peak:
        reply = surveyor_client.get(f"/survey/form/trainings?{query}")
    assert reply.status_code == 200
    assert peak.bytes < 20_000_000  # nothing the size of the index was built (a list of 2,000,000 is ~16 MB)
    assert len(reply.data) < 2 * len(small.data) + 10_000


def test_a_posted_form_with_a_huge_index_is_shown_again_small(world, surveyor_client):
    from models import Unit

    unit = Unit.create(community=COMMUNITY, address="长宁路1弄1号101室", address_key="长宁路1弄1号101室",
                       type="household")
    form = {"client_uuid": "2f1d6c1e-6b3a-4c55-9d7e-0d2b8f0c9a11", "community": COMMUNITY,
            "unit.type": "household", "unit.address": unit.address, "visited_at": "2023-03-20T10:15:00+08:00",
            "outcome": "surveyed", "trainings.2000000.mode": "bogus", "trainings.²": "x"}
    with peak_memory() as peak:
        reply = surveyor_client.post(f"/survey/units/{unit.id}/record", data=form)
    assert reply.status_code == 422
    assert peak.bytes < 20_000_000 and len(reply.data) < 500_000


def test_a_nul_character_anywhere_is_refused_in_words_on_both_engines(client, world, actions):
    """PostgreSQL's text cannot hold NUL (the public-page fuzzer found 500s): a form, a query or a JSON string
    carrying one is a 400 with a message, before any query meets it."""
    assert client.get("/check", query_string={"q": "安居\x00"}).status_code == 400
    assert client.get("/r/status", query_string={"number": "\x00"}).status_code == 400
    assert client.get("/r/AB\x00CD").status_code == 400
    reply = client.post("/r", data={"description": "上门\x00收费"})
    assert reply.status_code == 400 and "无法保存的字符" in reply.get_data(as_text=True)
    actions.login("surveyor")
    api = client.post("/api/v1/surveys", data='{"client_uuid": "\\u0000"}', content_type="application/json")
    assert api.status_code == 400 and api.get_json()["errors"] == {"body": "含有无法识别的字符，请删除后重新输入"}
