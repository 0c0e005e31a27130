"""回访 back-checks (design section 12; issue 19 part 2): a street draws a reproducible sample per 居委 of the units
surveyed by a day (5% and at least 3), records what each 回访 found (一致 / 不一致 with what differs / 未联系上), and
reads sampled / done / 一致率 per 居委. A 不一致 raises a `recheck` quality signal on the record's author. A 居委
never sees its sample; another street's 居委 is 404."""
import datetime
import random
import re
import uuid
from decimal import Decimal

import pytest

from domain.supervision import rechecks
from domain.supervision.rechecks import SampleRule, draw_units, sample_size
from domain.survey.record import parse_record
from domain.survey.store import store_record
from models import AuditLog, Org, QualitySignal, Recheck, Survey, Unit, User
from tests.conftest import COMMUNITY, COMMUNITY_2, OTHER_COMMUNITY, negative_body, survey_body

DAY = datetime.date(2023, 3, 20)


# --- the rule: how many, and which (plain functions) ------------------------------------------------------------


@pytest.mark.parametrize("candidates, expected", [
    (0, 0), (1, 1), (2, 2), (3, 3), (10, 3), (60, 3),  # at least 3 (capped at what there is); 5% of 60 is 3 exactly
    (61, 4), (70, 4), (100, 5), (101, 6), (1000, 50),  # 5%, rounded up
])
def test_a_sample_is_five_percent_rounded_up_and_at_least_three(candidates, expected):
    assert sample_size(candidates) == expected


def test_the_share_and_the_minimum_are_configuration():
    assert sample_size(100, SampleRule(Decimal("10"), 5)) == 10
    assert sample_size(20, SampleRule(Decimal("10"), 5)) == 5
    assert sample_size(1000, SampleRule(Decimal("2.5"), 3)) == 25
    assert rechecks.rule_from({}) == SampleRule(Decimal("5"), 3)
    configured = {"RECHECK_SAMPLE_PERCENT": "10", "RECHECK_SAMPLE_MINIMUM": 2}
    assert rechecks.rule_from(configured) == SampleRule(Decimal("10"), 2)
    unset = {"RECHECK_SAMPLE_PERCENT": "", "RECHECK_SAMPLE_MINIMUM": 0}
    assert rechecks.rule_from(unset) == SampleRule(Decimal("5"), 0)
    for wrong in ({"RECHECK_SAMPLE_PERCENT": "五"}, {"RECHECK_SAMPLE_PERCENT": "101"}, {"RECHECK_SAMPLE_MINIMUM": -1}):
        with pytest.raises(ValueError):
            rechecks.rule_from(wrong)


def test_the_same_居委_day_and_seed_draw_the_same_units_in_any_order():
    units = list(range(1, 201))
    drawn = draw_units(units, COMMUNITY, DAY, "")
    assert len(drawn) == 10 and set(drawn) <= set(units)
    for _ in range(5):
        shuffled = units[:]
        random.shuffle(shuffled)
        assert draw_units(shuffled, COMMUNITY, DAY, "") == drawn
    assert set(draw_units(units, COMMUNITY, DAY, "第二批")) != set(drawn)
    assert set(draw_units(units, COMMUNITY_2, DAY, "")) != set(drawn)
    assert set(draw_units(units, COMMUNITY, DAY + datetime.timedelta(days=1), "")) != set(drawn)


# --- records in the database ----------------------------------------------------------------------------------------


def visit(user, address, day=DAY, outcome="surveyed", community=COMMUNITY, minute=0, positive=False):
    """A record of `user` at `address`, visited at 08:00 + `minute` on `day` (a minute apart: no burst)."""
    moment = datetime.datetime.combine(day, datetime.time(8)) + datetime.timedelta(minutes=minute)
    base = survey_body if positive else negative_body
    body = base(community=community, client_uuid=str(uuid.uuid4()), outcome=outcome,
                visited_at=moment.isoformat() + "+08:00")
    body["unit"] = {**body["unit"], "address": address}
    record, errors = parse_record(body)
    assert not errors, errors
    return store_record(user, record)[0]


