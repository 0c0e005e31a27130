"""Cases (design section 9): every institution of the problem list, and every report, lead or suspect survey
training that names no identifiable institution, routed by the plan's division of duties and worked to an end.

A case is found, not filed: its mentions are grouped as the problem list groups them (domain.casework.institutions),
and what persists of it — attention flags, referrals, history — hangs on `Case` rows anchored on its
identifiers (models.Case). Rows are added the first time a case is listed. Which cases a user sees follows
from where its mentions are: a 居委's, a street's, all for the district, and for a department the cases
referred to it and the leads it logged.
"""
import datetime
from dataclasses import dataclass, field

from peewee import JOIN, SQL, Case as SqlCase, Select, fn

from domain.casework import referrals as referral_steps, routing
from domain.casework.institutions import Group, anchors_seen, current_groups, group_keys_of
from domain.common.clock import iso_day, now_local, today_local
from domain.common.fields import Field, Note, Shape, absent_or, enum, labelled
from domain.org.permissions import district_codes, mentions_seen_by, sees_case, sees_whole_city, works_for_department
from domain.public.privacy import mask_address
from domain.survey.flags import FLAGS
from models import (
    REFERRAL_ENDED, REPORT_STATUSES, Case, CaseEvent, Department, Lead, Mention as KeptMention, Purchase, Referral,
    Report, ReportEvent, Survey, User, audit, db,
)

STATUSES = {"pending": "待移交", "in_progress": "处置中", "returned": "退回待重新移交", "closed": "已办结"}
KINDS = {"institution": "机构", "report": "群众举报", "lead": "其他渠道线索", "survey": "排摸"}
DEFAULT_DUE_WORKING_DAYS = 10
MAX_NOTE = 1000
# What each step is called in a case's history (问题台账).
ACTIONS = {
    "created": "立为案件", "important": "标为重要", "unimportant": "取消重要", "escalated": "居委上报街镇",
    "referred": "移交", "accepted": "部门接收", "investigating": "部门核查中", "penalised": "已查处",
    "to_police": "已移送公安", "unfounded": "部门认定不属实", "returned": "部门退回", "published": "曝光",
    "unpublished": "撤下曝光",
}


class CaseError(ValueError):
    def __init__(self, errors):
        super().__init__("；".join(errors.values()))
        self.errors = errors


@dataclass
class CaseView:
    """A case as one user sees it today: its mentions (those in the user's scope), rows and referrals."""

    group: Group
    rows: list  # its Case rows, oldest first
    referrals: list = field(default_factory=list)  # Referral rows (current status), oldest first

    @property
    def id(self):
        return self.rows[0].id

    @property
    def primary(self):
        return self.rows[0]

    @property
    def kind(self):
        return self.group.kind

    @property
    def title(self):
        return self.group.name

    @property
    def important(self):
        return any(row.important for row in self.rows)

    @property
    def escalated(self):
        return any(row.escalated for row in self.rows)

    @property
    def published(self):
        return next((row for row in self.rows if row.published_at), None)

    @property
    def status(self):
        if not self.referrals:
            return "pending"
        if any(r.status not in REFERRAL_ENDED for r in self.referrals):
            return "in_progress"
        if all(r.status == "returned" for r in self.referrals):
            return "returned"
        return "closed"

    @property
    def status_label(self):
        return STATUSES[self.status]

    def overdue(self, today=None):
        today = today or today_local()
        return any(r.status not in REFERRAL_ENDED and r.due and r.due < today for r in self.referrals)

    def open_referral_to(self, department):
        return next((r for r in self.referrals if r.department_id == department and r.status not in REFERRAL_ENDED),
                    None)

    def worked_by(self, department):
        """Whether `department` has (or had) this case and did not return it: not proposed to it again."""
        return any(r.department_id == department and r.status != "returned" for r in self.referrals)

    @property
    def penalised(self):
        return any(r.status == "penalised" for r in self.referrals)

    def as_json(self, proposed=None, with_mentions=True, masked=False):
        body = {
            "id": self.id, "kind": self.kind, "title": self.title, "nature": self.group.nature_code,
            "flags": self.group.flags, "streets": self.group.streets, "communities": self.group.communities,
            "important": self.important, "escalated": self.escalated, "status": self.status,
            "overdue": self.overdue(), "published": bool(self.published),
            "referrals": [referral_json(r) for r in self.referrals],
        }
        if with_mentions:
            body["mentions"] = [mention_json(m, masked) for m in self.group.mentions]
        if proposed is not None:
            body["proposed"] = [p.as_json() for p in proposed]
        return body


