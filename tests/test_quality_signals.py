"""The rules of the quality signals (design section 12, issue 19), as plain functions of the records' times."""
import datetime

import pytest

from domain.supervision.signals import Record, Thresholds, backfills, bursts, night_of, nights, signals

pytestmark = pytest.mark.engine_independent

DAY = datetime.datetime(2023, 3, 20, 9, 0)


def taps(user, count, start, every_seconds, first_id=1, received_after=datetime.timedelta(minutes=1)):
    """`count` records of `user`, one every `every_seconds` from `start`."""
    return [Record(first_id + n, user, start + datetime.timedelta(seconds=n * every_seconds),
                   start + datetime.timedelta(seconds=n * every_seconds) + received_after) for n in range(count)]


def test_thirty_doors_in_ten_minutes_is_a_burst_and_twenty_nine_is_not():
    assert len(bursts(taps(1, 30, DAY, 20))) == 1  # 30 records in 9 min 40 s
    assert bursts(taps(1, 29, DAY, 20)) == []
    assert bursts(taps(1, 30, DAY, 25)) == []  # 30 records over 12 min 5 s: a real round


def test_overlapping_bursts_of_one_account_are_one_signal_covering_their_union():
    records = taps(1, 60, DAY, 15)  # 60 taps in 15 minutes: windows overlap all the way
    found = bursts(records)
    assert len(found) == 1 and found[0].records == tuple(r.id for r in records)
    assert (found[0].starts, found[0].ends) == (records[0].visited_at, records[-1].visited_at)
    # Two bursts an hour apart are two signals, and the honest records between them are in neither.
    apart = taps(1, 30, DAY, 10) + taps(1, 5, DAY + datetime.timedelta(minutes=30), 300, 100) + taps(
        1, 30, DAY + datetime.timedelta(hours=2), 10, 200)
    found = bursts(sorted(apart, key=lambda r: r.visited_at))
    assert [len(s.records) for s in found] == [30, 30] and not {100, 101} & set(found[0].records + found[1].records)


def test_signals_are_per_account():
    # Two surveyors of one 居委 working side by side: 20 doors each in ten minutes, no burst for either.
    assert signals(taps(1, 20, DAY, 30) + taps(2, 20, DAY, 30, first_id=100)) == []
    found = signals(taps(1, 30, DAY, 10) + taps(2, 20, DAY, 30, first_id=100))
    assert [(s.kind, s.user) for s in found] == [("burst", 1)]


def test_ten_records_received_on_one_day_three_days_after_their_visits_are_a_backfill():
    late = datetime.timedelta(hours=72, minutes=1)
    found = backfills(taps(1, 10, DAY, 3600, received_after=late))
    assert len(found) == 1 and found[0].kind == "backfill" and len(found[0].records) == 10
    assert found[0].day == (DAY + late).date()
    assert backfills(taps(1, 9, DAY, 3600, received_after=late)) == []
    assert backfills(taps(1, 10, DAY, 600, received_after=datetime.timedelta(hours=71))) == []  # an outbox two days late


def test_night_records_count_for_the_evening_they_belong_to():
    assert night_of(datetime.datetime(2023, 3, 6, 0, 30)) == datetime.date(2023, 3, 5)
    assert night_of(datetime.datetime(2023, 3, 5, 22, 0)) == datetime.date(2023, 3, 5)
    assert night_of(datetime.datetime(2023, 3, 5, 6, 0)) is None and night_of(datetime.datetime(2023, 3, 5, 21, 59)) is None
    evening = datetime.datetime(2023, 3, 5, 22, 30)
    found = nights(taps(1, 5, evening, 1800))  # 22:30 to 00:30: one night
    assert len(found) == 1 and found[0].day == datetime.date(2023, 3, 5)
    assert nights(taps(1, 4, evening, 1800)) == []


def test_thresholds_are_configuration():
    strict = Thresholds(burst_records=10, burst_minutes=5)
    assert bursts(taps(1, 10, DAY, 30), strict) and not bursts(taps(1, 10, DAY, 30))