def surveyed(app, world, count, community=COMMUNITY, user="surveyor", prefix="仙霞路350弄"):
    """`count` units of the 居委 surveyed on DAY: their records."""
    with app.app_context():
        return [visit(world[user], f"{prefix}{n}号", community=community, minute=n, positive=n == 1)
                for n in range(1, count + 1)]


def draw(actions, community=COMMUNITY, as_of=DAY, seed="", status=None):
    reply = actions.post_json("/api/v1/rechecks/draw", {"community": community, "as_of": as_of.isoformat(),
                                                        "seed": seed})
    if status is not None:
        assert reply.status_code == status, reply.get_json()
    return reply


def record(actions, survey_id, result, differs=(), note=""):
    return actions.post_json("/api/v1/rechecks", {"record": survey_id, "result": result, "differs": list(differs),
                                                  "note": note})


def test_only_units_whose_latest_record_by_the_day_is_surveyed_are_drawn(app, world):
    later, earlier = DAY + datetime.timedelta(days=1), DAY - datetime.timedelta(days=1)
    with app.app_context():
        user = world["surveyor"]
        kept = visit(user, "1号")  # surveyed on D
        visit(user, "2号", outcome="absent")  # 无人在家
        visit(user, "3号", day=earlier)  # surveyed, then refused on D: its latest is refused
        visit(user, "3号", outcome="refused", minute=3)
        visit(user, "4号", day=later)  # surveyed after D
        visit(user, "5号", day=earlier, outcome="absent")  # absent, then surveyed on D
        last = visit(user, "5号", minute=5)
        visit(world["surveyor2"], "6号", community=COMMUNITY_2)  # another 居委
        units = rechecks.surveyed_units(COMMUNITY, DAY)
        assert units == {kept.unit_id: kept.id, last.unit_id: last.id}
        assert set(rechecks.surveyed_units(COMMUNITY, earlier)) == {Unit.get(Unit.address == "3号").id}
        assert len(rechecks.surveyed_units(COMMUNITY, later)) == 3
        found = rechecks.draw(world["street"], Org.get_by_id(COMMUNITY), DAY, "")
        assert {row.survey_id for row in found.rows} == {kept.id, last.id} and found.candidates == 2


def test_a_street_draws_a_sample_and_the_same_draw_again_creates_nothing(app, world, actions):
    records = surveyed(app, world, 40)
    actions.login("street")
    first = draw(actions, status=201).get_json()
    ids = [r["id"] for r in first["records"]]
    assert len(ids) == 3 and first["candidates"] == 40 and first["as_of"] == DAY.isoformat()
    units = {r.unit_id: r.id for r in records}
    assert set(ids) == {units[u] for u in draw_units(units, COMMUNITY, DAY, "")}  # the rule, not the database order
    assert all(r["recheck"]["result"] is None and r["community"] == COMMUNITY for r in first["records"])
    again = draw(actions, status=200).get_json()
    assert [r["id"] for r in again["records"]] == ids and again["candidates"] is None
    assert Recheck.select().count() == 3
    other = draw(actions, seed="第二批", status=201).get_json()
    assert {r["id"] for r in other["records"]} != set(ids)
    assert Recheck.select().count() == 6
    with app.app_context():
        assert AuditLog.select().where(AuditLog.action == "draw").count() == 2


def test_a_sample_is_five_percent_of_a_large_居委_and_the_rule_is_configuration(app, world, actions, make_app):
    surveyed(app, world, 70)
    actions.login("street")
    assert len(draw(actions, status=201).get_json()["records"]) == 4  # ⌈3.5⌉
    client = make_app(RECHECK_SAMPLE_PERCENT="10", RECHECK_SAMPLE_MINIMUM=2).test_client()
    client.post("/login", data={"username": "street", "password": "correct-horse-1"})
    reply = client.post("/api/v1/rechecks/draw", json={"community": COMMUNITY, "as_of": DAY.isoformat(), "seed": "b"})
    assert reply.status_code == 201 and len(reply.get_json()["records"]) == 7


def test_a_居委_with_nothing_surveyed_by_the_day_draws_an_empty_sample(app, world, actions):
    surveyed(app, world, 5)
    actions.login("street")
    reply = draw(actions, as_of=DAY - datetime.timedelta(days=1), status=200).get_json()
    assert reply["records"] == [] and reply["candidates"] == 0
    assert Recheck.select().count() == 0