def mention_json(m, masked=False):
    """A mention as the API shows it; `masked` hides a home's room number (domain.public.privacy)."""
    return {"kind": m.kind, "id": m.id, "name": m.name, "phone": m.phone, "community": m.community,
            "street": m.street, "place": mask_address(m.place) if masked else m.place, "at": m.at.isoformat() if m.at else None, "flags": m.flags.split(),
            "suspect": m.suspect, "ref": m.ref}


def referral_json(r):
    return {"id": r.id, "department": r.department_id, "lead": r.lead, "status": r.status,
            "due": r.due.isoformat() if r.due else None, "referred_at": r.referred_at.isoformat(),
            "case_opened": r.case_opened, "fine": f"{r.fine_fen / 100:.2f}",
            "history": [{"action": e.action, "at": e.at.isoformat(), "note": e.note}
                        for e in sorted(r.events, key=lambda e: (e.at, e.id))]}


# --- finding the cases ----------------------------------------------------------------------------------


def _rows(found_groups):
    """{anchor: Case row} for every anchor of the groups, adding the rows missing (a write only the first time
    a case is seen)."""
    wanted = {anchor: group.kind for group in found_groups for anchor in group.anchors}
    if not wanted:
        return {}
    rows = _fetch(list(wanted))
    missing = [{"anchor": a, "kind": k, "created_at": now_local()} for a, k in wanted.items() if a not in rows]
    if missing:
        with db.atomic():
            for start in range(0, len(missing), 200):
                Case.insert_many(missing[start:start + 200]).on_conflict_ignore().execute()
        rows.update(_fetch([m["anchor"] for m in missing]))
    return rows


def _fetch(anchors):
    found = {}
    for start in range(0, len(anchors), 500):
        found.update({row.anchor: row for row in Case.select().where(Case.anchor.in_(anchors[start:start + 500]))})
    return found


def case_id_of(group):
    """The id of the case of a group of mentions (its rows are added if it was never listed)."""
    rows = _rows([group])
    return min(rows[a].id for a in group.anchors if a in rows)


def _views(found_groups):
    rows = _rows(found_groups)
    views = [CaseView(group=g, rows=sorted((rows[a] for a in g.anchors if a in rows), key=lambda r: r.id))
             for g in found_groups]
    views = [v for v in views if v.rows]
    by_row = {row.id: view for view in views for row in view.rows}
    if by_row:
        for referral in (Referral.select(Referral, Department).join(Department)
                         .where(Referral.case.in_(list(by_row))).order_by(Referral.id)):
            by_row[referral.case_id].referrals.append(referral)
        events = {}
        referral_ids = [r.id for v in views for r in v.referrals]
        for start in range(0, len(referral_ids), 500):
            for event in CaseEvent.select().where(CaseEvent.referral.in_(referral_ids[start:start + 500])):
                events.setdefault(event.referral_id, []).append(event)
        for view in views:
            for referral in view.referrals:
                referral.events = events.get(referral.id, [])
    return views


def _in_scope(user, group, view_rows=(), reach=(frozenset(), None)):
    """Whether the case is `user`'s to see (domain.org.permissions.sees_case); `reach` is a department's
    (domain.casework.cases._department_reach)."""
    department_leads, referred_rows = reach
    return sees_case(user, group.mentions, referred_to_it=bool(set(view_rows) & (referred_rows or set())),
                     leads_it_logged=department_leads)


def _as_seen_by(user, group):
    """The group with only the mentions the user may see."""
    return Group(key=group.key, mentions=mentions_seen_by(user, group.mentions), streets=group.streets,
                 communities=group.communities, referrals=group.referrals)


def cases_for(user, today=None):
    """Every case `user` may see today, newest activity first: read from the groups kept for today
    (domain.casework.institutions.current_groups), narrowed in SQL to the user's places, or for a department to the
    cases referred to it and the leads it logged."""
    today = today or today_local()
    if works_for_department(user):
        department_leads, referred_rows = _department_reach(user)
        anchors = [a for (a,) in Case.select(Case.anchor).where(Case.id.in_(list(referred_rows) or [0])).tuples()]
        keys = sorted(group_keys_of(anchors + [f"l:{lead}" for lead in department_leads]))
        found = [g for start in range(0, len(keys), 500)
                 for g in current_groups(KeptMention.group_key.in_(keys[start:start + 500]), today)]
    else:
        found = current_groups(_places_of(user), today)
    views = _views(found)
    views.sort(key=lambda v: (not v.important, v.status == "closed", -v.id))
    return views


