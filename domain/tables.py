"""附件1 区消防培训情况排摸统计表 as of a day D, for the district or one street (design section 6).

Everything per unit happens in the database: each unit's latest record up to the end of day D is picked
with a window function (ROW_NUMBER over the unit's records, newest first), and the columns are sums over
those records grouped by 居委. Python then adds the ~200 居委 rows up into streets and counts institutions
over the few suspect mentions (domain.institutions), never looping over units.
"""
from dataclasses import dataclass, field

from peewee import JOIN, SQL, Case, Select, fn

from domain.clock import end_of_day
from domain.survey_store import from_fen
from models import Org, Purchase, Report, ReportEvent, Survey, Training, Unit

TABLE1_NAME = "消防培训情况排摸统计表"  # 附件1's official name, after the district's name

# The 附件1 columns in order (design sections 6 and 8): JSON key, Chinese header.
COLUMNS = (
    ("communities", "居委数"), ("surveyed", "排摸单位数"), ("households", "其中居民户"),
    ("organisations", "其中单位"), ("not_reached", "未遇或拒访"), ("trained", "接受过消防培训"),
    ("suspect", "其中疑似冒牌培训"), ("institutions", "涉及机构数"), ("products", "兜售产品件数"),
    ("amount", "涉及金额（元）"), ("reports", "群众举报线索"), ("referred", "已移交部门"),
)
HEADERS = dict(COLUMNS)
# Figures summed from the 居委 rows; `amount` is kept as integer fen until it is shown.
ADDITIVE = ("communities", "surveyed", "households", "organisations", "not_reached", "trained", "suspect",
            "products", "amount_fen", "reports", "not_visited")


def empty_figures():
    figures = {key: 0 for key, _ in COLUMNS if key != "amount"}
    figures["amount_fen"] = 0
    figures["not_visited"] = 0  # not a 附件1 column: the progress charts' units laid out but never visited
    return figures


def figures_json(figures):
    """The figures with the keys of design section 8, in column order; money as a decimal string."""
    return {key: (str(from_fen(figures["amount_fen"])) if key == "amount" else figures[key]) for key, _ in COLUMNS}


@dataclass
class Table1:
    as_of: object
    district: object  # Org
    street: object  # Org, or None for the whole district
    rows: list = field(default_factory=list)  # per 街镇: {code, name, **figures}
    communities: list = field(default_factory=list)  # per 居委: {code, name, street_code, street_name, **figures}
    total: dict = field(default_factory=empty_figures)

    @property
    def filled_by(self):
        """填报单位: the district, or the street under its district."""
        return self.district.name + (self.street.name if self.street else "")

    @property
    def title(self):
        return self.district.name + TABLE1_NAME

    def as_json(self):
        return {"table": 1, "as_of": self.as_of.isoformat(),
                "rows": [{"code": r["code"], "name": r["name"], **figures_json(r)} for r in self.rows],
                "total": figures_json(self.total)}


# --- the state of each unit as of D -------------------------------------------------------------------------


def latest_records(as_of, communities=None):
    """A CTE `latest` of every survey up to the end of day `as_of`, ranked per unit (rn = 1: its latest).

    Ties on visited_at go to the record stored last. `communities` (a list or query of 居委 codes) narrows it.
    """
    rank = fn.ROW_NUMBER().over(partition_by=[Survey.unit], order_by=[Survey.visited_at.desc(), Survey.id.desc()])
    query = (Survey
             .select(Survey.id, Survey.unit, Survey.community, Survey.visited_at, Survey.outcome, Survey.unit_type,
                     Survey.trained, Survey.suspect, rank.alias("rn"))
             .where(Survey.visited_at < end_of_day(as_of)))
    if communities is not None:
        query = query.where(Survey.community.in_(communities))
    return query.cte("latest")


def _count_if(condition):
    return fn.SUM(Case(None, [(condition, 1)], 0))


