"""Each unit's state kept as records arrive (issue 17 item 2): after every kind of write, the kept changes of each
居委's figures equal a recomputation from the records (`flask --app app rebuild-state --check`), on SQLite and on
PostgreSQL; and the figures as of any past day are those of the units' latest records up to that day."""
import datetime
import uuid
from collections import Counter

from hypothesis import HealthCheck, given, settings, strategies as st

from domain.casework import institutions, mentions
from domain.common.clock import end_of_day, now_local
from domain.common.normalise import address_key
from domain.public import reports
from domain.roster import imports as roster_imports
from domain.survey import unit_state, units
from domain.survey.record import parse_record
from domain.survey.store import correct_record, store_record
from models import Mention as KeptMention, Org, Survey, Unit, db
from tests.conftest import COMMUNITY, COMMUNITY_2

DAY = datetime.date(2023, 3, 20)


def at(day_offset, hour=10):
    return f"{DAY + datetime.timedelta(days=day_offset)}T{hour:02d}:00:00+08:00"


def body(address, outcome="surveyed", day=0, hour=10, community=COMMUNITY, suspect=False, unit_type="household",
         client_uuid=None, name="某某消防培训中心", phone=""):
    trainings = [{"institution": name, "institution_phone": phone, "mode": "door_to_door", "fee": "100",
                  "products_pitched": True}] if suspect else []
    purchases = [{"product": "fire_blanket", "quantity": 2, "amount": "596", "channel": "training",
                  "training": 0}] if suspect else []
    return {"client_uuid": client_uuid or str(uuid.uuid4()), "community": community,
            "unit": {"type": unit_type, "address": address}, "visited_at": at(day, hour), "outcome": outcome,
            "trainings": trainings if outcome == "surveyed" else [],
            "purchases": purchases if outcome == "surveyed" else []}


def store(user, **kw):
    record, errors = parse_record(body(**kw))
    assert not errors, errors
    return store_record(user, record)[0]


def correct(user, survey, **kw):
    record, errors = parse_record(body(client_uuid=survey.client_uuid, **kw))
    assert not errors, errors
    return correct_record(user, survey, record)[0]


def assert_kept_is_recomputed():
    assert unit_state.differences() == []
    assert unit_state.kept() == unit_state.recomputed_all()
    assert mentions.differences() == []


def test_the_kept_figures_follow_every_kind_of_write(app, world):
    with app.app_context():
        user = world["surveyor"]
        community = Org.get(Org.code == COMMUNITY)
        units.lay_out_building(user, community, "1号楼", units.floor_addresses("1号楼", 2, 2))
        assert_kept_is_recomputed()
        first = store(user, address="1号楼 101室", outcome="absent", day=0)
        assert_kept_is_recomputed()
        store(user, address="1号楼 101室", outcome="surveyed", day=2, suspect=True)  # a later visit
        assert_kept_is_recomputed()
        store(user, address="1号楼 101室", outcome="refused", day=1)  # a late record, between the two
        assert_kept_is_recomputed()
        store(user, address="1号楼 101室", outcome="surveyed", day=2, hour=9)  # the same day, earlier
        assert_kept_is_recomputed()
        shop = store(user, address="长宁路100号", unit_type="shop", day=-5)  # a new unit, visited before today
        assert_kept_is_recomputed()
        correct(user, first, address="1号楼 102室", outcome="surveyed", day=3, suspect=True)  # moved to another unit
        assert_kept_is_recomputed()
        correct(user, shop, address="长宁路100号", unit_type="enterprise", outcome="absent", day=-6)
        assert_kept_is_recomputed()
        units.add_single_unit(user, community, {"type": "shop", "address": "长宁路102号", "name": ""})
        assert_kept_is_recomputed()
        db.close()