def _places_of(user):
    """Which current mentions are in the user's places (an expression over models.Mention; None: all of them)."""
    if sees_whole_city(user):
        return None
    if user.role == "district":
        return KeptMention.district == user.org_id
    if user.role == "street":
        return KeptMention.street == user.org_id
    return KeptMention.community == user.org_id


def _department_reach(user):
    """(ids of leads it logged, ids of Case rows referred to it) for a department; (set(), None) otherwise."""
    if not works_for_department(user):
        return frozenset(), None
    leads = {lead.id for lead in Lead.select(Lead.id).where(Lead.department == user.department_id)}
    rows = {r.case_id for r in Referral.select(Referral.case).where(Referral.department == user.department_id)}
    return leads, rows


def filter_cases(views, status="", street="", kind="", important=False, overdue=False, escalated=False,
                 today=None):
    today = today or today_local()
    if escalated:
        views = [v for v in views if v.escalated and v.status in ("pending", "returned")]
    if status in STATUSES:
        views = [v for v in views if v.status == status]
    if street:
        views = [v for v in views if any(m.street == street for m in v.group.mentions)]
    if kind in KINDS:
        views = [v for v in views if v.kind == kind]
    if important:
        views = [v for v in views if v.important]
    if overdue:
        views = [v for v in views if v.overdue(today)]
    return views


def attention(user, today=None):
    """What needs the user among its cases, counted: to refer (待移交, of which escalated by a 居委), returned by a
    department, overdue, marked 重要 — one aggregate over the cases of its scope (their Case rows and referrals)."""
    rows = _summaries(user, today or today_local()).alias("cases")
    c = rows.c

    def count(condition):
        return fn.COALESCE(fn.SUM(SqlCase(None, [(condition, 1)], 0)), 0)

    query = Select(from_list=[rows], columns=[
        count(c.status == "pending").alias("pending"),
        count((c.escalated == 1) & c.status.in_(("pending", "returned"))).alias("escalated"),
        count(c.status == "returned").alias("returned"),
        count(c.overdue > 0).alias("overdue"),
        count((c.important == 1) & (c.status != "closed")).alias("important")]).bind(db)
    return {key: int(value) for key, value in query.dicts().get().items()}


def listed(user, filters, page, size=50, today=None):
    """(the cases of page `page`, the page's number, how many in all) of the user's cases that `filters` (filter_cases's) keep, in the
    list's order: 重要 first, open before closed, newest first. One aggregate finds and orders them; only the page's
    cases are read whole."""
    today = today or today_local()
    rows = _summaries(user, today).alias("cases")
    c = rows.c
    wanted = SQL("1 = 1")
    if filters.get("escalated"):
        wanted &= (c.escalated == 1) & c.status.in_(("pending", "returned"))
    if filters.get("status") in STATUSES:
        wanted &= c.status == filters["status"]
    if filters.get("kind") in KINDS:
        prefixes = {"institution": ("n:", "p:"), "survey": ("t:",), "report": ("r:",), "lead": ("l:",)}
        clause = SQL("1 = 0")
        for prefix in prefixes[filters["kind"]]:
            clause |= c.group_key.startswith(prefix)
        wanted &= clause
    if filters.get("important"):
        wanted &= c.important == 1
    if filters.get("overdue"):
        wanted &= c.overdue > 0
    if filters.get("street"):  # a mention the user sees in that street
        wanted &= c.group_key.in_(KeptMention.select(KeptMention.group_key).where(
            _in_place(user, KeptMention.valid_to.is_null() & (KeptMention.street == filters["street"]))))
    chosen = Select(from_list=[rows], columns=[c.group_key, c.id]).where(wanted).bind(db)
    total = chosen.count()
    page = page if (page - 1) * size < total else 1  # past the last page: the first
    ordered = (chosen.order_by(c.important.desc(), SqlCase(None, [(c.status == "closed", 1)], 0), c.id.desc())
               .limit(size).offset((page - 1) * size))
    keys = [key for key, _ in ordered.tuples()]
    views = {v.group.key: v for v in _views(current_groups(_in_place(user, KeptMention.group_key.in_(keys)), today))}
    return [views[key] for key in keys if key in views], page, total


