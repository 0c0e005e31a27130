"""Quality signals kept as records arrive (design section 12): the rules of `signals.py` applied to the stored
records, the review of a signal, and what the pages and the API read.

A record that may raise or change a signal marks its account's signals of that kind and day to be looked at again
(a SignalCheck row, in the record's transaction); the next read of the signals settles the marks before it reads
(`settle`). So a late record an outbox syncs a week after the visit extends or raises the signal of that week,
records of one account sent at once never wait for each other, and a burst of thousands of records is recomputed
once, not once a record. Most records mark nothing: a day-time record that is not late costs one bounded count of
its author's records around its visit. A signal someone reviewed is never deleted: if a correction means its
records no longer raise it, it stays with `holds = False`, review and all.
"""
import datetime

from peewee import SQL, fn

from domain.common.clock import now_local
from domain.common.fields import Code, Shape, Text
from domain.supervision.signals import Record, Thresholds, backfills, bursts, night_of, nights, signals
from models import BuiltOnce, QualitySignal, SignalCheck, Survey, Unit, User, audit, db, is_sqlite

KIND_LABELS = {"burst": "速度异常", "backfill": "集中补录", "night": "夜间记录", "recheck": "回访不符"}
VERDICT_LABELS = {"explained": "已核实无误", "confirmed": "确认问题"}
RULED_KINDS = ("burst", "backfill", "night")  # raised by the rules from times; `recheck` by a 回访
_SETTLE_LOCK = 19_012  # PostgreSQL advisory lock: one settling at a time

_thresholds = Thresholds()


def configure(thresholds):
    """The deployment's thresholds (the app sets them from its configuration at start)."""
    global _thresholds
    _thresholds = thresholds


def thresholds():
    return _thresholds


def thresholds_from(config):
    """Thresholds from the app's configuration: QUALITY_BURST_RECORDS, QUALITY_BURST_MINUTES, … (design defaults)."""
    names = Thresholds.__dataclass_fields__
    return Thresholds(**{name: int(config[f"QUALITY_{name.upper()}"]) for name in names
                         if config.get(f"QUALITY_{name.upper()}") not in (None, "")})


# --- Keeping the signals -----------------------------------------------------------------------------------

def record_stored(survey):
    """After a new record is written, in its transaction: mark the signals it may raise or change."""
    if survey.surveyor_id is None:
        return
    limits, visited_at = _thresholds, survey.visited_at
    window = datetime.timedelta(minutes=limits.burst_minutes)
    if _count(survey.surveyor_id, visited_at - window, visited_at + window) >= limits.burst_records:
        _mark(survey.surveyor_id, "burst", visited_at.date())
    night = night_of(visited_at, limits)
    if night is not None:
        _mark(survey.surveyor_id, "night", night)
    if survey.created_at - visited_at > datetime.timedelta(hours=limits.backfill_hours):
        _mark(survey.surveyor_id, "backfill", survey.created_at.date())


def record_corrected(survey, visited_before):
    """After a correction, in its transaction: the signals of the visit's old and new time (the visit may have
    moved), whatever the counts say."""
    if survey.surveyor_id is None:
        return
    for visited_at in {visited_before, survey.visited_at}:
        _mark(survey.surveyor_id, "burst", visited_at.date())
        night = night_of(visited_at, _thresholds)
        if night is not None:
            _mark(survey.surveyor_id, "night", night)
    _mark(survey.surveyor_id, "backfill", survey.created_at.date())


def _mark(user_id, kind, day):
    SignalCheck.insert(user=user_id, kind=kind, day=day).execute()


def settle():
    """Look again at every signal a record marked since the last time (each (account, kind, day) once), before
    the signals are read. One settling at a time; a mark committed while it runs is left for the next."""
    if not SignalCheck.select().exists():
        return
    with db.atomic():
        if not is_sqlite():  # SQLite: the transaction holds the one write lock already
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_SETTLE_LOCK,))
        marks = list(SignalCheck.select(SignalCheck.id, SignalCheck.user, SignalCheck.kind, SignalCheck.day).tuples())
        if not marks:
            return
        SignalCheck.delete().where(SignalCheck.id.in_([m[0] for m in marks])).execute()
        refresh = {"burst": _refresh_bursts, "night": _refresh_nights, "backfill": _refresh_backfills}
        for user_id, kind, day in sorted({(user, kind, _as_date(day)) for _, user, kind, day in marks}):
            refresh[kind](user_id, day)


