"""A unit's latest record as of a day: the one rule of design section 6, in one place.

A unit's state as of day D is its survey record with the latest `visited_at` up to the end of day D
(Asia/Shanghai); when two records share that moment, the one stored last (the higher id) wins. Without a day,
its latest record of all. The tables, the survey screens and the survey store all ask here.
"""
from peewee import fn

from domain.common.clock import end_of_day
from models import Survey


def newest_first(survey=Survey):
    """The order that puts a unit's latest record first (`survey` may be an alias of Survey)."""
    return [survey.visited_at.desc(), survey.id.desc()]


def _up_to(query, survey, as_of):
    return query if as_of is None else query.where(survey.visited_at < end_of_day(as_of))


def ranked_records(as_of=None, communities=None, name="latest"):
    """A CTE of every record up to the end of day `as_of`, each with `rn`, its rank among its unit's records
    newest first: `rn = 1` is the unit's latest. `communities` (a list or query of 居委 codes) narrows it."""
    rank = fn.ROW_NUMBER().over(partition_by=[Survey.unit], order_by=newest_first())
    query = _up_to(Survey.select(Survey.id, Survey.unit, Survey.community, Survey.visited_at, Survey.outcome,
                                 Survey.unit_type, Survey.trained, Survey.suspect, rank.alias("rn")),
                   Survey, as_of)
    if communities is not None:
        query = query.where(Survey.community.in_(communities))
    return query.cte(name)


def latest_record_of(unit, *columns, as_of=None, alias="latest"):
    """A query of the latest record of `unit` (a Unit, an id, or a column such as Unit.id for a correlated
    subquery); `columns` picks what it selects (names of Survey fields), the whole record when none."""
    survey = Survey.alias(alias)
    fields = [getattr(survey, name) for name in columns] or [survey]
    return _up_to(survey.select(*fields).where(survey.unit == unit), survey, as_of) \
        .order_by(*newest_first(survey)).limit(1)
