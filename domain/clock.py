"""Shanghai wall-clock time. Paimo stores naive Asia/Shanghai times (UTC+8, no daylight saving)."""
import datetime

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")


def now_local():
    """The current Shanghai time, naive, to the second."""
    return datetime.datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0)


def today_local():
    return now_local().date()


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