def _in_place(user, clause):
    place = _places_of(user)
    return clause if place is None or works_for_department(user) else clause & place


def _summaries(user, today):
    """A query of one row per case of the user's: its group key, its first Case row's id, whether any row is 重要 or
    was escalated, its status (待移交, 处置中, 退回, 已办结 as CaseView.status says) and how many of its open
    referrals are past due."""
    referred = Referral.alias("r")
    n = fn.COUNT(referred.id)
    still_open = fn.COALESCE(fn.SUM(SqlCase(None, [(referred.status.not_in(REFERRAL_ENDED), 1)], 0)), 0)
    returned = fn.COALESCE(fn.SUM(SqlCase(None, [(referred.status == "returned", 1)], 0)), 0)
    late = fn.COALESCE(fn.SUM(SqlCase(None, [(referred.status.not_in(REFERRAL_ENDED) & referred.due.is_null(False)
                                              & (referred.due < today), 1)], 0)), 0)
    status = SqlCase(None, [(n == 0, "pending"), (still_open > 0, "in_progress"), (returned == n, "returned")],
                     "closed")
    return (Case.select(Case.group_key, fn.MIN(Case.id).alias("id"),
                        fn.MAX(SqlCase(None, [(Case.important == True, 1)], 0)).alias("important"),  # noqa: E712
                        fn.MAX(SqlCase(None, [(Case.escalated == True, 1)], 0)).alias("escalated"),  # noqa: E712
                        status.alias("status"), late.alias("overdue"))
            .join(referred, JOIN.LEFT_OUTER, on=(referred.case == Case.id))
            .where((Case.group_key != "") & Case.group_key.in_(_group_keys_of(user)))
            .group_by(Case.group_key))


def _group_keys_of(user):
    """A query of the group keys of the user's cases: its places' current mentions', or for a department those of
    the cases referred to it and of the leads it logged."""
    current = KeptMention.select(KeptMention.group_key).where(KeptMention.valid_to.is_null())
    if works_for_department(user):
        referred = (Case.select(Case.group_key).join(Referral)
                    .where((Referral.department == user.department_id) & (Case.group_key != "")))
        leads = current.where((KeptMention.kind == "lead") & KeptMention.source.in_(
            Lead.select(Lead.id).where(Lead.department == user.department_id)))
        return referred.union(leads)
    place = _places_of(user)
    return current if place is None else current.where(place)


def case_for(user, case_id, today=None):
    """The case holding Case row `case_id` as `user` sees it, or None when it is not theirs to see.

    A row whose mentions have all gone (a record corrected, a report found unfounded) is still its own
    case, with its history, for the district and the departments it was referred to."""
    row = Case.get_or_none(Case.id == case_id)
    if row is None:
        return None
    return _case_view(user, row, _group_holding(row.anchor, today))


def _group_holding(anchor, today=None):
    """Today's group holding `anchor` (an identifier, or a mention's own anchor), whole; None when none does."""
    keys = sorted(group_keys_of([anchor]))
    return next(iter(current_groups(KeptMention.group_key.in_(keys), today)), None) if keys else None


def _case_view(user, row, group):
    """The case of Case row `row` and its current group of mentions (None: its mentions have gone)."""
    if group is None:
        group = Group(key=row.anchor, mentions=[], streets=[], communities=[])
    view = _views([group])[0] if group.mentions else CaseView(group=group, rows=[row])
    if not group.mentions:
        view.referrals = list(Referral.select().where(Referral.case == row.id).order_by(Referral.id))
        for referral in view.referrals:
            referral.events = list(referral.events)
    if not _in_scope(user, group, {r.id for r in view.rows}, _department_reach(user)):
        return None
    seen = _as_seen_by(user, group)
    return CaseView(group=seen, rows=view.rows, referrals=view.referrals)


def _group_of_report(report, today=None):
    """The group of mentions a report is in: its institution's (known perhaps by other names and phones too), or
    its own; None when it is no mention (found unfounded)."""
    return _group_holding(f"r:{report.id}", today)


def case_of_report(user, report, today=None):
    """The case a report belongs to, as `user` sees it (None outside their scope)."""
    group = _group_of_report(report, today)
    if group is None:
        return None
    return _case_view(user, _rows([group])[group.anchors[0]], group)