def _as_date(day):
    return day if isinstance(day, datetime.date) else datetime.date.fromisoformat(str(day))


def _around(user_id, starts, ends, most):
    return (Survey.select(fn.COUNT(SQL("1"))).from_(
        Survey.select(Survey.id).where((Survey.surveyor == user_id) & (Survey.visited_at >= starts)
                                       & (Survey.visited_at <= ends)).limit(most)))


# Asked on every record: built once (models.BuiltOnce).
_AROUND = BuiltOnce(_around, -7_402_313, datetime.datetime(1900, 1, 1, 0, 0, 1), datetime.datetime(1900, 1, 1, 0, 0, 2),
                    -7_402_317)


def _count(user_id, starts, ends):
    """The account's records visited from `starts` to `ends`, counted up to the burst threshold only (an index
    range of at most that many entries, however many records there are)."""
    return _AROUND.execute(user_id, starts, ends, _thresholds.burst_records).fetchone()[0]


def _records(where):
    query = (Survey.select(Survey.id, Survey.surveyor, Survey.visited_at, Survey.created_at, Survey.community)
             .where(where).order_by(Survey.visited_at, Survey.id).tuples())
    communities = {}
    records = []
    for survey_id, user_id, visited_at, received_at, community in query:
        communities[survey_id] = community
        records.append(Record(survey_id, user_id, visited_at, received_at))
    return records, communities


def _day_start(day):
    return datetime.datetime.combine(day, datetime.time())


def _refresh_bursts(user_id, day):
    """The bursts that touch `day`, from the account's records of that day and the days either side (a burst that
    runs past midnight is found whole)."""
    records, communities = _records((Survey.surveyor == user_id)
                                    & (Survey.visited_at >= _day_start(day - datetime.timedelta(days=1)))
                                    & (Survey.visited_at < _day_start(day + datetime.timedelta(days=2))))
    day_starts, day_ends = _day_start(day), _day_start(day + datetime.timedelta(days=1))
    found = [s for s in bursts(records, _thresholds) if s.starts < day_ends and s.ends >= day_starts]
    kept = (QualitySignal.select().where((QualitySignal.user == user_id) & (QualitySignal.kind == "burst")
                                         & (QualitySignal.starts < day_ends) & (QualitySignal.ends >= day_starts))
            .order_by(QualitySignal.id))
    _reconcile(list(kept), found, communities)


def _refresh_nights(user_id, night):
    starts = _day_start(night) + datetime.timedelta(hours=_thresholds.night_starts)
    ends = _day_start(night + datetime.timedelta(days=1)) + datetime.timedelta(hours=_thresholds.night_ends)
    records, communities = _records((Survey.surveyor == user_id) & (Survey.visited_at >= starts)
                                    & (Survey.visited_at < ends))
    found = [s for s in nights(records, _thresholds) if s.day == night]
    _reconcile(list(_kept(user_id, "night", night)), found, communities)


def _refresh_backfills(user_id, day):
    records, communities = _records((Survey.surveyor == user_id) & (Survey.created_at >= _day_start(day))
                                    & (Survey.created_at < _day_start(day + datetime.timedelta(days=1))))
    found = [s for s in backfills(records, _thresholds) if s.day == day]
    _reconcile(list(_kept(user_id, "backfill", day)), found, communities)


def _kept(user_id, kind, day):
    return (QualitySignal.select().where((QualitySignal.user == user_id) & (QualitySignal.kind == kind)
                                         & (QualitySignal.day == day)).order_by(QualitySignal.id))


def _ids(signal_row):
    return tuple(int(part) for part in signal_row.record_ids.split())


