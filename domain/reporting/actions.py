"""附件3 区专项整治行动情况统计表 (design section 6): one row per 街镇 and per department.

What Paimo already holds fills its columns by itself: 张贴警示公告 (posters put up in the street by D), a
street's 检查单位数 (units whose latest outcome by D is surveyed), 排摸冒牌培训机构 (problem-list institutions
of the street), 查处案件, 移送公安 and 罚没款 (the steps of the cases' referrals, and a department's 附件2
entries), 曝光案例 (cases on the 曝光 page), each as of D. The street or department enters the rest per day —
出动检查人次, 宣传活动场次 and a department's 检查单位数 — so that "as of D" holds. Totals of the case columns count a case once even when it shows in a
street's row and in a department's row.
"""
import datetime

from peewee import fn

from domain.casework import institutions
from domain.common.clock import end_of_day
from domain.common.fields import ClientUuid, Count, Day, OrgCode, Shape
from domain.reporting.entries import store_once
from domain.reporting.tabledef import MONEY, Column, Row, Source, Table, departments_in, districts_in, streets_in
from domain.survey import unit_state
from models import ActionEntry, Case, CaseEvent, Org, Poster, SpotCheck, audit, db

# --- entering what a street or department did ---------------------------------------------------------------


def some_figure(values, errors, context):
    if not errors and not any(values[k] for k in ("inspectors", "units_checked", "publicity_events")):
        errors.add("inspectors", "请至少填写一项数字")


ACTION = Shape("ActionInput", {
    "client_uuid": ClientUuid(),
    "org": OrgCode(required=True, missing="请填写街镇或部门代码", description="the caller's street or department code"),
    "date": Day("日期", required=True),
    "inspectors": Count("出动检查人次"),
    "units_checked": Count("检查单位数", description="a department's; a street's comes from its survey records"),
    "publicity_events": Count("宣传活动场次"),
}, checks=[some_figure])


def parse_action(body, today=None, require_uuid=True):
    """(values, errors) from an entry body: client_uuid, org, date, inspectors, units_checked, publicity_events."""
    now = datetime.datetime.combine(today, datetime.time()) if today else None
    return ACTION.read(body, now=now, optional=() if require_uuid else ("client_uuid",))


def own_org(user):
    """The code a user enters 附件3 for: its street, or its department."""
    return user.department_id if user.department_id else user.org_id


def check_org(user, values, errors):
    if values["org"] and values["org"] != own_org(user):
        errors.add("org", "只能填报本单位的情况")
    elif values["units_checked"] and not user.department_id:
        errors.add("units_checked", "街镇的检查单位数按排摸记录自动统计，不用填写")
    return errors


def store_action(user, values):
    """Store a checked entry once: (entry, created); raises Conflict or NotYours (domain.reporting.entries)."""
    def create(fingerprint):
        department = user.department_id if user.department_id else None
        entry = ActionEntry.create(
            client_uuid=values["client_uuid"], street=None if department else values["org"], department=department,
            date=values["date"], inspectors=values["inspectors"], units_checked=values["units_checked"],
            publicity_events=values["publicity_events"], body_hash=fingerprint, entered_by=user)
        audit(user, "create", entry)
        return entry

    return store_once(ActionEntry, values, create, mine=lambda entry: _owner(entry) == own_org(user))


def _owner(entry):
    return entry.department_id or entry.street_id


def action_as_dict(entry):
    return {"id": entry.id, "client_uuid": entry.client_uuid, "org": _owner(entry), "date": entry.date.isoformat(),
            "inspectors": entry.inspectors, "units_checked": entry.units_checked,
            "publicity_events": entry.publicity_events, "created_at": entry.created_at.isoformat() + "+08:00"}


def _of(user):
    if user.department_id:
        return ActionEntry.department == user.department_id
    return ActionEntry.street == user.org_id


def entries_of(user, limit=50):
    return list(ActionEntry.select().where(_of(user)).order_by(ActionEntry.date.desc(), ActionEntry.id.desc())
                .limit(limit))


