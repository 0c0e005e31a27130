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
from models import BuiltOnce, CommunityDay, Purchase, RosterSpan, Survey, Training, Unit, db, is_sqlite

# The kept figures, in the order of CommunityDay's columns: the units known (laid out, or first visited if that
# was earlier) and those of them that are households; then what the units' latest records say; then coverage
# against the roster (design section 11): the units on it, and what the latest records of those say.
FIGURES = ("units", "household_units", "visited", "surveyed", "households", "organisations", "not_reached", "trained",
           "suspect", "products", "amount_fen", "roster", "roster_visited", "roster_surveyed", "roster_not_reached")
ZERO = (0,) * len(FIGURES)
# What a unit's record adds to the roster's figures while the unit is on the roster: {roster figure: record figure}.
ON_ROSTER = {"roster_visited": "visited", "roster_surveyed": "surveyed", "roster_not_reached": "not_reached"}
ROSTER_ONLY = ("roster", *ON_ROSTER)


def _count_if(condition):
    return Case(None, [(condition, 1)], 0)


def record_figures(s, sold_quantity, sold_fen, fees_fen):
    """What one record adds to its 居委's figures while it is its unit's latest: SQL over the record `s`, the
    products it counts as sold at a fake training or at the door (their quantity and amount) and the fees of its
    suspect trainings — design section 6, the one definition that 附件1, progress and coverage read."""
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
        "products": Case(None, [(surveyed, fn.COALESCE(sold_quantity, 0))], 0),
        "amount_fen": Case(None, [(surveyed, fn.COALESCE(sold_fen, 0) + fn.COALESCE(fees_fen, 0))], 0),
    } | {name: Value(0) for name in ROSTER_ONLY}  # added where the unit's roster spans overlap (`fold`)


def unvisited_figures(unit):
    """What a unit adds before its first record: it is known, and a household when its type says so (its type is
    its latest record's, or the one it was laid out with)."""
    return {name: Value(0) for name in FIGURES} | {"household_units": _count_if(unit.type == "household")}


def _sold_and_fees_of_each():
    """The sold products and fees of every record, aggregated once (for the whole kept state)."""
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


def _sold_and_fees_of(s):
    """The sold quantity, amount and fees of the record `s`, as subqueries of that record alone (a write's few
    units: an aggregate over every record would cost a city's write half a second)."""
    bought, at = Purchase.alias("bought"), Training.alias("bought_at")
    sold = (bought.select().join(at, JOIN.LEFT_OUTER, on=(bought.training == at.id))
            .where((bought.survey == s.id) & ((at.suspect == True) | (bought.channel == "door_to_door"))))  # noqa: E712
    charged = Training.alias("charged")
    fees = charged.select(fn.SUM(charged.fee_fen)).where((charged.survey == s.id) & (charged.suspect == True))  # noqa: E712
    return (sold.select(fn.SUM(bought.quantity)), sold.select(fn.SUM(bought.amount_fen)), fees)


def _steps(unit_ids=None, communities=None, spans=False):
    """The steps of each unit's timeline: its state before its first record (step 0, at the unit's `created_at`),
    then each of its records (step 1, at its `visited_at`), each with how many of its trainings are mentions of an
    institution (domain.casework.mentions) and the figures it adds (FIGURES). With `spans`, in the same statement,
    the unit's spans on the roster: step 2 on the day it was added, step 3 on the day it was retired, `seq` the
    span's id."""
    if unit_ids is None:
        sold, fees = _sold_and_fees_of_each()
        figures = record_figures(Survey, sold.c.quantity, sold.c.amount_fen, fees.c.fee_fen)
    else:
        figures = record_figures(Survey, *_sold_and_fees_of(Survey))
    mentioned = Training.alias("mentioned")
    mentions_of = (mentioned.select(fn.COUNT(mentioned.id))
                   .where((mentioned.survey == Survey.id) & mention_rule.qualifying(mentioned)))
    records = Survey.select(Survey.unit.alias("unit"), Survey.community.alias("community"),
                            Survey.visited_at.alias("at"), Value(1).alias("step"), Survey.id.alias("seq"),
                            mentions_of.alias("mentioned"), *[figures[name].alias(name) for name in FIGURES])
    if unit_ids is None:
        records = (records.join(sold, JOIN.LEFT_OUTER, on=(sold.c.survey_id == Survey.id))
                   .join(fees, JOIN.LEFT_OUTER, on=(fees.c.survey_id == Survey.id)))
    unvisited = unvisited_figures(Unit)
    before_first = Unit.select(Unit.id, Unit.community, Unit.created_at, Value(0), Unit.id, Value(0),
                               *[unvisited[name] for name in FIGURES])
    if unit_ids is not None:
        records = records.where(Survey.unit.in_(unit_ids))
        before_first = before_first.where(Unit.id.in_(unit_ids))
    if communities is not None:
        records = records.where(Survey.unit.in_(Unit.select(Unit.id).where(Unit.community.in_(communities))))
        before_first = before_first.where(Unit.community.in_(communities))
    query = records.union_all(before_first)
    if spans:
        zeros = [Value(0) for _ in FIGURES]
        for step, day in ((2, RosterSpan.added_on), (3, RosterSpan.retired_on)):
            rows = (RosterSpan.select(RosterSpan.unit, RosterSpan.community, day, Value(step), RosterSpan.id, Value(0),
                                      *zeros).where(day.is_null(False)))
            query = query.union_all(rows.where(RosterSpan.unit.in_(unit_ids)) if unit_ids is not None else rows)
    return query


