"""Quality signals kept as records arrive (issue 19, design section 12): raised, extended and merged by the records
sent through the API, equal to a recomputation after every write, reviewed by the street, never lost once reviewed,
and shown to the street and the district only."""
import datetime
import uuid

import pytest

from domain.common.clock import now_local
from domain.supervision import quality
from models import AuditLog, QualitySignal, Survey
from tests.conftest import COMMUNITY, OTHER_COMMUNITY, negative_body


def at(moment):
    return moment.replace(microsecond=0).isoformat() + "+08:00"


def send(actions, visited_at, n, address="华阳路{n}号", community=COMMUNITY):
    """One-tap records, one per address, at the given local moment."""
    reply = actions.post_survey(negative_body(address.format(n=n), community=community, visited_at=at(visited_at)))
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()["id"]


def burst(actions, start, count, step_seconds=15, first=0):
    return [send(actions, start + datetime.timedelta(seconds=i * step_seconds), first + i) for i in range(count)]


def kept(kind=None):
    quality.settle()  # what a read of the signals does first
    query = QualitySignal.select().order_by(QualitySignal.id)
    return [s for s in query if kind is None or s.kind == kind]


@pytest.fixture
def morning():
    """Yesterday 09:00, local: records of a door-to-door morning, received today."""
    return (now_local() - datetime.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)


def test_thirty_records_in_ten_minutes_raise_one_burst_and_a_thirty_first_extends_it(world, actions, morning):
    actions.login("surveyor")
    ids = burst(actions, morning, 29)
    assert kept() == []  # 29 is not enough
    ids.append(send(actions, morning + datetime.timedelta(seconds=29 * 15), 29))
    (signal,) = kept("burst")
    assert (signal.count, signal.user_id, signal.community_id) == (30, world["surveyor"].id, COMMUNITY)
    assert quality._ids(signal) == tuple(ids)
    ids.append(send(actions, morning + datetime.timedelta(seconds=30 * 15), 30))
    (signal,) = kept("burst")
    assert signal.count == 31 and quality._ids(signal) == tuple(ids)
    assert quality.differences() == []


def test_a_late_record_joining_two_bursts_makes_them_one(world, actions, morning):
    actions.login("surveyor")
    burst(actions, morning, 30)  # 09:00:00 – 09:07:15
    burst(actions, morning + datetime.timedelta(minutes=30), 30, first=100)  # 09:30 – 09:37:15
    assert len(kept("burst")) == 2
    # The outbox syncs a day's taps in between: every window now overlaps the next.
    for i in range(90):  # 09:07:30 – 09:29:45, one every 15 seconds
        send(actions, morning + datetime.timedelta(minutes=7, seconds=30 + i * 15), 200 + i)
    (signal,) = kept("burst")
    assert signal.count == 150
    assert quality.differences() == []


def test_ten_records_received_three_days_late_raise_a_backfill(world, actions):
    actions.login("surveyor")
    long_ago = (now_local() - datetime.timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0)
    for i in range(10):
        send(actions, long_ago + datetime.timedelta(hours=i), i)
    (signal,) = kept("backfill")
    assert signal.count == 10 and signal.day == now_local().date()
    assert quality.differences() == []


def test_five_records_at_night_raise_a_night_signal_filed_under_the_evening(world, actions):
    actions.login("surveyor")
    evening = (now_local() - datetime.timedelta(days=2)).replace(hour=23, minute=0, second=0, microsecond=0)
    for i in range(5):
        send(actions, evening + datetime.timedelta(minutes=40 * i), i)  # 23:00 … 01:40
    (signal,) = kept("night")
    assert signal.count == 5 and signal.day == evening.date()
    assert quality.differences() == []