def test_each_result_is_recorded_and_counted_per_居委(app, world, actions):
    surveyed(app, world, 10)
    actions.login("street")
    a, b, c = [r["id"] for r in draw(actions, status=201).get_json()["records"]]
    reply = record(actions, a, "match")
    assert reply.status_code == 200
    assert reply.get_json() == {"record": a, "community": COMMUNITY, "result": "match", "differs": [], "note": "",
                                "checked_at": reply.get_json()["checked_at"], "signal": None}
    assert record(actions, b, "mismatch", ["not_visited", "training_differs"], "住户说从没人来过").status_code == 200
    assert record(actions, c, "unreachable", note="电话无人接听").status_code == 200
    with app.app_context():
        figures = rechecks.figures([COMMUNITY, COMMUNITY_2])
    assert figures == {COMMUNITY: {"sampled": 3, "done": 3, "match": 1, "mismatch": 1, "unreachable": 1,
                                   "rate": Decimal("50.0")}}
    stored = Recheck.get(Recheck.survey == b)
    assert (stored.result, stored.differs, stored.note) == ("mismatch", "not_visited training_differs", "住户说从没人来过")
    assert stored.checked_by_id == world["street"].id and stored.checked_at is not None
    page = actions.client.get("/rechecks/").get_data(as_text=True)
    row = re.search(rf'<tr data-community="{COMMUNITY}">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'data-label="[^"]+">([^<]*)<', row) == ["3", "3", "1", "50.0%"]
    other = re.search(rf'<tr data-community="{COMMUNITY_2}">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'data-label="[^"]+">([^<]*)<', other) == ["0", "0", "0", "—"]


def test_a_mismatch_raises_a_recheck_signal_on_the_records_author(app, world, actions):
    records = surveyed(app, world, 3)
    actions.login("street")
    draw(actions, status=201)
    target = records[0].id
    reply = record(actions, target, "mismatch", ["purchase_differs"], "住户说灭火器是在超市买的")
    signal = QualitySignal.get(QualitySignal.kind == "recheck")
    assert reply.get_json()["signal"] == signal.id
    assert signal.user_id == world["surveyor"].id and signal.community_id == COMMUNITY
    assert signal.record_ids == str(target) and signal.verdict is None
    assert Recheck.get(Recheck.survey == target).signal_id == signal.id

    # Sent again unchanged: nothing changes, no second signal, nothing more in the audit log.
    logged = AuditLog.select().count()
    checked_at = Recheck.get(Recheck.survey == target).checked_at
    again = record(actions, target, "mismatch", ["purchase_differs"], "住户说灭火器是在超市买的")
    assert again.status_code == 200 and again.get_json() == reply.get_json()
    assert AuditLog.select().count() == logged and Recheck.get(Recheck.survey == target).checked_at == checked_at
    assert QualitySignal.select().where(QualitySignal.kind == "recheck").count() == 1

    # What differs changes: the same signal, the change audited.
    reply = record(actions, target, "mismatch", ["purchase_differs", "training_differs"])
    assert reply.get_json()["signal"] == signal.id
    assert AuditLog.select().where(AuditLog.action == "recheck").count() == 2

    # Recorded again as 一致: the signal goes (nobody reviewed it); 不一致 once more raises a new one.
    assert record(actions, target, "match").get_json()["signal"] is None
    assert QualitySignal.select().where(QualitySignal.kind == "recheck").count() == 0
    raised = record(actions, target, "mismatch", ["not_visited"]).get_json()["signal"]
    assert QualitySignal.get(QualitySignal.kind == "recheck").id == raised
    assert [a.action for a in AuditLog.select().where(AuditLog.object_type == "qualitysignal").order_by(AuditLog.id)] \
        == ["raise", "withdraw", "raise"]


def test_a_reviewed_signal_stays_when_the_回访_is_corrected(app, world, actions):
    records = surveyed(app, world, 3)
    actions.login("street")
    draw(actions, status=201)
    signal_id = record(actions, records[1].id, "mismatch", ["not_visited"]).get_json()["signal"]
    QualitySignal.update(verdict="confirmed", note="核实属实").where(QualitySignal.id == signal_id).execute()
    record(actions, records[1].id, "unreachable")
    kept = QualitySignal.get_by_id(signal_id)
    assert kept.verdict == "confirmed" and kept.holds is False
    assert Recheck.get(Recheck.survey == records[1].id).signal_id is None