def referrals_in_scope(user):
    """A query of the referrals `user` may see: a department those made to it; anyone else those of the cases it
    sees (a case is where its mentions are)."""
    if works_for_department(user):
        return Referral.select().where(Referral.department == user.department_id)
    visible = [row.id for view in cases_for(user) for row in view.rows]
    return Referral.select().where(Referral.case.in_(visible or [0]))


def reports_referred_to(department):
    """Ids of the reports among the mentions of the cases referred to `department` (a code)."""
    anchors = [a for (a,) in Case.select(Case.anchor).join(Referral).where(Referral.department == department).tuples()]
    keys = sorted(group_keys_of(anchors)) if anchors else []
    return [source for start in range(0, len(keys), 500) for (source,) in
            KeptMention.select(KeptMention.source).where(KeptMention.valid_to.is_null() & (KeptMention.kind == "report")
                                                         & KeptMention.group_key.in_(keys[start:start + 500])).tuples()]


def important_count(user):
    """Cases marked 重要 and not closed yet (open or never referred) in the user's places, for the navigation of the
    district and the city: two queries (the few 重要 rows, then which of them the user's district holds)."""
    open_referral = Referral.select().where((Referral.case == Case.id) & Referral.status.not_in(REFERRAL_ENDED))
    any_referral = Referral.select().where(Referral.case == Case.id)
    anchors = [a for (a,) in Case.select(Case.anchor).where(
        Case.important & (fn.EXISTS(open_referral) | ~fn.EXISTS(any_referral))).tuples()]
    place = _places_of(user)
    if place is None or not anchors:
        return len(anchors)
    return len(anchors_seen(anchors, place))


# --- what the plan says should happen ----------------------------------------------------------------


def findings(group):
    """What the case's mentions say, for routing: flags, nature, purchase channels and samples, what reports
    call counterfeit, the types of units involved (three small queries)."""
    found = routing.Findings(flags=set(group.flags), nature=group.nature_code)
    surveys = [m.survey for m in group.mentions if m.kind == "training"]
    if surveys:
        for channel, sample in (Purchase.select(Purchase.channel, Purchase.sample_available)
                                .where(Purchase.survey.in_(surveys)).tuples()):
            found.channels.add(channel)
            found.samples = found.samples or bool(sample)
        found.unit_types = {t for (t,) in Survey.select(Survey.unit_type).where(Survey.id.in_(surveys)).tuples()}
    report_ids = [m.id for m in group.mentions if m.kind == "report"]
    if report_ids:
        found.counterfeit = any("counterfeit" in kinds.split() for (kinds,) in
                                Report.select(Report.kinds).where(Report.id.in_(report_ids)).tuples())
    return found


def referable_departments(user):
    """The departments `user` may refer a case to: those of its district (design section 13)."""
    return Department.select().where(Department.district.in_(district_codes(user))).order_by(Department.code)


def proposals(view, user):
    """The plan's departments for the case (domain.casework.routing), as the departments of `user`'s district."""
    of_district = {d.plan: d for d in referable_departments(user)}
    found = []
    for proposal in routing.propose(findings(view.group)):
        department = of_district.get(proposal.department)
        if department is not None:
            found.append(routing.Proposal(department.code, proposal.lead, proposal.reasons, department.name))
    return found


def working_days_after(day, count):
    """The day `count` working days (Monday to Friday) after `day`. Public holidays are not known here."""
    while count > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


class Departments(Field):
    """The departments a case is referred to: codes of the departments of the referrer's district, one or
    several."""

    required = True

    def read(self, value, path, errors, context, required):
        chosen = [value] if isinstance(value, str) else (value or [])
        known = context.extra["known_departments"]
        if not isinstance(chosen, list) or not chosen or any(not isinstance(c, str) or c not in known for c in chosen):
            errors.add(path, "请选择要移交的部门")
            return []
        return list(dict.fromkeys(chosen))

    def schema(self):
        return {"anyOf": [{"type": "array", "minItems": 1, "items": DEPARTMENT}, DEPARTMENT]}


class LeadDepartment(Field):
    """The lead department (牵头): one of the departments referred to, the only one when there is one."""

    def read(self, value, path, errors, context, required):
        return value or ""

    def schema(self):
        return absent_or(DEPARTMENT)