def test_thresholds_come_from_the_configuration(make_app):
    app = make_app(QUALITY_BURST_RECORDS="5", QUALITY_BURST_MINUTES="2")
    from tests.conftest import Actions, make_world
    with app.app_context():
        make_world(app)
    actions = Actions(app.test_client())
    actions.login("surveyor")
    start = (now_local() - datetime.timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
    for i in range(5):
        send(actions, start + datetime.timedelta(seconds=20 * i), i)
    with app.app_context():
        assert [s.count for s in kept("burst")] == [5]
    quality.configure(quality.Thresholds())  # the other tests' defaults


def correct_visit(actions, survey_id, visited_at):
    stored = actions.client.get(f"/api/v1/surveys/{survey_id}").get_json()
    body = {key: stored[key] for key in ("client_uuid", "community", "outcome", "trainings", "purchases")}
    body.update(unit={"type": stored["unit"]["type"], "address": stored["unit"]["address"]},
                visited_at=at(visited_at), correction_id=str(uuid.uuid4()))
    reply = actions.client.put(f"/api/v1/surveys/{survey_id}", json=body)
    assert reply.status_code == 200, reply.get_json()


def test_a_reviewed_signal_stays_when_a_correction_undoes_it_an_unreviewed_one_goes(world, actions, morning):
    actions.login("surveyor")
    first = burst(actions, morning, 30)
    second = burst(actions, morning + datetime.timedelta(hours=3), 30, first=100)
    one, two = kept("burst")
    actions.logout()
    actions.login("street")
    reply = actions.post_json(f"/api/v1/quality/{one.id}/review", {"verdict": "explained", "note": "楼组长陪同，逐户核实"})
    assert reply.status_code == 200 and reply.get_json()["review"]["verdict"] == "explained"
    actions.logout()
    actions.login("surveyor")
    # The surveyor corrects the visit times of one record of each burst: neither holds 30 records any more.
    correct_visit(actions, first[0], morning - datetime.timedelta(hours=2))
    correct_visit(actions, second[0], morning - datetime.timedelta(hours=2))
    (left,) = kept("burst")
    assert left.id == one.id and left.holds is False and left.verdict == "explained"
    assert QualitySignal.get_or_none(QualitySignal.id == two.id) is None
    assert quality.differences() == []


def test_rebuild_keeps_reviews_and_check_finds_a_tampered_signal(world, actions, morning, runner):
    actions.login("surveyor")
    burst(actions, morning, 30)
    (signal,) = kept("burst")
    quality.review(signal, world["street"], "confirmed", "当事人承认在楼下集中补点")
    QualitySignal.update(count=1, record_ids="1").execute()
    result = runner.invoke(args=["rebuild-state", "--check"])
    assert result.exit_code != 0 and "质量信号" in result.output
    result = runner.invoke(args=["rebuild-state"])
    assert result.exit_code == 0, result.output
    (rebuilt,) = kept("burst")
    assert (rebuilt.id, rebuilt.count, rebuilt.verdict) == (signal.id, 30, "confirmed")
    assert runner.invoke(args=["rebuild-state", "--check"]).exit_code == 0


def test_the_street_lists_opens_and_reviews_a_signal_and_the_review_is_audited(world, actions, morning):
    actions.login("surveyor")
    burst(actions, morning, 30)
    (signal,) = kept("burst")
    actions.logout()
    actions.login("street")
    page = actions.client.get("/quality/").get_data(as_text=True)
    assert "速度异常" in page and "不是结论" in page and f"/quality/{signal.id}" in page
    page = actions.client.get(f"/quality/{signal.id}").get_data(as_text=True)
    assert page.count("<time") == 30 and "距上一条 15 秒" in page
    reply = actions.client.post(f"/quality/{signal.id}/review", data={"verdict": "confirmed", "note": ""})
    assert reply.status_code == 422 and "note-error" in reply.get_data(as_text=True)
    reply = actions.client.post(f"/quality/{signal.id}/review", data={"verdict": "confirmed", "note": "未实际上门"})
    assert reply.status_code == 303
    assert QualitySignal.get_by_id(signal.id).verdict == "confirmed"
    log = AuditLog.get((AuditLog.object_type == "qualitysignal") & (AuditLog.action == "review"))
    assert log.detail == "confirmed: 未实际上门" and log.user_id == world["street"].id


def test_the_api_lists_signals_in_the_design_shape(world, actions, morning):
    actions.login("surveyor")
    ids = burst(actions, morning, 30)
    actions.logout()
    actions.login("district")
    body = actions.client.get("/api/v1/quality").get_json()
    (signal,) = body["signals"]
    assert signal["kind"] == "burst" and signal["user"] == world["surveyor"].id and signal["community"] == COMMUNITY
    assert signal["count"] == 30 and signal["records"] == ids and signal["review"] is None
    assert signal["first"].endswith("+08:00") and signal["last"] > signal["first"]
    reply = actions.post_json(f"/api/v1/quality/{signal['id']}/review", {"verdict": "maybe", "note": "x"})
    assert reply.status_code == 422 and "verdict" in reply.get_json()["errors"]
    assert actions.client.get("/api/v1/quality?as_of=2023-13-01").status_code == 422


@pytest.mark.parametrize("who", ["other_street", "surveyor", "department"])
def test_nobody_else_sees_a_signal(world, actions, morning, who):
    actions.login("surveyor")
    burst(actions, morning, 30)
    (signal,) = kept("burst")
    actions.logout()
    actions.login(who)
    assert actions.client.get(f"/quality/{signal.id}").status_code == 404
    assert actions.post_json(f"/api/v1/quality/{signal.id}/review",
                             {"verdict": "explained", "note": "x"}).status_code == 404
    listed = actions.client.get("/api/v1/quality")
    assert listed.status_code == 404 or listed.get_json()["signals"] == []


def test_a_record_of_another_account_or_another_day_does_not_join_a_burst(world, actions, morning):
    actions.login("surveyor")
    burst(actions, morning, 29)
    actions.logout()
    actions.login("other_surveyor")
    send(actions, morning + datetime.timedelta(minutes=3), 1, community=OTHER_COMMUNITY)
    assert kept() == []
    assert Survey.select().count() == 30


# --- any sequence of records and corrections keeps the signals exact ---------------------------------------

from hypothesis import HealthCheck, event, given, settings, strategies as st  # noqa: E402

from domain.survey.record import parse_record  # noqa: E402
from domain.survey.store import correct_record, store_record  # noqa: E402
from models import db  # noqa: E402

SMALL = quality.Thresholds(burst_records=3, burst_minutes=10, backfill_records=3, backfill_hours=72, night_records=2)
WHEN = st.tuples(st.integers(-6, 0), st.sampled_from([0, 1, 9, 10, 22, 23]), st.integers(0, 40))
WRITE = st.one_of(st.tuples(st.just("store"), WHEN, st.integers(0, 3)),
                  st.tuples(st.just("correct"), st.integers(0, 30), WHEN),
                  st.tuples(st.just("review"), st.integers(0, 5), st.sampled_from(["explained", "confirmed"])))


def record_body(when, address=0, client_uuid=None):
    day, hour, minute = when
    moment = (now_local() + datetime.timedelta(days=day)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    record, errors = parse_record(negative_body(f"华阳路{address}号", visited_at=at(min(moment, now_local())),
                                                client_uuid=client_uuid or str(uuid.uuid4())))
    assert not errors, errors
    return record


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(writes=st.lists(WRITE, min_size=1, max_size=14))
def test_any_sequence_of_records_corrections_and_reviews_keeps_the_signals_exact(app, world, writes):
    quality.configure(SMALL)
    try:
        with app.app_context(), db.atomic() as transaction:  # each example starts from no records
            user, stored, reviewed = world["surveyor"], [], set()
            for write in writes:
                if write[0] == "store":
                    stored.append(store_record(user, record_body(write[1], write[2]))[0])
                elif write[0] == "correct" and stored:
                    survey = Survey.get_by_id(stored[write[1] % len(stored)].id)
                    correct_record(user, survey, record_body(write[2], client_uuid=survey.client_uuid))
                elif write[0] == "review":
                    signals = kept()
                    if signals:
                        signal = signals[write[1] % len(signals)]
                        quality.review(signal, world["street"], write[2], "核实")
                        reviewed.add(signal.id)
                assert quality.differences() == []
                # A reviewed signal is never lost, whatever the records do after.
                assert reviewed <= {s.id for s in kept()}
            event(f"signals kept: {min(len(kept()), 3)}+")
            transaction.rollback()
    finally:
        quality.configure(quality.Thresholds())


def test_the_street_narrows_its_signals_to_one_居委(world, actions, morning):
    actions.login("surveyor")
    burst(actions, morning, 30)
    actions.logout()
    actions.login("street")
    page = actions.client.get(f"/quality/?community={COMMUNITY}").get_data(as_text=True)
    assert "速度异常" in page and 'option value="310105001002"' in page
    assert "速度异常" not in actions.client.get("/quality/?community=310105001002").get_data(as_text=True)
    assert actions.client.get(f"/quality/?community={OTHER_COMMUNITY}").status_code == 404
