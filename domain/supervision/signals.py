"""Quality signals (design section 12): the rules that raise `burst`, `backfill` and `night` from one account's
records, as plain functions of the records' times. `recheck` comes from a 回访 found 不一致, not from times.

Times are local (Asia/Shanghai) and naive, as the records keep them. Each signal carries the ids of the records
it rests on, so that a person can open them and judge: a signal is evidence to check, not a verdict.
"""
import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    """The deployment's thresholds (configuration); the defaults are design section 12's."""

    burst_records: int = 30  # records of one account …
    burst_minutes: int = 10  # … with visited_at within this many minutes
    backfill_records: int = 10  # records of one account received on one day …
    backfill_hours: int = 72  # … each visited more than this many hours before it was received
    night_records: int = 5  # records of one account visited in one night …
    night_starts: int = 22  # … from this hour
    night_ends: int = 6  # … to this hour the next morning


@dataclass(frozen=True)
class Record:
    """What the rules read of a record: its id, its author, when the visit happened and when it was received."""

    id: int
    user: int
    visited_at: datetime.datetime
    received_at: datetime.datetime


@dataclass(frozen=True)
class Signal:
    kind: str  # burst | backfill | night
    user: int
    records: tuple  # the ids of the records it rests on, in visit order
    starts: datetime.datetime  # the first and last visit it covers
    ends: datetime.datetime
    day: datetime.date  # the day it is filed under: the burst's or the night's evening, or the day of receipt


def signals(records, thresholds=Thresholds()):
    """Every signal the records raise, account by account, in a stable order (user, kind, start)."""
    by_user = {}
    for record in records:
        by_user.setdefault(record.user, []).append(record)
    found = []
    for user in sorted(by_user):
        mine = sorted(by_user[user], key=lambda r: (r.visited_at, r.id))
        found += bursts(mine, thresholds) + backfills(mine, thresholds) + nights(mine, thresholds)
    return found


def _signal(kind, records, day):
    ordered = sorted(records, key=lambda r: (r.visited_at, r.id))
    return Signal(kind, ordered[0].user, tuple(r.id for r in ordered), ordered[0].visited_at, ordered[-1].visited_at,
                  day)


def bursts(records, thresholds=Thresholds()):
    """`burst`: at least N records visited within M minutes. Each window of N or more records from one record's
    visit to M minutes later is a burst; windows that share a record are one signal covering their union."""
    window = datetime.timedelta(minutes=thresholds.burst_minutes)
    found, current, end, last = [], None, 0, 0
    for first in range(len(records)):
        last = max(last, first)
        while last + 1 < len(records) and records[last + 1].visited_at - records[first].visited_at <= window:
            last += 1
        if last - first + 1 < thresholds.burst_records:
            continue
        if current is not None and first <= end:  # overlaps the burst being built: one signal
            end = last
        else:
            if current is not None:
                found.append(_signal("burst", records[current:end + 1], records[current].visited_at.date()))
            current, end = first, last
    if current is not None:
        found.append(_signal("burst", records[current:end + 1], records[current].visited_at.date()))
    return found


def backfills(records, thresholds=Thresholds()):
    """`backfill`: at least N records received on one day, each visited more than H hours before its receipt."""
    late = datetime.timedelta(hours=thresholds.backfill_hours)
    by_day = {}
    for record in records:
        if record.received_at - record.visited_at > late:
            by_day.setdefault(record.received_at.date(), []).append(record)
    return [_signal("backfill", group, day) for day, group in sorted(by_day.items())
            if len(group) >= thresholds.backfill_records]


def night_of(visited_at, thresholds=Thresholds()):
    """The evening a visit at night belongs to (00:30 on the 6th is the night of the 5th), or None by day."""
    if visited_at.hour >= thresholds.night_starts:
        return visited_at.date()
    if visited_at.hour < thresholds.night_ends:
        return visited_at.date() - datetime.timedelta(days=1)
    return None


def nights(records, thresholds=Thresholds()):
    """`night`: at least N records visited between the night's start and end hours of one night."""
    by_night = {}
    for record in records:
        night = night_of(record.visited_at, thresholds)
        if night is not None:
            by_night.setdefault(night, []).append(record)
    return [_signal("night", group, night) for night, group in sorted(by_night.items())
            if len(group) >= thresholds.night_records]
