"""Each unit's state as of any day, kept as records arrive (design section 13; issue 17).

A unit's state on day D is its latest record up to the end of D (domain.survey.latest), and what that state adds
to its 居委's figures (附件1's unit columns, progress, coverage) is its record's `FIGURES`. Rather than look for
every unit's latest record on each read, Paimo keeps per 居委 and day how those figures changed that day
(models.CommunityDay): a record adds its figures on the day of its visit and takes them away on the day of the
unit's next record, and a unit counts among the 居委's units from the day it was laid out (or first visited, if
that was earlier). A figure as of D is then the sum of its changes up to D: exact for any past day, since each
write replays the whole timeline of the units it touches (`replayed`) — a late record, a correction that moves a
record to another unit, a record laid between two others.

`rebuild()` recomputes it from the records in one statement and `differences()` compares it with that
recomputation (`flask --app app rebuild-state [--check]`).
"""
import contextlib
import datetime
from dataclasses import dataclass

from peewee import EXCLUDED, JOIN, SQL, Case, Select, Value, fn

from domain.casework import mentions as mention_rule
from models import CommunityDay, Purchase, Survey, Training, Unit, db, is_sqlite

# The kept figures, in the order of CommunityDay's columns: the units known (laid out, or first visited if that
# was earlier) and those of them that are households; then what the units' latest records say.
FIGURES = ("units", "household_units", "visited", "surveyed", "households", "organisations", "not_reached", "trained",
           "suspect", "products", "amount_fen")
ZERO = (0,) * len(FIGURES)


def _count_if(condition):
    return Case(None, [(condition, 1)], 0)


def record_figures(s, sold, fees):
    """What one record adds to its 居委's figures while it is its unit's latest: SQL over the record `s`, the
    purchases it counts as sold at a fake training or at the door (`sold`) and the fees of its suspect trainings
    (`fees`) — design section 6, the one definition that 附件1, progress and coverage read."""
    surveyed = s.outcome == "surveyed"
    return {
        "units": Value(0),
        "household_units": _count_if(s.unit_type == "household"),
        "visited": Value(1),
        "surveyed": _count_if(surveyed),
        "households": _count_if(surveyed & (s.unit_type == "household")),
        "organisations": _count_if(surveyed & (s.unit_type != "household")),
        "not_reached": _count_if(s.outcome.in_(("absent", "refused"))),
        "trained": _count_if(surveyed & (s.trained == True)),  # noqa: E712
        "suspect": _count_if(surveyed & (s.suspect == True)),  # noqa: E712
        "products": Case(None, [(surveyed, fn.COALESCE(sold.c.quantity, 0))], 0),
        "amount_fen": Case(None, [(surveyed, fn.COALESCE(sold.c.amount_fen, 0) + fn.COALESCE(fees.c.fee_fen, 0))], 0),
    }


def unvisited_figures(unit):
    """What a unit adds before its first record: it is known, and a household when its type says so (its type is
    its latest record's, or the one it was laid out with)."""
    return {name: Value(0) for name in FIGURES} | {"household_units": _count_if(unit.type == "household")}


def _sold_and_fees():
    sold = (Purchase
            .select(Purchase.survey.alias("survey_id"), fn.SUM(Purchase.quantity).alias("quantity"),
                    fn.SUM(Purchase.amount_fen).alias("amount_fen"))
            .join(Training, JOIN.LEFT_OUTER, on=(Purchase.training == Training.id))
            .where((Training.suspect == True) | (Purchase.channel == "door_to_door"))  # noqa: E712
            .group_by(Purchase.survey).alias("sold"))
    fees = (Training.select(Training.survey.alias("survey_id"), fn.SUM(Training.fee_fen).alias("fee_fen"))
            .where(Training.suspect == True)  # noqa: E712
            .group_by(Training.survey).alias("fees"))
    return sold, fees


def _steps(unit_ids=None):
    """The steps of each unit's timeline: its state before its first record (step 0, at the unit's `created_at`),
    then each of its records (step 1, at its `visited_at`), each with how many of its trainings are mentions of an
    institution (domain.casework.mentions) and the figures it adds (FIGURES)."""
    sold, fees = _sold_and_fees()
    figures = record_figures(Survey, sold, fees)
    mentioned = Training.alias("mentioned")
    mentions_of = (mentioned.select(fn.COUNT(mentioned.id))
                   .where((mentioned.survey == Survey.id) & mention_rule.qualifying(mentioned)))
    records = (Survey.select(Survey.unit.alias("unit"), Survey.community.alias("community"),
                             Survey.visited_at.alias("at"), Value(1).alias("step"), Survey.id.alias("seq"),
                             mentions_of.alias("mentioned"), *[figures[name].alias(name) for name in FIGURES])
               .join(sold, JOIN.LEFT_OUTER, on=(sold.c.survey_id == Survey.id))
               .join(fees, JOIN.LEFT_OUTER, on=(fees.c.survey_id == Survey.id)))
    unvisited = unvisited_figures(Unit)
    before_first = Unit.select(Unit.id, Unit.community, Unit.created_at, Value(0), Unit.id, Value(0),
                               *[unvisited[name] for name in FIGURES])
    if unit_ids is not None:
        records = records.where(Survey.unit.in_(unit_ids))
        before_first = before_first.where(Unit.id.in_(unit_ids))
    return records.union_all(before_first)