def _reconcile(kept, found, communities):
    """Make the kept signals of one account, kind and stretch of time say what the rules found: a found signal
    updates the kept one it shares records with (or the one of its day), else it is new; a kept one the rules no
    longer raise is deleted, unless someone reviewed it (then it stays, marked as no longer holding)."""
    used = set()
    for signal in found:
        matches = [row for row in kept if row.id not in used
                   and (set(_ids(row)) & set(signal.records) or (row.kind != "burst" and row.day == signal.day))]
        fields = dict(day=signal.day, starts=signal.starts, ends=signal.ends, count=len(signal.records),
                      record_ids=" ".join(map(str, signal.records)), holds=True)
        if matches:
            # Two kept bursts a late record joins become one: the reviewed (or oldest) one carries on.
            keep = min(matches, key=lambda row: (row.verdict is None, row.id))
            used.update(row.id for row in matches)
            changed = {name: value for name, value in fields.items() if getattr(keep, name) != value}
            if changed:
                for name, value in changed.items():
                    setattr(keep, name, value)
                keep.updated_at = now_local()
                keep.save()
            for row in matches:
                if row is not keep:
                    _retire(row)
        else:
            QualitySignal.create(kind=signal.kind, user=signal.user, community=communities[signal.records[0]],
                                 **fields)
    for row in kept:
        if row.id not in used:
            _retire(row)


def _retire(row):
    if row.verdict is None:
        row.delete_instance()
    elif row.holds:
        row.holds = False
        row.updated_at = now_local()
        row.save(only=[QualitySignal.holds, QualitySignal.updated_at])


def raise_recheck(recheck, user):
    """A 回访 found the record 不一致: a `recheck` signal on the record's author (None when the account is gone).
    Called in the 回访's transaction; `user` is the street user who recorded the 回访."""
    survey = recheck.survey
    if survey.surveyor_id is None:
        return None
    signal = QualitySignal.create(kind="recheck", user=survey.surveyor_id, community=survey.community_id,
                                  day=(recheck.checked_at or now_local()).date(), starts=survey.visited_at,
                                  ends=survey.visited_at, count=1, record_ids=str(survey.id))
    audit(user, "raise", signal, detail=f"recheck {recheck.id}")
    return signal


def withdraw_recheck(signal, user):
    """The 回访 that raised this signal was recorded again and is no longer 不一致: the signal goes, unless someone
    reviewed it already (then it stays, marked as no longer holding)."""
    audit(user, "withdraw", signal)
    _retire(signal)


# --- Rebuilding and checking --------------------------------------------------------------------------------

def _accounts():
    """(user id, the account's signals as the rules find them, {record id: 居委}) account by account, one query an
    account: a city's ten million records are never all in memory at once."""
    users = Survey.select(Survey.surveyor).where(Survey.surveyor.is_null(False)).distinct().tuples()
    for (user_id,) in sorted(users):
        records, communities = _records(Survey.surveyor == user_id)
        yield user_id, signals(records, _thresholds), communities


def _as_key(kind, user, record_ids):
    return (kind, user, tuple(record_ids))


def differences():
    """Where the kept signals that hold differ from a recomputation from the records: [(what, kind, user,
    record ids)]; nothing when they agree."""
    settle()
    want = {_as_key(s.kind, s.user, s.records) for _, found, _ in _accounts() for s in found}
    have = {_as_key(row.kind, row.user_id, _ids(row)) for row in
            QualitySignal.select().where(QualitySignal.kind.in_(RULED_KINDS) & (QualitySignal.holds == True))}  # noqa: E712
    return ([("missing",) + key for key in sorted(want - have)]
            + [("not raised by the records",) + key for key in sorted(have - want)])


