"""附件1 区消防培训情况排摸统计表 as of a day D, for the district or one street (design section 6), as a table
definition (domain.reporting.tabledef) and the sources its columns read.

Nothing is read per unit: what each unit's latest record up to the end of day D adds to its 居委 is kept as records
arrive (domain.survey.unit_state), and every `UnitFigure` column is one aggregate over those kept changes,
grouped by 居委. The engine then adds the 居委 rows up into streets; institutions are counted over the few
suspect mentions (domain.casework.institutions), never looping over units.
"""
from decimal import Decimal

from peewee import JOIN, Case, Select, fn

from domain.casework import institutions
from domain.reporting.tabledef import (
    MONEY, PERCENT, Column, Derived, Row, Scope, Source, Table, compute, district_rows, percent, streets_in,
)
from domain.survey import unit_state
from domain.survey.latest import ranked_records
from models import Org, Purchase, Report, Survey, Training

TABLE1_NAME = "消防培训情况排摸统计表"  # 附件1's official name, after the district's name


class KeptFigure(Source):
    """A sum over the units of a 居委 of what each unit's latest record up to D says: one of the figures kept as
    records arrive (domain.survey.unit_state.FIGURES). All of a table's KeptFigure columns come from one
    aggregate over the kept changes."""

    def __init__(self, figure):
        self.figure = figure

    def collect(self, ctx, column):
        per_community = ctx.once(KeptFigure, lambda: _kept_figures(ctx))
        street_of = _street_of(ctx)
        return [(street_of[code], code, values[self.figure])
                for code, values in per_community.items() if code in street_of]


def _kept_figures(ctx):
    return unit_state.figures_as_of(ctx.as_of, None if ctx.scope.kind == "city" else list(_street_of(ctx)))


def count_if(condition):
    return fn.SUM(Case(None, [(condition, 1)], 0))


class UnitRecords:
    """What a `UnitFigure` expression can use: `c` (the columns of each unit's latest record, `c.rn == 1`
    already applied), `surveyed` (its outcome is surveyed), `sold` (per record: quantity and amount_fen of the
    purchases at a suspect training or from a door-to-door seller) and `fees` (per record: fee_fen of its
    suspect trainings), both joined to surveyed records only."""

    def __init__(self, latest):
        self.latest = latest
        self.c = latest.c
        self.surveyed = self.c.outcome == "surveyed"
        self.sold = (Purchase
                     .select(Purchase.survey.alias("survey_id"), fn.SUM(Purchase.quantity).alias("quantity"),
                             fn.SUM(Purchase.amount_fen).alias("amount_fen"))
                     .join(Training, JOIN.LEFT_OUTER, on=(Purchase.training == Training.id))
                     .where((Training.suspect == True) | (Purchase.channel == "door_to_door"))  # noqa: E712
                     .group_by(Purchase.survey)
                     .alias("sold"))
        self.fees = (Training
                     .select(Training.survey.alias("survey_id"), fn.SUM(Training.fee_fen).alias("fee_fen"))
                     .where(Training.suspect == True)  # noqa: E712
                     .group_by(Training.survey)
                     .alias("fees"))


class UnitFigure(Source):
    """A sum over the units of a 居委 computed when the table is read, from each unit's latest record up to D:
    `expression(u)` is an SQL aggregate over UnitRecords `u`, all such columns of a table in one query. For a
    column a district adds to its own template: it costs a pass over every record up to D, where a kept figure
    (`KeptFigure`, 附件1's own columns) costs none."""

    def __init__(self, expression):
        self.expression = expression

    def collect(self, ctx, column):
        per_community = ctx.once(UnitFigure, lambda: _unit_figures(ctx))
        street_of = _street_of(ctx)
        return [(street_of[code], code, int(values[column.key] or 0))
                for code, values in per_community.items() if code in street_of]