def test_a_record_in_two_samples_is_checked_once_and_counted_once(app, world, actions):
    records = surveyed(app, world, 3)  # three units: every sample holds all three
    actions.login("street")
    draw(actions, status=201)
    draw(actions, seed="b", status=201)
    record(actions, records[0].id, "match")
    record(actions, records[1].id, "mismatch", ["training_differs"])
    assert [r.result for r in Recheck.select().where(Recheck.survey == records[0].id)] == ["match", "match"]
    assert QualitySignal.select().where(QualitySignal.kind == "recheck").count() == 1
    third = draw(actions, seed="c", status=201).get_json()["records"]
    found = {r["id"]: r["recheck"]["result"] for r in third}
    assert found == {records[0].id: "match", records[1].id: "mismatch", records[2].id: None}
    with app.app_context():
        assert rechecks.figures([COMMUNITY])[COMMUNITY] == {
            "sampled": 3, "done": 2, "match": 1, "mismatch": 1, "unreachable": 0, "rate": Decimal("50.0")}
        # As of D (long before today, when the 回访 were recorded): sampled, none done yet; before D, no sample.
        assert rechecks.figures([COMMUNITY], as_of=DAY)[COMMUNITY] == {
            "sampled": 3, "done": 0, "match": 0, "mismatch": 0, "unreachable": 0, "rate": None}
        assert rechecks.figures([COMMUNITY], as_of=DAY - datetime.timedelta(days=1)) == {}