def rebuild():
    """Recompute every ruled signal from the records, keeping reviewed ones (their review stays with the signal
    that shares their records); returns the number of signals that hold."""
    with db.atomic():
        SignalCheck.delete().execute()  # what they asked for is done below
        kept = {}
        for row in QualitySignal.select().where(QualitySignal.kind.in_(RULED_KINDS)).order_by(QualitySignal.id):
            kept.setdefault(row.user_id, []).append(row)
        for user_id, found, communities in _accounts():
            _reconcile_kinds(kept.pop(user_id, []), found, communities)
        for rows in kept.values():  # accounts with no record left
            _reconcile_kinds(rows, [], {})
    return QualitySignal.select().where(QualitySignal.holds == True).count()  # noqa: E712


def _reconcile_kinds(kept, found, communities):
    for kind in RULED_KINDS:
        _reconcile([row for row in kept if row.kind == kind], [s for s in found if s.kind == kind], communities)


# --- Reading and reviewing ----------------------------------------------------------------------------------

def signals_in(communities, as_of=None, since=None, status=None, kind=None):
    """A query of the signals of these 居委 (codes or a query of them), filed up to `as_of` and from `since`;
    `status`: "open" (not reviewed), "reviewed", "confirmed"; newest first. Settles the marks first."""
    settle()
    query = QualitySignal.select(QualitySignal, User).join(User, on=(QualitySignal.user == User.id)) \
        .where(QualitySignal.community.in_(communities))
    if as_of is not None:
        query = query.where(QualitySignal.day <= as_of)
    if since is not None:
        query = query.where(QualitySignal.day >= since)
    if status == "open":
        query = query.where(QualitySignal.verdict.is_null())
    elif status == "reviewed":
        query = query.where(QualitySignal.verdict.is_null(False))
    elif status == "confirmed":
        query = query.where(QualitySignal.verdict == "confirmed")
    if kind:
        query = query.where(QualitySignal.kind == kind)
    return query.order_by(QualitySignal.day.desc(), QualitySignal.id.desc())


def open_count(communities):
    """How many signals of these 居委 wait for a review."""
    settle()
    return (QualitySignal.select().where(QualitySignal.community.in_(communities)
                                         & QualitySignal.verdict.is_null()).count())


def records_of(signal):
    """The records a signal rests on, in visit order, with their units (one query)."""
    return list(Survey.select(Survey, Unit).join(Unit).where(Survey.id.in_(_ids(signal)))
                .order_by(Survey.visited_at, Survey.id))


def timeline(records):
    """[(record, seconds since the record before it or None)] — the gaps a person reads a burst by."""
    rows, before = [], None
    for record in records:
        rows.append((record, None if before is None else int((record.visited_at - before).total_seconds())))
        before = record.visited_at
    return rows


# A review, from the signal's page or the API (design section 8: {"verdict", "note"}).
REVIEW = Shape("SignalReview", {
    "verdict": Code(VERDICT_LABELS, "核实结果"),
    "note": Text("说明（核实了什么、依据是什么）", 2000, required=True),
})


def parse_review(body):
    """((verdict, note), errors) of a review: both are needed (a review without its reasons helps nobody later)."""
    values, errors = REVIEW.read(body)
    return (None if errors else (values["verdict"], values["note"])), errors


def review(signal, user, verdict, note):
    """A person's judgement of the signal, kept on it and in the audit log (a second review replaces the first;
    both stay in the log)."""
    signal.verdict, signal.note = verdict, note
    signal.reviewed_by, signal.reviewed_at = user, now_local()
    signal.save(only=[QualitySignal.verdict, QualitySignal.note, QualitySignal.reviewed_by,
                      QualitySignal.reviewed_at])
    audit(user, "review", signal, detail=f"{verdict}: {note}"[:1000])
    return signal


def as_dict(signal):
    """A signal in the API's shape (design section 8)."""
    return {
        "id": signal.id, "kind": signal.kind, "user": signal.user_id, "community": signal.community_id,
        "count": signal.count, "first": signal.starts.isoformat() + "+08:00",
        "last": signal.ends.isoformat() + "+08:00", "day": signal.day.isoformat(),
        "records": list(_ids(signal)), "holds": signal.holds,
        "review": None if signal.verdict is None else {"verdict": signal.verdict, "note": signal.note},
    }