def test_a_record_moved_to_another_unit_of_its_居委_with_a_record_of_the_same_day(app, world):
    # Found by the randomized test below: the two units' timelines change on the same day of one 居委.
    with app.app_context():
        user = world["surveyor"]
        store(user, address="长宁路1号", outcome="surveyed", day=1)
        moved = store(user, address="长宁路1号", outcome="absent", day=-1, hour=17)
        store(user, address="长宁路3号", outcome="absent", day=-1, hour=14)
        correct(user, moved, address="长宁路3号", outcome="surveyed", day=-2, suspect=True)
        assert_kept_is_recomputed()
        db.close()


def test_the_kept_groups_follow_merges_splits_and_what_arrives_after_them(app, world):
    with app.app_context():
        user, district = world["surveyor"], world["district"]
        store(user, address="长宁路1号", suspect=True, name="甲消防", phone="13900000001")
        store(user, address="长宁路2号", suspect=True, name="乙消防")
        institutions.merge(district, "n:甲消防", "n:乙消防")
        store(user, address="长宁路3号", suspect=True, name="乙消防")  # arrives after the merge: joins it
        file_report("", "13900000001", COMMUNITY)  # 甲's phone, no name
        assert {m.group_key for m in KeptMention.select()} == {"n:乙消防"}  # the smallest identifier of all
        institutions.split(district, "n:甲消防", "p:13900000001")
        assert_kept_is_recomputed()
        assert {m.name_key or m.phone: m.group_key for m in KeptMention.select()} == {
            "甲消防": "n:乙消防", "乙消防": "n:乙消防", "13900000001": "p:13900000001"}
        db.close()


def test_figures_as_of_a_past_day_are_those_of_the_latest_records_then(app, world):
    with app.app_context():
        user = world["surveyor"]
        store(user, address="长宁路1号", outcome="absent", day=0)
        store(user, address="长宁路1号", outcome="surveyed", day=2, suspect=True)
        store(user, address="长宁路3号", outcome="surveyed", day=1)
        store(user, address="长宁路1号", outcome="refused", day=1)  # arrives last, happened in between
        figures = {d: unit_state.figures_as_of(DAY + datetime.timedelta(days=d)).get(COMMUNITY, {})
                   for d in (-1, 0, 1, 2)}
        assert figures[-1] == {} or not any(figures[-1].values())
        assert (figures[0]["surveyed"], figures[0]["not_reached"], figures[0]["visited"]) == (0, 1, 1)
        assert (figures[1]["surveyed"], figures[1]["not_reached"], figures[1]["visited"]) == (1, 1, 2)
        assert (figures[2]["surveyed"], figures[2]["suspect"], figures[2]["products"], figures[2]["amount_fen"]) \
            == (2, 1, 2, 69600)
        db.close()


def test_rebuild_state_checks_and_rebuilds(app, world, runner):
    with app.app_context():
        store(world["surveyor"], address="长宁路1号", day=0, suspect=True)
        db.close()
    assert runner.invoke(args=["rebuild-state", "--check"]).exit_code == 0
    with app.app_context():
        Survey.update(outcome="absent").execute()  # behind the kept state's back
        db.close()
    result = runner.invoke(args=["rebuild-state", "--check"])
    assert result.exit_code == 1 and "不一致" in result.output and "surveyed" in result.output
    assert "已从记录重建" in runner.invoke(args=["rebuild-state"]).output
    assert runner.invoke(args=["rebuild-state", "--check"]).exit_code == 0