def unit_state_query(as_of, communities=None, columns=None):
    """The bare SQL aggregate: per 居委, one figure per UnitFigure column (附件1's unless `columns` given)."""
    columns = [c for c in (columns or TABLE1.columns) if isinstance(c.source, UnitFigure)]
    u = UnitRecords(ranked_records(as_of, communities))
    c = u.c
    return (Select(from_list=[u.latest], columns=[c.community_id.alias("community")]
                   + [column.source.expression(u).alias(column.key) for column in columns])
            .join(u.sold, JOIN.LEFT_OUTER, on=((u.sold.c.survey_id == c.id) & u.surveyed))
            .join(u.fees, JOIN.LEFT_OUTER, on=((u.fees.c.survey_id == c.id) & u.surveyed))
            .where(c.rn == 1)
            .group_by(c.community_id)
            .with_cte(u.latest)
            .bind(Survey._meta.database))


def _unit_figures(ctx):
    scope = None if ctx.scope.kind == "city" else list(_street_of(ctx))
    columns = ctx.columns_with(UnitFigure)
    return {row["community"]: row for row in unit_state_query(ctx.as_of, scope, columns).dicts()}


def _street_of(ctx):
    """{居委 code: its street's code} of every 居委 of the table's scope."""
    return ctx.once("street_of", lambda: dict(ctx.scope.org.communities().select(Org.code, Org.parent).tuples()))


class Communities(Source):
    """居委数: the communities registered under the street."""

    def collect(self, ctx, column):
        return [(street, community, 1) for community, street in _street_of(ctx).items()]


class ReportsReceived(Source):
    """群众举报线索: reports received by D and not marked unfounded, in the 居委 or placed only in the street."""

    def collect(self, ctx, column):
        in_community, in_street = _reports_located(ctx.as_of)
        street_of = _street_of(ctx)
        return ([(street_of[code], code, n) for code, n in in_community.items() if code in street_of]
                + [(code, None, n) for code, n in in_street.items()])


def _groups(ctx):
    """The problem list's groups of mentions as of D (domain.casework.institutions), with the referrals of their
    cases."""
    return ctx.once("groups", lambda: institutions.groups(ctx.as_of, ctx.scope.place, with_products=False))


class Institutions(Source):
    """涉及机构数: distinct institutions (design section 5) among the suspect trainings of surveyed units."""

    distinct = True

    def collect(self, ctx, column):
        street_of = _street_of(ctx)
        # One contribution a 居委 (the institutions of its mentions), not one a mention: a city has 200,000.
        per_community = {}
        for group in _groups(ctx):
            if group.is_institution:
                for m in group.mentions:
                    if m.kind == "training" and m.suspect and m.community in street_of:
                        per_community.setdefault(m.community, {})[group.key] = 1
        return [(street_of[community], community, keys) for community, keys in per_community.items()]


class ReferredCases(Source):
    """已移交部门: distinct cases (of every kind) referred to at least one department by D; a case counts in
    every 居委 and street it has a mention in."""

    distinct = True

    def collect(self, ctx, column):
        street_of = _street_of(ctx)
        per_place = {}  # one contribution a place, as for Institutions
        for group in _groups(ctx):
            if group.referrals:
                for m in group.mentions:
                    if m.street:
                        place = (m.street, m.community if m.community in street_of else None)
                        per_place.setdefault(place, {})[group.key] = 1
        return [(street, community, keys) for (street, community), keys in per_place.items()]


# --- reports and referrals ------------------------------------------------------------------------------


def _reports_located(as_of):
    """({居委 code: reports}, {街镇 code: reports placed only in the street, with no 居委})."""
    received = institutions.reports_received(as_of)
    per_community = (received.select(Report.community, fn.COUNT(Report.id))
                     .where(Report.community.is_null(False)).group_by(Report.community))
    street_only = (received.select(Report.street, fn.COUNT(Report.id))
                   .where(Report.community.is_null() & Report.street.is_null(False)).group_by(Report.street))
    return dict(per_community.tuples()), dict(street_only.tuples())


# --- 附件1 ----------------------------------------------------------------------------------------------


def _street_rows(scope):
    if scope.kind == "city":
        return district_rows(scope)
    return [Row(key=s.code, labels=(s.name,), identity={"code": s.code, "name": s.name}, kind="street", code=s.code)
            for s in streets_in(scope)]