def entry_of(user, entry_id):
    return ActionEntry.get_or_none((ActionEntry.id == entry_id) & _of(user))


def delete_entry(user, entry):
    with db.atomic():
        audit(user, "delete", entry, f"{entry.date} 人次 {entry.inspectors} 场次 {entry.publicity_events}")
        entry.delete_instance()


# --- sources ----------------------------------------------------------------------------------------------------


class Entered(Source):
    """A sum of one entered field up to D, per street and department (`kinds` limits which rows may enter it)."""

    def __init__(self, field, kinds=("street", "department")):
        self.field, self.kinds = field, kinds

    def collect(self, ctx, column):
        sums = ctx.once(Entered, lambda: _entered_sums(ctx))
        return [(code, None, int(values[self.field] or 0)) for (kind, code), values in sums.items()
                if kind in self.kinds]


def _entered_sums(ctx):
    fields = sorted({s.field for c in ctx.columns_with(Entered) for s in c.sources if isinstance(s, Entered)})
    query = (ActionEntry.select(ActionEntry.street, ActionEntry.department,
                                *[fn.SUM(getattr(ActionEntry, f)).alias(f) for f in fields])
             .where(ActionEntry.date <= ctx.as_of)
             .group_by(ActionEntry.street, ActionEntry.department))
    return {(("department", r["department"]) if r["department"] else ("street", r["street"])): r
            for r in query.dicts()}


def _street_of_communities():
    return dict(Org.select(Org.code, Org.parent).where(Org.kind == "community").tuples())


class SurveyedUnits(Source):
    """A street's 检查单位数: units whose latest record by D is surveyed (the rule of 附件1's 排摸单位数)."""

    def collect(self, ctx, column):
        if ctx.scope.kind == "department":
            return []
        communities = None if ctx.scope.kind == "city" else ctx.scope.org.communities().select(Org.code)
        street_of = _street_of_communities()
        return [(street_of.get(code), None, figures["surveyed"])
                for code, figures in unit_state.figures_as_of(ctx.as_of, communities).items()]


class PostersPutUp(Source):
    """张贴警示公告: warning posters put up in the street's 居委 by D (retired ones included: they were up)."""

    def collect(self, ctx, column):
        query = (Poster.select(Org.parent, fn.COUNT(Poster.id)).join(Org, on=(Poster.community == Org.code))
                 .where(Poster.created_at < end_of_day(ctx.as_of)).group_by(Org.parent))
        return [(street, None, int(count)) for street, count in query.tuples()]


def _groups(ctx):
    """The groups of mentions as of D (institutions and unidentified single mentions), each with the states of
    its case's referrals by then (domain.casework.institutions.groups), fetched once per table."""
    return ctx.once("groups", lambda: institutions.groups(ctx.as_of, ctx.scope.place, with_products=False))


class ProblemListInstitutions(Source):
    """排摸冒牌培训机构: institutions of the problem list (design section 5) with a mention in the street."""

    distinct = True

    def collect(self, ctx, column):
        return [(m.street, None, {group.key: 1}) for group in _groups(ctx) if group.is_institution
                for m in group.mentions if m.street]


class CaseOutcome(Source):
    """查处案件, 移送公安, 罚没款, 曝光案例 from the cases' referrals (`case_outcomes`), and from a department's
    附件2 entries (`spot_checks`: the SpotCheck field it adds, e.g. cases_opened or fine_fen)."""

    distinct = True

    def __init__(self, outcome, spot_checks=None):
        self.outcome, self.spot_checks = outcome, spot_checks

    def collect(self, ctx, column):
        published = ctx.once("published", lambda: published_anchors(ctx.as_of))
        found = [(row, None, items) for row, items in case_outcomes(_groups(ctx), published, self.outcome)]
        if self.spot_checks:
            query = (SpotCheck.select(SpotCheck.department, fn.SUM(getattr(SpotCheck, self.spot_checks)))
                     .where(SpotCheck.date <= ctx.as_of).group_by(SpotCheck.department))
            found += [(code, None, {("spot_checks", code): int(total or 0)}) for code, total in query.tuples()]
        return found