def _spans(communities=None):
    """(unit, community, added_on, retired_on) of the units' spans on the roster."""
    query = RosterSpan.select(RosterSpan.unit.alias("unit"), RosterSpan.community.alias("community"),
                              RosterSpan.added_on.alias("added_on"), RosterSpan.retired_on.alias("retired_on"))
    return query.where(RosterSpan.community.in_(communities)) if communities is not None else query


def _columns(**values):
    """A row of FIGURES in their order: the values given, 0 for the rest."""
    return [values.get(name, Value(0)) for name in FIGURES]


def changes_query(communities=None):
    """(community, day, *FIGURES) of every day on which some unit's figures change, summed per 居委 and day: the
    whole kept state recomputed from the records in one statement (what `fold` does for a few units).

    A unit is known from the day it was laid out, or from its first visit if that was earlier; each step of its
    timeline adds its figures on its day and takes them away on the next step's day. While the unit is on the
    roster, the step adds its roster figures too (ON_ROSTER), over the days its step and its span share."""
    steps = _steps(communities=communities).cte("steps")
    s = steps.c
    first_visit = fn.MIN(Case(None, [(s.step == 1, s.at)])).over(partition_by=[s.unit])
    with_first = Select(from_list=[steps], columns=[s.unit, s.community, s.at, s.step, s.seq,
                                                     first_visit.alias("first_visit"),
                                                     *[getattr(s, n) for n in FIGURES]]).cte("with_first")
    w = with_first.c
    at = Case(None, [((w.step == 0) & (w.first_visit < w.at), w.first_visit)], w.at)
    day = fn.DATE(at)
    timeline = Select(from_list=[with_first], columns=[
        w.unit, w.community, day.alias("day"), (w.step == 0).alias("first"),
        fn.LEAD(day).over(partition_by=[w.unit], order_by=[at, w.step, w.seq]).alias("next_day"),
        *[getattr(w, name) for name in FIGURES]]).cte("timeline")
    r = timeline.c
    arrive = Select(from_list=[timeline], columns=[r.community, r.day, *[getattr(r, n) for n in FIGURES]])
    leave = Select(from_list=[timeline], columns=[r.community, r.next_day, *[0 - getattr(r, n) for n in FIGURES]]) \
        .where(r.next_day.is_null(False))
    known = Select(from_list=[timeline], columns=[r.community, r.day, *[Value(int(n == "units")) for n in FIGURES]]) \
        .where(r.first)
    spans = _spans(communities).cte("spans")
    p = spans.c
    joined = Select(from_list=[timeline, spans], columns=[r.community, r.day, r.next_day, p.added_on, p.retired_on,
                                                          *[getattr(r, n) for n in ON_ROSTER.values()]]) \
        .where((p.unit == r.unit) & (r.visited != 0)
               & (r.next_day.is_null() | ((r.day < r.next_day) & (p.added_on < r.next_day)))
               & (p.retired_on.is_null() | (r.day < p.retired_on))).cte("joined")
    j = joined.c
    begin = Case(None, [(j.day > j.added_on, j.day)], j.added_on)
    finish = Case(None, [(j.next_day.is_null(), j.retired_on), (j.retired_on.is_null(), j.next_day),
                         (j.next_day < j.retired_on, j.next_day)], j.retired_on)
    on = Select(from_list=[joined], columns=[j.community, begin, *_columns(
        **{name: getattr(j, figure) for name, figure in ON_ROSTER.items()})])
    off = Select(from_list=[joined], columns=[j.community, finish, *_columns(
        **{name: 0 - getattr(j, figure) for name, figure in ON_ROSTER.items()})]).where(finish.is_null(False))
    added = Select(from_list=[spans], columns=[p.community, p.added_on, *_columns(roster=Value(1))])
    retired = Select(from_list=[spans], columns=[p.community, p.retired_on, *_columns(roster=Value(-1))]) \
        .where(p.retired_on.is_null(False))
    changes = (arrive.union_all(leave).union_all(known).union_all(on).union_all(off).union_all(added)
               .union_all(retired).alias("changes"))
    columns = [SQL("community"), SQL("day"), *[fn.SUM(SQL(n)) for n in FIGURES]]
    return (Select(from_list=[changes], columns=columns).group_by(SQL("community"), SQL("day"))
            .with_cte(steps, with_first, timeline, spans, joined).bind(db))