def _community_rows(rows):
    """The detail rows: each street's 居委; in a city's table, each district's streets."""
    names = {row.key: row.name for row in rows}
    kind, child = ("street", "street") if rows and rows[0].kind == "district" else ("community", "community")
    return [Row(key=o.code, labels=(names[o.parent_id], o.name), identity={"code": o.code, "name": o.name},
                kind=child, code=o.code, parent=o.parent_id)
            for o in Org.select().where((Org.kind == kind) & Org.parent.in_(list(names)))
            .order_by(Org.parent, Org.code)]


TABLE1 = Table(
    number=1, name=TABLE1_NAME, filled_by=("street",), label_headers=("街镇",), code_header="街镇代码",
    rows=_street_rows, details=_community_rows, detail_label_headers=("街镇", "居委"),
    sheet="附件1（街镇）", detail_sheet="附件1（居委）", detail_title="（分居委）", detail_code_header="居委代码",
    for_city=(("label_headers", ("区",)), ("code_header", "区代码"), ("detail_label_headers", ("区", "街镇")),
              ("sheet", "附件1（区）"), ("detail_sheet", "附件1（街镇）"), ("detail_title", "（分街镇）"),
              ("detail_code_header", "街镇代码")),
    columns=(
        Column("communities", "居委数", Communities(), detail=False),
        Column("surveyed", "排摸单位数", KeptFigure("surveyed")),
        Column("households", "其中居民户", KeptFigure("households")),
        Column("organisations", "其中单位", KeptFigure("organisations")),
        Column("not_reached", "未遇或拒访", KeptFigure("not_reached")),
        Column("trained", "接受过消防培训", KeptFigure("trained")),
        Column("suspect", "其中疑似冒牌培训", KeptFigure("suspect")),
        Column("institutions", "涉及机构数", Institutions()),
        Column("products", "兜售产品件数", KeptFigure("products")),
        Column("amount", "涉及金额（元）", KeptFigure("amount_fen"), type=MONEY, width=12),
        Column("reports", "群众举报线索", ReportsReceived()),
        Column("referred", "已移交部门", ReferredCases()),
        # Against the roster (底数清单, design section 11); the columns before count every recorded unit.
        Column("roster", "底数", KeptFigure("roster")),
        Column("coverage", "覆盖率（%）", Derived(lambda f: coverage_percent(f["roster_surveyed"], f["roster"])),
               type=PERCENT),
    ),
    inputs=(Column("roster_surveyed", "底数中已排摸", KeptFigure("roster_surveyed")),),
)


def coverage_percent(surveyed, roster):
    """覆盖率: surveyed ÷ roster as a percentage rounded half up to one decimal, 0.0 for an empty roster."""
    return percent(surveyed, roster) if roster else Decimal("0.0")


def table1(as_of, street=None):
    """附件1 as of day `as_of` for the district, or for one street (an Org of kind street)."""
    return compute(TABLE1, as_of, Scope("street", street) if street else Scope("district"))


def with_progress(result):
    """附件1's rows and detail rows given `not_visited` (units known and never visited by D) for the progress
    charts; not a column of the table, so it is in no JSON, workbook or CSV."""
    communities = result.scope.org.communities()
    street_of = dict(communities.select(Org.code, Org.parent).tuples())
    kept = unit_state.figures_as_of(result.as_of, None if result.scope.kind == "city" else list(street_of))
    by_place = {}
    for community, figures in kept.items():
        street = street_of.get(community)
        for place in (community, street):
            by_place[place] = by_place.get(place, 0) + figures["units"] - figures["visited"]
    district_of = dict(Org.select(Org.code, Org.parent).where(Org.kind == "street").tuples()) \
        if result.scope.kind == "city" else {}
    for street, district in district_of.items():
        by_place[district] = by_place.get(district, 0) + by_place.get(street, 0)
    for row in result.details + result.rows:
        row.figures["not_visited"] = by_place.get(row.key, 0)
    return result
