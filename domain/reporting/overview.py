"""What a street or district office sees first: the 线索 waiting for it and the survey's progress, per 居委 for a
street and per 街镇 for the district (issue 8, item 9). A few SQL aggregates, never a query per row."""
from peewee import fn

from domain.org.permissions import community_codes, scope, sees_whole_city, sees_whole_district
from domain.reporting.tables import coverage_percent
from domain.survey.units import community_progress
from models import Org, Report

# The steps of the 线索 queue that wait for a street or district office, in the order they are worked.
WAITING = ("new", "checking", "confirmed")
COUNTS = ("total", "surveyed", "not_reached", "not_visited", "roster", "roster_surveyed")


def report_counts(user):
    """{status: number of reports in the user's scope}, every status present."""
    rows = scope(user, Report).select(Report.status, fn.COUNT(Report.id).alias("n")).group_by(Report.status)
    found = {row["status"]: row["n"] for row in rows.dicts()}
    return {status: int(found.get(status, 0)) for status in WAITING}


def _new_reports_by(user, column):
    rows = (scope(user, Report).select(column.alias("place"), fn.COUNT(Report.id).alias("n"))
            .where(Report.status == "new").group_by(column).dicts())
    return {row["place"]: int(row["n"]) for row in rows}


def progress(user):
    """Rows of (code, name, total, surveyed, not_reached, not_visited, new_reports): the street's 居委, the
    district's 街镇 (each the sum of its 居委), or the city's districts (each the sum of its 街镇)."""
    per_community = community_progress(community_codes(user))
    if not sees_whole_district(user):
        new = _new_reports_by(user, Report.community)
        return with_coverage([{"code": row["community"].code, "name": row["community"].name,
                               **{k: row[k] for k in COUNTS}, "new_reports": new.get(row["community"].code, 0)}
                              for row in per_community])
    city = sees_whole_city(user)
    new = _new_reports_by(user, Report.district if city else Report.street)
    places = Org.select().where(Org.kind == "district") if city else user.org.streets()
    rows = {place.code: {"code": place.code, "name": place.name, **dict.fromkeys(COUNTS, 0),
                         "new_reports": new.get(place.code, 0)}
            for place in places.order_by(Org.code)}
    district_of = dict(Org.select(Org.code, Org.parent).where(Org.kind == "street").tuples()) if city else {}
    for row in per_community:
        street = row["community"].parent_id
        place = rows.get(district_of.get(street) if city else street)
        if place is not None:
            for key in COUNTS:
                place[key] += row[key]
    return with_coverage(list(rows.values()))


def with_coverage(rows):
    """Each row with its 覆盖率 against the roster (design section 11)."""
    for row in rows:
        row["coverage"] = coverage_percent(row["roster_surveyed"], row["roster"])
    return rows


def unplaced_new_reports(user):
    """New reports the office must place itself: of the street with no 居委 named, or (district) with no street."""
    if sees_whole_city(user):
        return 0  # every report is in a district's queue
    column = Report.street if sees_whole_district(user) else Report.community
    return _new_reports_by(user, column).get(None, 0)