ADDRESSES = ["长宁路1号", "长宁路2号", "长宁路3号", "1号楼 101室"]
NAMES = [("某某消防培训中心", ""), ("甲消防", "13900000001"), ("", "13900000001"), ("乙消防", "13900000002"), ("", "")]
WRITE = st.one_of(
    st.tuples(st.just("store"), st.sampled_from(ADDRESSES), st.sampled_from(["surveyed", "absent", "refused"]),
              st.integers(-3, 3), st.integers(6, 21), st.booleans(), st.sampled_from([COMMUNITY, COMMUNITY_2]),
              st.sampled_from(NAMES)),
    st.tuples(st.just("correct"), st.integers(0, 20), st.sampled_from(ADDRESSES),
              st.sampled_from(["surveyed", "absent"]), st.integers(-3, 3), st.booleans(), st.sampled_from(NAMES)),
    st.tuples(st.just("layout"), st.sampled_from([COMMUNITY, COMMUNITY_2])),
    st.tuples(st.just("report"), st.sampled_from(NAMES), st.sampled_from([COMMUNITY, COMMUNITY_2])),
    st.tuples(st.just("triage"), st.integers(0, 20), st.sampled_from(["checking", "unfounded", "confirmed"])),
    st.tuples(st.just("decide"), st.sampled_from(["merge", "split", "undo"])),
    st.tuples(st.just("roster"), st.sets(st.sampled_from(ADDRESSES)), st.sampled_from([COMMUNITY, COMMUNITY_2]),
              st.integers(-3, 3)),
)


def file_report(name, phone, community):
    values, errors = reports.parse_report({"kinds": ["door_to_door_fee"], "description": "上门收费",
                                           "institution": name, "institution_phone": phone})
    assert not errors, errors
    return reports.create_report(values, community=Org.get(Org.code == community))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(writes=st.lists(WRITE, min_size=1, max_size=12))
def test_any_sequence_of_records_corrections_and_late_records_keeps_every_day_exact(app, world, writes):
    with app.app_context():
        user = world["street"]
        stored, filed, imported, roster_day = [], [], {}, DAY - datetime.timedelta(days=3)
        with db.atomic() as transaction:  # each example starts from the same empty street
            for write in writes:
                if write[0] == "store":
                    _, address, outcome, day, hour, suspect, community, (name, phone) = write
                    stored.append(store(user, address=address, outcome=outcome, day=day, hour=hour,
                                        suspect=suspect, community=community, name=name, phone=phone))
                elif write[0] == "correct" and stored:
                    _, index, address, outcome, day, suspect, (name, phone) = write
                    survey = Survey.get_by_id(stored[index % len(stored)].id)
                    correct(user, survey, address=address, outcome=outcome, day=day, suspect=suspect,
                            community=survey.community_id, name=name, phone=phone)
                elif write[0] == "layout":
                    units.lay_out_building(user, Org.get(Org.code == write[1]), "1号楼",
                                           units.floor_addresses("1号楼", 1, 2))
                elif write[0] == "report":
                    filed.append(file_report(*write[1], write[2]))
                elif write[0] == "triage" and filed:
                    report = reports.Report.get_by_id(filed[write[1] % len(filed)].id)
                    if write[2] in reports.TRANSITIONS.get(report.status, ()):
                        reports.change_status(user, report, write[2])
                elif write[0] == "decide":
                    if write[1] == "merge":
                        institutions.merge(world["district"], "n:甲消防", "n:乙消防")
                    elif write[1] == "split":
                        institutions.split(world["district"], "n:甲消防", "p:13900000001")
                    else:
                        for decision in institutions.decisions()[:1]:
                            institutions.undo(world["district"], decision.id)
                elif write[0] == "roster" and write[1]:  # imports happen in the order of their days
                    _, addresses, community, day = write
                    roster_day = max(roster_day, DAY + datetime.timedelta(days=day))
                    import_roster(user, community, addresses, roster_day)
                    imported.setdefault(community, []).append((roster_day, {address_key(a) for a in addresses}))
            assert_kept_is_recomputed()
            for offset in range(-4, 5):
                day = DAY + datetime.timedelta(days=offset)
                assert nonzero(unit_state.figures_as_of(day)) == nonzero(by_latest_records(day, imported)), day
            for day in [DAY + datetime.timedelta(days=offset) for offset in range(-4, 5)] + [now_local().date()]:
                assert kept_mentions_on(day) == mentions_on(day), day
            transaction.rollback()
        db.close()