def test_the_street_records_on_the_sample_page_and_htmx_gets_the_item_back(app, world, actions):
    records = surveyed(app, world, 3)
    actions.login("street")
    draw(actions, status=201)
    page = actions.client.get(f"/rechecks/{COMMUNITY}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and text.count('class="recheck"') == 3
    assert "上海某某消防培训中心" in text  # what the record says, for the checker to compare
    assert "surveyor" in text and "2023-03-20 08:01" in text  # who surveyed it, and when
    reply = actions.client.post("/rechecks/record", data={"record": records[0].id, "result": "mismatch",
                                                           "differs": ["not_visited", "purchase_differs"],
                                                           "as_of": DAY.isoformat(), "seed": ""},
                                headers={"HX-Request": "true"})
    fragment = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "<html" not in fragment and "HX-Request" in reply.headers["Vary"]
    assert f'id="r-{records[0].id}"' in fragment and "未曾走访、购买情况不符" in fragment
    assert 'hx-swap-oob="true"' in fragment and "已回访</dt><dd>1 户" in fragment
    # Without htmx: back to the sample, at the item.
    reply = actions.client.post("/rechecks/record", data={"record": records[1].id, "result": "match",
                                                           "as_of": DAY.isoformat(), "seed": ""})
    assert reply.status_code == 303 and reply.headers["Location"].endswith(f"#r-{records[1].id}")
    assert Recheck.get(Recheck.survey == records[1].id).result == "match"


def test_the_street_draws_from_the_page(app, world, actions):
    surveyed(app, world, 4)
    actions.login("street")
    reply = actions.client.post("/rechecks/draw", data={"community": COMMUNITY, "as_of": DAY.isoformat(), "seed": ""})
    assert reply.status_code == 303 and f"/rechecks/{COMMUNITY}?as_of=2023-03-20" in reply.headers["Location"]
    assert Recheck.select().count() == 3
    page = actions.client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "已从 4 个已排摸单位中抽取 3 个" in page


# --- who may see what -----------------------------------------------------------------------------------------------


def test_another_streets_居委_and_its_records_are_404(app, world, actions, client):
    records = surveyed(app, world, 3, community=OTHER_COMMUNITY, user="other_surveyor", prefix="江苏路")
    actions.login("other_street")
    draw(actions, community=OTHER_COMMUNITY, status=201)
    actions.logout()
    actions.login("street")
    assert draw(actions, community=OTHER_COMMUNITY).status_code == 404
    assert draw(actions, community="310105001").status_code == 404  # a street, not a 居委
    assert draw(actions, community="999999999999").status_code == 404
    assert record(actions, records[0].id, "match").status_code == 404
    assert client.get(f"/rechecks/{OTHER_COMMUNITY}").status_code == 404
    assert client.post("/rechecks/record", data={"record": records[0].id, "result": "match"}).status_code == 404
    assert client.post("/rechecks/draw", data={"community": OTHER_COMMUNITY}).status_code == 404
    assert Recheck.get(Recheck.survey == records[0].id).result is None


def test_a_record_not_in_any_sample_is_404(app, world, actions):
    records = surveyed(app, world, 3)
    actions.login("street")
    assert record(actions, records[0].id, "match").status_code == 404
    assert record(actions, 10**17, "match").status_code == 404


def test_a_居委_never_sees_its_sample(app, world, actions, client):
    records = surveyed(app, world, 3)
    actions.login("street")
    draw(actions, status=201)
    record(actions, records[0].id, "mismatch", ["not_visited"])
    actions.logout()
    actions.login("surveyor")
    for url in ("/rechecks/", f"/rechecks/{COMMUNITY}"):
        assert client.get(url).status_code == 404
    assert draw(actions).status_code == 404
    assert record(actions, records[1].id, "match").status_code == 404
    assert client.post("/rechecks/record", data={"record": records[1].id, "result": "match"}).status_code == 404
    assert client.post("/rechecks/draw", data={"community": COMMUNITY}).status_code == 404
    # Nothing on its own pages or in its records says which units were drawn.
    for url in ("/", f"/survey/?community={COMMUNITY}", "/survey/today", "/survey/progress",
                f"/api/v1/surveys/{records[0].id}"):
        reply = client.get(url, follow_redirects=True)
        assert reply.status_code == 200, url
        text = reply.get_data(as_text=True)
        assert "回访" not in text and "抽样" not in text and "recheck" not in text, url
    assert Recheck.get(Recheck.survey == records[1].id).result is None


def test_the_district_reads_every_street_and_records_nothing(app, world, actions, client):
    records = surveyed(app, world, 3)
    actions.login("street")
    draw(actions, status=201)
    record(actions, records[0].id, "match")
    actions.logout()
    actions.login("district")
    page = client.get("/rechecks/").get_data(as_text=True)
    assert "华阳路街道" in page and "江苏路街道" in page and "抽取样本" not in page
    street = re.search(r'<tr data-street="310105001">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'data-label="[^"]+">([^<]*)<', street) == ["3", "1", "0", "100.0%"]
    sample = client.get(f"/rechecks/{COMMUNITY}").get_data(as_text=True)
    assert sample.count('class="recheck"') == 3 and "<form" not in sample.split("<main>")[1]
    assert draw(actions).status_code == 404
    assert record(actions, records[1].id, "match").status_code == 404


# --- what is refused, and where ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body, field, message", [
    ({}, "community", "请选择要抽样的居委"),
    ({"community": COMMUNITY, "as_of": "2999-01-01"}, "as_of", "抽样截至日期不能晚于今天"),
    ({"community": COMMUNITY, "as_of": "20230320"}, "as_of", "抽样截至日期格式不正确"),
    ({"community": COMMUNITY, "seed": "x" * 33}, "seed", "随机种子最多 32 个字"),
    ({"community": 310105001001}, "community", "代码应为文字"),
])
def test_a_bad_draw_is_refused_at_its_field(world, actions, body, field, message):
    actions.login("street")
    reply = actions.post_json("/api/v1/rechecks/draw", body)
    assert reply.status_code == 422 and reply.get_json()["error"] == "invalid"
    assert message in reply.get_json()["errors"][field]