class DueDay(Field):
    """A referral's due date: from today to a year ahead; absent, REFERRAL_DUE_WORKING_DAYS working days on."""

    def read(self, value, path, errors, context, required):
        if not value:
            return None
        try:
            due = iso_day(value)
        except ValueError:
            errors.add(path, "办结期限格式应为 2023-04-10")
            return None
        if due < context.today or due > context.today + datetime.timedelta(days=366):
            errors.add(path, "办结期限应在今天到一年之内")
        return due

    def schema(self):
        return absent_or({"type": "string", "format": "date"})


def lead_among_the_departments(referral, errors, context):
    chosen = referral["departments"]
    referral["lead"] = referral["lead"] or (chosen[0] if len(chosen) == 1 else "")
    if chosen and referral["lead"] not in chosen:
        errors.add("lead", "请从移交的部门中选一个牵头部门")


def due_by_default(referral, errors, context):
    referral["due"] = referral["due"] or working_days_after(context.today, context.extra["due_days"])


def not_referred_already(referral, errors, context):
    already = [c for c in referral["departments"] if context.extra["view"].open_referral_to(c)]
    if already and not errors:
        names = "、".join(d.name for d in Department.select().where(Department.code.in_(already))
                         .order_by(Department.code))
        errors.add("departments", f"已移交{names}，仍在处置中")


# A department's code: the plan's (a deployment of one district), or the district's code and the plan's.
DEPARTMENT = {"anyOf": [enum(routing.DEPARTMENT_NAMES),
                        {"type": "string", "pattern": f"^[0-9]{{6}}-({'|'.join(routing.DEPARTMENT_NAMES)})$"}],
              "description": labelled(routing.DEPARTMENT_NAMES) + "; in a city deployment after the district's code "
                                                                 "(310104-shichang)"}

REFERRAL = Shape("ReferralInput", {
    "departments": Departments(),
    "lead": LeadDepartment(description="one of `departments`; default the only one"),
    "due": DueDay(description="from today to a year ahead; default REFERRAL_DUE_WORKING_DAYS working days"),
    "note": Note("移交说明", MAX_NOTE),
}, checks=[lead_among_the_departments, due_by_default, not_referred_already], schema_extra={
    # Several departments need one of them named to lead.
    "if": {"properties": {"departments": {"type": "array", "minItems": 2, "uniqueItems": True}},
           "required": ["departments"]},
    "then": {"required": ["lead"]}})


def parse_referral(values, view, user, today=None, due_days=DEFAULT_DUE_WORKING_DAYS):
    """(department codes, lead code, due date, note) from the street's form or the API; CaseError if wrong."""
    now = datetime.datetime.combine(today, datetime.time()) if today else now_local()
    known = {d.code for d in referable_departments(user)}
    referral, errors = REFERRAL.read(values, now=now, view=view, due_days=due_days, known_departments=known)
    if errors:
        raise CaseError(dict(errors))
    return referral["departments"], referral["lead"], referral["due"], referral["note"]


# --- acting on a case ----------------------------------------------------------------------------------


def refer(user, view, departments, lead, due, note=""):
    """Refer the case to departments (one referral each, `lead` leading); its reports become 已移交."""
    at = now_local()
    created = []
    with db.atomic():
        for code in departments:
            referral = Referral.create(case=view.primary, department=code, lead=(code == lead), due=due,
                                       referred_by=user, referred_at=at, note=note, updated_at=at,
                                       community=_community_of(view))
            CaseEvent.create(case=view.primary, referral=referral, action="referred", user=user, at=at, note=note)
            created.append(referral)
        _mark_reports_referred(user, view, departments, at)
    for referral in created:
        audit(user, "refer", referral, referral.department_id)
    return created


def _community_of(view):
    return next((m.community for m in view.group.mentions if m.community), None)


def _mark_reports_referred(user, view, departments, at):
    names = "、".join(d.name for d in Department.select().where(Department.code.in_(departments))
                     .order_by(Department.code))
    for mention in view.group.reports:
        if mention.status in ("new", "checking", "confirmed"):
            Report.update(status="referred", updated_at=at).where(Report.id == mention.id).execute()
            ReportEvent.create(report=mention.id, status="referred", user=user, at=at, note=f"移交{names}")


def _event(user, view, action, note=""):
    event = CaseEvent.create(case=view.primary, action=action, user=user, at=now_local(), note=note)
    audit(user, action, view.primary, note[:200])
    return event