def _day(value):
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _moment(value):
    return value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value)


def _plus(found, key, figures, sign=1):
    total = found.get(key, ZERO)
    found[key] = tuple(a + sign * int(b or 0) for a, b in zip(total, figures))


def fold(steps, without=None):
    """{(community, day): figures} of the timelines in `steps` (rows of `_steps`, with their roster spans), leaving
    out record `without`: what `changes_query` computes for all units, for the few a write touches."""
    spans_of = {}
    for unit, community, at, step, seq, *_ in steps:
        if step >= 2:  # a span's ends: {unit: {span: [community, added_on, retired_on]}}
            span = spans_of.setdefault(unit, {}).setdefault(seq, [community, None, None])
            span[step - 1] = _moment(at).date()
    timelines = {}
    for unit, community, at, step, seq, _mentioned, *figures in steps:
        if step >= 2:
            continue
        if not (step == 1 and seq == without):
            timelines.setdefault(unit, []).append((_moment(at), step, seq, community, figures))
    found = {}
    for unit, timeline in timelines.items():
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
        segments = [(at.date(), timeline[index + 1][0].date() if index + 1 < len(timeline) else None, figures)
                    for index, (at, _, _, _, figures) in enumerate(timeline)]
        _on_roster(found, community, segments, spans_of.get(unit, {}).values())
    return {key: figures for key, figures in found.items() if any(figures)}


_AT = {name: index for index, name in enumerate(FIGURES)}


def _on_roster(found, community, segments, spans):
    """Add to `found` what a unit's roster spans change: 1 on the roster from the day it was added to the day it was
    retired, and over the days a span shares with a step of its timeline (from `start` up to `end`, None: still
    its latest), that step's roster figures (ON_ROSTER)."""
    for span_community, added_on, retired_on in spans:
        one = tuple(int(name == "roster") for name in FIGURES)
        _plus(found, (span_community, added_on), one)
        if retired_on is not None:
            _plus(found, (span_community, retired_on), one, -1)
        for start, end, figures in segments:
            begin = max(start, added_on)
            finish = retired_on if end is None else (end if retired_on is None else min(end, retired_on))
            if (end is not None and start >= end) or (finish is not None and begin >= finish):
                continue
            shared = tuple(int(figures[_AT[ON_ROSTER[name]]] or 0) if name in ON_ROSTER else 0 for name in FIGURES)
            if any(shared):
                _plus(found, (community, begin), shared)
                if finish is not None:
                    _plus(found, (community, finish), shared, -1)


def recomputed(unit_ids):
    """{(community, day): figures} of these units, recomputed from their records; days of no change left out."""
    return fold(_steps(unit_ids, spans=True).tuples()) if unit_ids else {}


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
        _UPSERT.execute(community, day, *change)


def _upsert(community, day, *figures):
    """The statement adding one day's change to a 居委's kept figures (fifteen columns, each `x = x + excluded.x`)."""
    return (CommunityDay.insert(community=community, day=day, **dict(zip(FIGURES, figures)))
            .on_conflict(conflict_target=[CommunityDay.community, CommunityDay.day],
                         update={getattr(CommunityDay, name): getattr(CommunityDay, name) + getattr(EXCLUDED, name)
                                 for name in FIGURES}))


_UPSERT = BuiltOnce(_upsert, "\x00community", datetime.date(1900, 1, 1), *(-1_000_003 - n for n in range(len(FIGURES))))


def lock(*unit_ids):
    """Hold the units' rows until the transaction ends, so that two writes of one unit at once replay its timeline
    one after the other. SQLite needs nothing: every transaction there takes the write lock at BEGIN
    (models.make_database)."""
    if unit_ids and not is_sqlite():
        list(Unit.select(Unit.id).where(Unit.id.in_(sorted(unit_ids))).order_by(Unit.id).for_update())


# The rows of `_steps([unit_id], spans=True)`: every record asks them.
_UNIT_STEPS = BuiltOnce(lambda unit_id: _steps([unit_id], spans=True), -7_402_311)


def _unit_steps(unit_id):
    return _UNIT_STEPS.execute(unit_id).fetchall()


def record_added(unit, survey, unit_is_new=False):
    """After a new record of `unit` is written (in the same transaction, the unit locked first): add what it
    changes. One read: the unit's timeline before is its timeline now without that record. Returns whether any
    record of the unit names an institution (its mentions then need keeping too)."""
    steps = _unit_steps(unit.id)
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


def rebuild(communities=None):
    """Recompute every kept change from the records (of the 居委 `communities` only, when given: a roster import);
    returns the number of (居委, day) rows."""
    with db.atomic():
        if communities is None:
            CommunityDay.delete().execute()
        else:
            CommunityDay.delete().where(CommunityDay.community.in_(communities)).execute()
        query = changes_query(communities)
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