@pytest.mark.parametrize("body, field, message", [
    ({"result": "match"}, "record", "请指明要回访的记录"),
    ({"record": "abc", "result": "match"}, "record", "记录应为记录编号"),
    ({"record": 0, "result": "match"}, "record", "记录应为记录编号"),
    ({"record": 1}, "result", "请选择回访结果"),
    ({"record": 1, "result": "same"}, "result", "回访结果的取值不正确"),
    ({"record": 1, "result": "mismatch"}, "differs", "请勾选哪里不符"),
    ({"record": 1, "result": "mismatch", "differs": []}, "differs", "请勾选哪里不符"),
    ({"record": 1, "result": "mismatch", "differs": ["price"]}, "differs", "不符之处的取值不正确"),
    ({"record": 1, "result": "match", "note": "x" * 501}, "note", "备注最多 500 字"),
])
def test_a_bad_回访_is_refused_at_its_field(world, actions, body, field, message):
    actions.login("street")
    reply = actions.post_json("/api/v1/rechecks", body)
    assert reply.status_code == 422 and message in reply.get_json()["errors"][field]


def test_a_body_that_is_no_object_is_refused(world, actions):
    actions.login("street")
    for url in ("/api/v1/rechecks", "/api/v1/rechecks/draw"):
        reply = actions.client.post(url, data="[1]", content_type="application/json")
        assert reply.status_code == 422 and reply.get_json()["errors"]["body"] == "请求内容应为 JSON 对象"


def test_a_mismatch_without_what_differs_is_refused_on_the_page_at_the_item(app, world, actions):
    records = surveyed(app, world, 3)
    actions.login("street")
    draw(actions, status=201)
    form = {"record": records[2].id, "result": "mismatch", "note": "说法不一", "as_of": DAY.isoformat(), "seed": ""}
    reply = actions.client.post("/rechecks/record", data=form, headers={"HX-Request": "true"})
    fragment = reply.get_data(as_text=True)
    assert reply.status_code == 422 and f'id="r-{records[2].id}"' in fragment
    assert re.search(rf'id="err-differs-{records[2].id}">[^<]*请勾选哪里不符', fragment)
    assert 'value="说法不一"' in fragment  # what was typed stays
    page = actions.client.post("/rechecks/record", data=form)
    assert page.status_code == 422 and "请按红字提示修改后再登记" in page.get_data(as_text=True)
    assert Recheck.get(Recheck.survey == records[2].id).result is None
    bad_day = actions.client.post("/rechecks/draw", data={"community": COMMUNITY, "as_of": "2999-01-01"})
    assert bad_day.status_code == 422 and "抽样截至日期不能晚于今天" in bad_day.get_data(as_text=True)
    no_record = actions.client.post("/rechecks/record", data={"result": "match"})
    assert no_record.status_code == 422


def test_a_sampled_record_whose_author_is_gone_still_shows_and_raises_no_signal(app, world, actions):
    records = surveyed(app, world, 3)
    actions.login("street")
    draw(actions, status=201)
    Survey.update(surveyor=None).where(Survey.id == records[0].id).execute()
    assert "（账号已删除）" in actions.client.get(f"/rechecks/{COMMUNITY}").get_data(as_text=True)
    reply = record(actions, records[0].id, "mismatch", ["not_visited"])
    assert reply.status_code == 200 and reply.get_json()["signal"] is None
    assert User.select().where(User.username == "surveyor").exists()


def test_the_answers_are_those_the_api_document_gives(app, world, actions):
    from tests.test_openapi import conforms

    records = surveyed(app, world, 3)
    actions.login("street")
    assert conforms(draw(actions), "/rechecks/draw", "post") == 201
    assert conforms(draw(actions), "/rechecks/draw", "post") == 200
    assert conforms(draw(actions, as_of=DAY - datetime.timedelta(days=1)), "/rechecks/draw", "post") == 200
    assert conforms(draw(actions, community=OTHER_COMMUNITY), "/rechecks/draw", "post") == 404
    assert conforms(actions.post_json("/api/v1/rechecks/draw", {"seed": 1}), "/rechecks/draw", "post") == 422
    assert conforms(record(actions, records[0].id, "mismatch", ["not_visited"]), "/rechecks", "post") == 200
    assert conforms(record(actions, records[0].id, "match"), "/rechecks", "post") == 200
    assert conforms(record(actions, 10**17, "match"), "/rechecks", "post") == 404
    assert conforms(record(actions, records[0].id, "mismatch"), "/rechecks", "post") == 422
    assert conforms(draw(actions), "/rechecks/draw", "post") == 200  # with what was found