def unit_state_query(as_of, communities=None):
    """The bare SQL aggregate: per 居委, the unit counts and the money of its units' latest records."""
    latest = latest_records(as_of, communities)
    c = latest.c
    surveyed = c.outcome == "surveyed"
    sold = (Purchase
            .select(Purchase.survey.alias("survey_id"), fn.SUM(Purchase.quantity).alias("quantity"),
                    fn.SUM(Purchase.amount_fen).alias("amount_fen"))
            .join(Training, JOIN.LEFT_OUTER, on=(Purchase.training == Training.id))
            .where((Training.suspect == True) | (Purchase.channel == "door_to_door"))  # noqa: E712
            .group_by(Purchase.survey)
            .alias("sold"))
    fees = (Training
            .select(Training.survey.alias("survey_id"), fn.SUM(Training.fee_fen).alias("fee_fen"))
            .where(Training.suspect == True)  # noqa: E712
            .group_by(Training.survey)
            .alias("fees"))
    return (Select(from_list=[latest], columns=[
                c.community_id.alias("community"),
                _count_if(surveyed).alias("surveyed"),
                _count_if(surveyed & (c.unit_type == "household")).alias("households"),
                _count_if(surveyed & (c.unit_type != "household")).alias("organisations"),
                _count_if(c.outcome.in_(("absent", "refused"))).alias("not_reached"),
                _count_if(surveyed & (c.trained == True)).alias("trained"),  # noqa: E712
                _count_if(surveyed & (c.suspect == True)).alias("suspect"),  # noqa: E712
                fn.COALESCE(fn.SUM(sold.c.quantity), 0).alias("products"),
                fn.COALESCE(fn.SUM(sold.c.amount_fen), 0).alias("sold_fen"),
                fn.COALESCE(fn.SUM(fees.c.fee_fen), 0).alias("fee_fen")])
            .join(sold, JOIN.LEFT_OUTER, on=((sold.c.survey_id == c.id) & surveyed))
            .join(fees, JOIN.LEFT_OUTER, on=((fees.c.survey_id == c.id) & surveyed))
            .where(c.rn == 1)
            .group_by(c.community_id)
            .with_cte(latest)
            .bind(Survey._meta.database))


def units_not_visited(as_of, communities=None):
    """{居委 code: units laid out by the end of day `as_of` with no record up to then} (one query)."""
    eod = end_of_day(as_of)
    visited = Survey.select(SQL("1")).where((Survey.unit == Unit.id) & (Survey.visited_at < eod))
    query = (Unit.select(Unit.community, fn.COUNT(Unit.id))
             .where((Unit.created_at < eod) & ~fn.EXISTS(visited)).group_by(Unit.community))
    if communities is not None:
        query = query.where(Unit.community.in_(communities))
    return dict(query.tuples())


# --- reports and referrals ------------------------------------------------------------------------------


def reports_received(as_of):
    """Reports received by the end of day `as_of` and not marked unfounded (不属实) by then.

    A report's status on D is the status of its latest ReportEvent up to D ('new' when none yet); a report
    whose status was never logged as events is taken at its current status.
    """
    eod = end_of_day(as_of)
    status_then = (ReportEvent.select(ReportEvent.status)
                   .where((ReportEvent.report == Report.id) & (ReportEvent.at < eod))
                   .order_by(ReportEvent.at.desc(), ReportEvent.id.desc()).limit(1))
    has_events = fn.EXISTS(ReportEvent.select(SQL("1")).where(ReportEvent.report == Report.id))
    status = Case(None, [(has_events, fn.COALESCE(status_then, "new"))], Report.status)
    return Report.select().where((Report.created_at < eod) & (status != "unfounded"))


def _reports_located(as_of):
    """({居委 code: reports}, {街镇 code: reports placed only in the street, with no 居委})."""
    received = reports_received(as_of)
    per_community = (received.select(Report.community, fn.COUNT(Report.id))
                     .where(Report.community.is_null(False)).group_by(Report.community))
    street_only = (received.select(Report.street, fn.COUNT(Report.id))
                   .where(Report.community.is_null() & Report.street.is_null(False)).group_by(Report.street))
    return dict(per_community.tuples()), dict(street_only.tuples())


