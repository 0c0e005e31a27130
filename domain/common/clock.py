"""Shanghai wall-clock time. Paimo stores naive Asia/Shanghai times (UTC+8, no daylight saving): `now_local` and
`SHANGHAI` are the storage convention, defined with the models; days, "as of D" and the reporting day are here."""
import datetime
import re

from models import SHANGHAI, now_local

__all__ = ["SHANGHAI", "ISO_DAY", "now_local", "today_local", "iso_day", "to_local", "end_of_day", "last_wednesday"]

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def today_local():
    return now_local().date()


def iso_day(value):
    """The day `value` names as YYYY-MM-DD (surrounding whitespace allowed); ValueError for anything else.

    Only that form: Python 3.11's date.fromisoformat also reads 20230320 and 2023-W12-1, and str() of a number
    could reach it (the API documents dates as RFC 3339 full-date, and Schemathesis holds it to that)."""
    text = value.strip() if isinstance(value, str) else ""
    if not ISO_DAY.fullmatch(text):
        raise ValueError(f"not a YYYY-MM-DD day: {value!r}")
    return datetime.date.fromisoformat(text)


def to_local(value):
    """An aware datetime as naive Shanghai time; a naive one is taken to be Shanghai time already."""
    if value.tzinfo is not None:
        value = value.astimezone(SHANGHAI).replace(tzinfo=None)
    return value


def end_of_day(day):
    """The first instant after day `day` (records up to D are those strictly before this)."""
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())


def last_wednesday(day):
    """The plan's reporting day: the latest Wednesday on or before `day`."""
    return day - datetime.timedelta(days=(day.weekday() - 2) % 7)