def kept_mentions_on(day):
    return {(m.kind, m.source, m.position) for m in KeptMention.select().where(
        (KeptMention.valid_from <= day) & (KeptMention.valid_to.is_null() | (KeptMention.valid_to > day)))}


def mentions_on(day):
    """The mentions of day D the slow way, in Python (design section 5): the qualifying trainings of each unit's
    latest record then, the reports received by then and not unfounded then, the leads logged by then."""
    eod = end_of_day(day)
    found = set()
    for unit in Unit.select():
        latest = ([s for s in sorted(unit.surveys, key=lambda s: (s.visited_at, s.id)) if s.visited_at < eod]
                  or [None])[-1]
        if latest is not None and latest.outcome == "surveyed":
            found |= {("training", latest.id, t.position) for t in latest.trainings
                      if t.suspect or ((t.institution_key or t.phone_digits) and "unapproved" in t.flags)}
    for report in reports.Report.select().where(reports.Report.created_at < eod):
        events = [e.status for e in sorted(report.events, key=lambda e: (e.at, e.id)) if e.at < eod]
        status = (events or ["new"])[-1] if list(report.events) else report.status
        if status != "unfounded":
            found.add(("report", report.id, 0))
    return found


def import_roster(user, community, addresses, day):
    rows = [(number, community, "", address, "", "", "") for number, address in enumerate(sorted(addresses), 2)]
    planned = roster_imports.plan(user, rows)
    assert not planned.errors, planned.errors
    return roster_imports.apply(user, planned, today=day)


def on_roster(imported, unit, day):
    """Whether the last roster of the unit's 居委 imported by `day` holds its address (design section 11)."""
    rosters = [addresses for imported_on, addresses in imported.get(unit.community_id, []) if imported_on <= day]
    return bool(rosters) and unit.address_key in rosters[-1]


def by_latest_records(day, imported=None):
    """The figures as of `day` the slow way, in Python: every unit's latest record up to then (design section 6);
    and coverage against the rosters `imported` ({居委: [(day, address keys)]}, in the order imported)."""
    eod = end_of_day(day)
    found = {}
    for unit in Unit.select():
        records = sorted(unit.surveys, key=lambda s: (s.visited_at, s.id))
        latest = ([s for s in records if s.visited_at < eod] or [None])[-1]
        if on_roster(imported or {}, unit, day):
            figures = found.setdefault(unit.community_id, Counter())
            figures["roster"] += 1
            figures["roster_visited"] += latest is not None
            figures["roster_surveyed"] += latest is not None and latest.outcome == "surveyed"
            figures["roster_not_reached"] += latest is not None and latest.outcome in ("absent", "refused")
        if min([unit.created_at] + [s.visited_at for s in records]) >= eod:
            continue  # not known yet
        figures = found.setdefault(unit.community_id, Counter())
        figures["units"] += 1
        if latest is None:
            figures["household_units"] += unit.type == "household"
            continue
        figures["household_units"] += latest.unit_type == "household"
        figures["visited"] += 1
        if latest.outcome in ("absent", "refused"):
            figures["not_reached"] += 1
        if latest.outcome != "surveyed":
            continue
        figures["surveyed"] += 1
        figures["households" if latest.unit_type == "household" else "organisations"] += 1
        figures["trained"] += latest.trained
        figures["suspect"] += latest.suspect
        trainings = {t.id: t for t in latest.trainings}
        sold = [p for p in latest.purchases
                if (p.training_id and trainings[p.training_id].suspect) or p.channel == "door_to_door"]
        figures["products"] += sum(p.quantity for p in sold)
        figures["amount_fen"] += sum(p.amount_fen for p in sold) + sum(
            t.fee_fen for t in trainings.values() if t.suspect)
    return {community: {name: figures[name] for name in unit_state.FIGURES} for community, figures in found.items()}


def nonzero(figures_by_community):
    return {community: figures for community, figures in figures_by_community.items() if any(figures.values())}