# --- 附件1 ----------------------------------------------------------------------------------------------


def _district():
    """The district's Org (its name heads every table); a nameless stand-in before an org tree is loaded."""
    return (Org.select().where(Org.kind == "district").order_by(Org.code).first()
            or Org(code="", name="", kind="district"))


def table1(as_of, street=None):
    """附件1 as of day `as_of` for the district, or for one street (an Org of kind street)."""
    from domain import institutions

    streets = [street] if street else list(Org.select().where(Org.kind == "street").order_by(Org.code))
    street_codes = [s.code for s in streets]
    communities = list(Org.select().where((Org.kind == "community") & Org.parent.in_(street_codes))
                       .order_by(Org.parent, Org.code))
    per_community = {o.code: empty_figures() for o in communities}

    scope = None if street is None else Org.select(Org.code).where(
        (Org.kind == "community") & (Org.parent == street.code))
    for row in unit_state_query(as_of, scope).dicts():
        figures = per_community.get(row["community"])
        if figures is None:
            continue
        for key in ("surveyed", "households", "organisations", "not_reached", "trained", "suspect", "products"):
            figures[key] = int(row[key] or 0)
        figures["amount_fen"] = int(row["sold_fen"] or 0) + int(row["fee_fen"] or 0)
    for code, count in units_not_visited(as_of, scope).items():
        if code in per_community:
            per_community[code]["not_visited"] = count
    reports_in_community, reports_in_street = _reports_located(as_of)
    for code, count in reports_in_community.items():
        if code in per_community:
            per_community[code]["reports"] = count

    street_of = {o.code: o.parent_id for o in communities}
    # (居委 or None, 街镇, group) of each suspect training's institution and of each case referred to a
    # department by D (of every kind), counted distinct per 居委, per street and over the table.
    groups, cases = [], []
    for group in institutions.groups(as_of, with_products=False):
        for m in group.mentions:
            if m.street not in street_codes:
                continue
            community = m.community if m.community in street_of else None
            if group.is_institution and m.kind == "training" and m.suspect and community:
                groups.append((community, m.street, group.key))
            if group.referrals:
                cases.append((community, m.street, group.key))
    by_community = _distinct_counts(groups, cases, lambda code, street: code)
    by_street = _distinct_counts(groups, cases, lambda code, street: street)
    overall = _distinct_counts(groups, cases, lambda code, street: "total").get("total", (0, 0))

    table = Table1(as_of=as_of, district=_district(), street=street)
    rows = {s.code: {"code": s.code, "name": s.name, **empty_figures()} for s in streets}
    names = {s.code: s.name for s in streets}
    for org in communities:
        figures = per_community[org.code]
        figures["communities"] = 1
        figures["institutions"], figures["referred"] = by_community.get(org.code, (0, 0))
        table.communities.append({"code": org.code, "name": org.name, "street_code": org.parent_id,
                                  "street_name": names[org.parent_id], **figures})
        for key in ADDITIVE:
            rows[org.parent_id][key] += figures[key]
    for code, row in rows.items():
        row["reports"] += reports_in_street.get(code, 0)
        row["institutions"], row["referred"] = by_street.get(code, (0, 0))
        for key in ADDITIVE:
            table.total[key] += row[key]
    table.rows = list(rows.values())
    table.total["institutions"], table.total["referred"] = overall
    return table


def _distinct_counts(groups, cases, place_of):
    """{place: (distinct institutions, distinct referred cases)} with place_of(居委 code, 街镇 code)."""
    seen = {}
    for index, triples in enumerate((groups, cases)):
        for code, street, item in triples:
            place = place_of(code, street)
            if place is not None:
                seen.setdefault(place, (set(), set()))[index].add(item)
    return {place: (len(a), len(b)) for place, (a, b) in seen.items()}