def published_anchors(as_of):
    """The anchors of the case rows on the public 曝光 page at the end of day D: the latest of their
    published/unpublished steps by then is a publication."""
    latest = {}
    for anchor, action in (CaseEvent.select(Case.anchor, CaseEvent.action).join(Case)
                           .where(CaseEvent.action.in_(("published", "unpublished"))
                                  & (CaseEvent.at < end_of_day(as_of)))
                           .order_by(CaseEvent.at, CaseEvent.id).tuples()):
        latest[anchor] = action
    return {anchor for anchor, action in latest.items() if action == "published"}


def case_outcomes(groups, published, outcome):
    """[(row code, {item: weight})] of the cases' outcomes as of D, for 附件3.

    `groups` are domain.casework.institutions.groups(D) (each with its referrals' states at the end of D), `published`
    the anchors on the 曝光 page then. `outcome` is "penalised" (已查处: a case counts 1), "to_police" (已移送公安:
    1), "fine" (罚没款: the fen of each referral that ended 已查处) or "published" (曝光: a published case, 1). A
    street's row gets the cases with a mention in it; a department's row the cases it did that to (for a
    published case: the departments it was referred to). Items are ("case", key) for counts and ("referral",
    id) for fines, so a case in a street's row and in a department's row counts once in the total.
    """
    found = []
    for group in groups:
        if outcome == "published":
            if not set(group.anchors) & published:
                continue
            done = group.referrals
            items = [({("case", group.key): 1}, r.department) for r in done] or [({("case", group.key): 1}, None)]
        else:
            status = "penalised" if outcome == "fine" else outcome
            done = [r for r in group.referrals if r.status == status]
            if outcome == "fine":
                items = [({("referral", r.id): r.fine_fen}, r.department) for r in done if r.fine_fen]
            else:
                items = [({("case", group.key): 1}, r.department) for r in done]
        for street in {m.street for m in group.mentions if m.street}:
            found += [(street, weights) for weights, _ in items]
        found += [(department, weights) for weights, department in items if department]
    return found


# --- the table ----------------------------------------------------------------------------------------------


def _rows(scope):
    """A row per street, then per department; a city's: a row per district, adding up its streets and departments."""
    if scope.kind == "city":
        return [Row(key=d.code, labels=("区", d.name), identity={"code": d.code, "name": d.name, "kind": "district"},
                    kind="district", code=d.code) for d in districts_in(scope)]
    streets = [Row(key=s.code, labels=("街镇", s.name), identity={"code": s.code, "name": s.name, "kind": "street"},
                   kind="street", code=s.code) for s in streets_in(scope)]
    departments = [Row(key=d.code, labels=("部门", d.name),
                       identity={"code": d.code, "name": d.name, "kind": "department"}, kind="department",
                       code=d.code) for d in departments_in(scope)]
    return streets + departments


TABLE3 = Table(
    number=3, name="专项整治行动情况统计表", filled_by=("street", "department"), label_headers=("类别", "单位"),
    code_header="代码", rows=_rows, sheet="附件3", label_widths=(6, 20),
    columns=(
        Column("inspectors", "出动检查人次", Entered("inspectors")),
        Column("units_checked", "检查单位数", (SurveyedUnits(), Entered("units_checked", kinds=("department",)))),
        Column("posters", "张贴警示公告", PostersPutUp()),
        Column("publicity_events", "宣传活动场次", Entered("publicity_events")),
        Column("institutions", "排摸冒牌培训机构", ProblemListInstitutions()),
        Column("cases_penalised", "查处案件", CaseOutcome("penalised", spot_checks="cases_opened")),
        Column("to_police", "移送公安", CaseOutcome("to_police")),
        Column("fines", "罚没款（元）", CaseOutcome("fine", spot_checks="fine_fen"), type=MONEY, width=12),
        Column("exposed", "曝光案例", CaseOutcome("published")),
    ),
)