def changes_query():
    """(community, day, *FIGURES) of every day on which some unit's figures change, summed per 居委 and day: the
    whole kept state recomputed from the records in one statement (what `fold` does for a few units).

    A unit is known from the day it was laid out, or from its first visit if that was earlier; each step of its
    timeline adds its figures on its day and takes them away on the next step's day."""
    steps = _steps().cte("steps")
    s = steps.c
    first_visit = fn.MIN(Case(None, [(s.step == 1, s.at)])).over(partition_by=[s.unit])
    with_first = Select(from_list=[steps], columns=[s.unit, s.community, s.at, s.step, s.seq,
                                                     first_visit.alias("first_visit"),
                                                     *[getattr(s, n) for n in FIGURES]]).cte("with_first")
    w = with_first.c
    at = Case(None, [((w.step == 0) & (w.first_visit < w.at), w.first_visit)], w.at)
    day = fn.DATE(at)
    timeline = Select(from_list=[with_first], columns=[
        w.community, day.alias("day"), (w.step == 0).alias("first"),
        fn.LEAD(day).over(partition_by=[w.unit], order_by=[at, w.step, w.seq]).alias("next_day"),
        *[getattr(w, name) for name in FIGURES]]).cte("timeline")
    r = timeline.c
    arrive = Select(from_list=[timeline], columns=[r.community, r.day, *[getattr(r, n) for n in FIGURES]])
    leave = Select(from_list=[timeline], columns=[r.community, r.next_day, *[0 - getattr(r, n) for n in FIGURES]]) \
        .where(r.next_day.is_null(False))
    known = Select(from_list=[timeline], columns=[r.community, r.day, *[Value(int(n == "units")) for n in FIGURES]]) \
        .where(r.first)
    changes = arrive.union_all(leave).union_all(known).alias("changes")
    columns = [SQL("community"), SQL("day"), *[fn.SUM(SQL(n)) for n in FIGURES]]
    return (Select(from_list=[changes], columns=columns).group_by(SQL("community"), SQL("day"))
            .with_cte(steps, with_first, timeline).bind(db))


def _day(value):
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _moment(value):
    return value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value)


def _plus(found, key, figures, sign=1):
    total = found.get(key, ZERO)
    found[key] = tuple(a + sign * int(b or 0) for a, b in zip(total, figures))


def fold(steps, without=None):
    """{(community, day): figures} of the timelines in `steps` (rows of `_steps`), leaving out record `without`:
    what `changes_query` computes for all units, for the few a write touches."""
    timelines = {}
    for unit, community, at, step, seq, _mentioned, *figures in steps:
        if not (step == 1 and seq == without):
            timelines.setdefault(unit, []).append((_moment(at), step, seq, community, figures))
    found = {}
    for timeline in timelines.values():
        records = [s for s in timeline if s[1] == 1]
        before_first = next(s for s in timeline if s[1] == 0)
        if records and records[0][0] < before_first[0]:  # known from its first visit
            timeline = [(min(r[0] for r in records),) + before_first[1:]] + records
        timeline.sort(key=lambda s: s[:3])
        community = before_first[3]
        _plus(found, (community, timeline[0][0].date()), [int(n == "units") for n in FIGURES])
        for index, (at, _, _, _, figures) in enumerate(timeline):
            _plus(found, (community, at.date()), figures)
            if index + 1 < len(timeline):
                _plus(found, (community, timeline[index + 1][0].date()), figures, -1)
    return {key: figures for key, figures in found.items() if any(figures)}


def recomputed(unit_ids):
    """{(community, day): figures} of these units, recomputed from their records; days of no change left out."""
    return fold(_steps(unit_ids).tuples()) if unit_ids else {}


def recomputed_all():
    """{(community, day): figures} of every unit, recomputed in SQL; days of no change left out."""
    found = {}
    for community, day, *figures in changes_query().tuples():
        figures = tuple(int(f or 0) for f in figures)
        if any(figures):
            found[(community, _day(day))] = figures
    return found