def set_important(user, view, important):
    # Marked on the case's first row only, so that the district's count counts cases, not their identifiers;
    # cleared on all of them.
    rows = [view.primary.id] if important else [r.id for r in view.rows]
    with db.atomic():
        Case.update(important=important).where(Case.id.in_(rows)).execute()
        _event(user, view, "important" if important else "unimportant")


def escalate(user, view, note=""):
    """A 居委 asks its street to act on a case (it cannot refer it itself)."""
    if view.escalated:
        raise CaseError({"note": "已经上报过街镇"})
    with db.atomic():
        Case.update(escalated=True).where(Case.id == view.primary.id).execute()
        _event(user, view, "escalated", " ".join((note or "").split())[:MAX_NOTE])


def draft_publication(view):
    """The 曝光 text the district starts from: the institution, what it did, the outcome; no resident's data."""
    did = "、".join(FLAGS[f][0] for f in view.group.flags if f != "unapproved") or "冒牌消防培训"
    outcomes = []
    for r in view.referrals:
        if r.status == "penalised":
            fine = f"，罚没款 {r.fine_fen / 100:,.2f} 元" if r.fine_fen else ""
            outcomes.append(f"{r.department.name}依法查处{('（已立案）' if r.case_opened else '')}{fine}")
        elif r.status == "to_police":
            outcomes.append(f"{r.department.name}移送公安机关")
    return f"{view.title}：以消防培训为名{did}。处理结果：{'；'.join(outcomes)}。"


def publish(user, view, text):
    if not view.penalised:
        raise CaseError({"text": "只有已查处的案件可以曝光"})
    text = " ".join((text or "").split())
    if not text:
        raise CaseError({"text": "请填写曝光内容"})
    if len(text) > MAX_NOTE:
        raise CaseError({"text": f"曝光内容最多 {MAX_NOTE} 字"})
    with db.atomic():
        Case.update(published_at=now_local(), published_text=text).where(Case.id == view.primary.id).execute()
        _event(user, view, "published", text)


def unpublish(user, view):
    with db.atomic():
        Case.update(published_at=None).where(Case.id.in_([r.id for r in view.rows])).execute()
        _event(user, view, "unpublished")


def published_cases(limit=100):
    """What the public 曝光 page shows: the district's own words, newest first."""
    return list(Case.select(Case.published_at, Case.published_text).where(Case.published_at.is_null(False))
                .order_by(Case.published_at.desc()).limit(limit))


def history(view):
    """The 问题台账: every step of the case and of its reports, oldest first: (at, who, what, note, referral)."""
    entries = [(e.at, e.id, e.user_id, ACTIONS.get(e.action, e.action), e.note, e.referral_id)
               for e in CaseEvent.select().where(CaseEvent.case.in_([r.id for r in view.rows]))]
    report_ids = [m.id for m in view.group.reports]
    if report_ids:
        entries += [(e.at, e.id, e.user_id, f"线索 {e.report.number}：{REPORT_STATUSES.get(e.status, e.status)}",
                     e.note, None)
                    for e in ReportEvent.select(ReportEvent, Report).join(Report)
                    .where(ReportEvent.report.in_(report_ids))]
    users = {u.id: u.label for u in User.select().where(User.id.in_({e[2] for e in entries if e[2]}))}
    by_referral = {r.id: r.department.name for r in view.referrals}
    return [{"at": at, "who": users.get(uid, "群众" if "线索" in what else "系统"), "what": what, "note": note,
             "department": by_referral.get(rid)}
            for at, _, uid, what, note, rid in sorted(entries, key=lambda e: (e[0], e[1]))]


def work(user, referral, values, photos=()):
    """A department's step on its referral (domain.casework.referrals), from a form or PATCH body."""
    status, note, opened, fine = referral_steps.parse_step(values)
    return referral_steps.advance(user, referral, status, note, opened, fine, photos)


# --- what a resident sees on /r/status -----------------------------------------------------------------


def referral_step_of(report):
    """The step of the referral that speaks for a referred report's case: an outcome (已查处, 已移送公安) if any,
    else the lead department's, else the first; None before any referral (domain.public.reports words it)."""
    if report.status != "referred":
        return None
    group = _group_of_report(report)
    anchors = group.anchors if group else [f"r:{report.id}"]
    found = list(Referral.select().join(Case).where(Case.anchor.in_(anchors))
                 .order_by(Referral.lead.desc(), Referral.id))
    if not found:
        return None
    outcomes = [r for r in found if r.status in ("penalised", "to_police")]
    return (outcomes or found)[0].status