def kept(communities=None):
    """{(community, day): figures} as kept; days of no change left out."""
    query = CommunityDay.select(CommunityDay.community, CommunityDay.day,
                                *[getattr(CommunityDay, name) for name in FIGURES])
    if communities is not None:
        query = query.where(CommunityDay.community.in_(communities))
    return {(community, _day(day)): tuple(figures) for community, day, *figures in query.tuples() if any(figures)}


def _add(before, after):
    """Add the difference between two {(community, day): figures} to the kept changes, a statement per day."""
    for key in sorted(before.keys() | after.keys()):
        change = tuple(a - b for a, b in zip(after.get(key, ZERO), before.get(key, ZERO)))
        if not any(change):
            continue
        community, day = key
        (CommunityDay.insert(community=community, day=day, **dict(zip(FIGURES, change)))
         .on_conflict(conflict_target=[CommunityDay.community, CommunityDay.day],
                      update={getattr(CommunityDay, name): getattr(CommunityDay, name) + getattr(EXCLUDED, name)
                              for name in FIGURES})
         .execute())


def lock(*unit_ids):
    """Hold the units' rows until the transaction ends, so that two writes of one unit at once replay its timeline
    one after the other. SQLite needs nothing: every transaction there takes the write lock at BEGIN
    (models.make_database)."""
    if unit_ids and not is_sqlite():
        list(Unit.select(Unit.id).where(Unit.id.in_(sorted(unit_ids))).order_by(Unit.id).for_update())


def record_added(unit, survey, unit_is_new=False):
    """After a new record of `unit` is written (in the same transaction, the unit locked first): add what it
    changes. One read: the unit's timeline before is its timeline now without that record. Returns whether any
    record of the unit names an institution (its mentions then need keeping too)."""
    steps = list(_steps([unit.id]).tuples())
    _add({} if unit_is_new else fold(steps, without=survey.id), fold(steps))
    return any(step[5] for step in steps)


class Timelines:
    """The units a write touches, with their timelines as they were before it (see `replayed`)."""

    def __init__(self):
        self.ids, self.before = set(), {}

    def existing(self, *units):
        """Units that exist already: lock them, then read their timelines before anything changes."""
        ids = sorted({getattr(u, "id", u) for u in units if u is not None} - self.ids)
        lock(*ids)
        for key, figures in recomputed(ids).items():  # units of one 居委 change on the same days: add up
            _plus(self.before, key, figures)
        self.ids.update(ids)

    def created(self, unit):
        """A unit the write itself created: it had no timeline before."""
        self.ids.add(unit.id)


@contextlib.contextmanager
def replayed(*units):
    """Inside a write transaction: keep the kept figures of `units` (Units or ids) true across what the block
    writes. Their timelines are read before and after the block and the difference is added to the kept changes.
    A unit the block creates is told with `.created(unit)`, one it finds with `.existing(unit)`. Every write that
    changes, moves or removes records or units goes through here (a new record: `record_added`)."""
    timelines = Timelines()
    timelines.existing(*units)
    yield timelines
    _add(timelines.before, recomputed(sorted(timelines.ids)))


def rebuild():
    """Recompute every kept change from the records; returns the number of (居委, day) rows."""
    with db.atomic():
        CommunityDay.delete().execute()
        query = changes_query()
        fields = [CommunityDay.community, CommunityDay.day, *[getattr(CommunityDay, n) for n in FIGURES]]
        CommunityDay.insert_from(query, fields).execute()
    return CommunityDay.select().count()


@dataclass
class Difference:
    community: str
    day: datetime.date
    figure: str
    kept: int
    recomputed: int

    def __str__(self):
        return f"{self.community} {self.day} {self.figure}: kept {self.kept}, recomputed {self.recomputed}"


def differences():
    """Where the kept changes differ from a recomputation from the records (nothing when they agree)."""
    have, want = kept(), recomputed_all()
    found = []
    for community, day in sorted(have.keys() | want.keys()):
        for name, a, b in zip(FIGURES, have.get((community, day), ZERO), want.get((community, day), ZERO)):
            if a != b:
                found.append(Difference(community, day, name, a, b))
    return found


def figures_as_of(as_of, communities=None):
    """{居委 code: {figure: value}} as of the end of day `as_of`: one aggregate over the kept changes."""
    query = (CommunityDay
             .select(CommunityDay.community, *[fn.SUM(getattr(CommunityDay, n)).alias(n) for n in FIGURES])
             .where(CommunityDay.day <= as_of).group_by(CommunityDay.community))
    if communities is not None:
        query = query.where(CommunityDay.community.in_(communities))
    return {row[0]: dict(zip(FIGURES, (int(v or 0) for v in row[1:]))) for row in query.tuples()}
