"""Who may do what (design section 3), in one place, as plain functions of a user and a record or a query.

Routes declare what they need with `@requires(action)` (or `@public`, blueprints/guard.py: the thin Flask side,
which answers 404), templates ask `can(user, action)`, and queries of what a user may see start from
`scope(user, Model)`. A user who may not do something, or asks for a record outside their scope, gets 404 —
never 403 — so nobody learns what exists elsewhere. tests/test_permissions.py walks the app's URL map against
this module, so a route without a rule fails.

Places decide most of it: a record in a 居委 is seen by that 居委, its street and the district. A case is where its
mentions are (`sees_case`, applied by domain.casework.cases), and a department sees the cases referred to it;
the reports and referrals a department sees follow from those cases (domain.casework.cases.referrals_in_scope,
domain.public.reports.reports_in_scope).
"""
from peewee import SQL

from domain.common import codes
from domain.reporting.tabledef import Scope
from models import (
    ActionEntry, Building, Department, Org, Poster, Report, Sample, SpotCheck, Submission, SupervisionOrder, Survey,
    Unit,
)

SURVEYOR, STREET, DISTRICT, DEPARTMENT, CITY = "surveyor", "street", "district", "department", "city"
EVERYONE = frozenset((SURVEYOR, STREET, DISTRICT, DEPARTMENT, CITY))
STAFF = frozenset((SURVEYOR, STREET, DISTRICT))  # the campaign's own people, as opposed to departments
# The city (市安委办, design section 13) sees every district and reads; it refers, triages and decides nothing.

# action → the roles that may do it. Scope (which 居委, which department) is checked separately, per record.
RULES = {
    "account": EVERYONE,                          # own profile, password, API tokens
    "survey": STAFF,                              # buildings, visits, corrections, progress
    "posters": STAFF,                             # make, print, retire warning posters
    "reports.triage": STAFF,                      # 线索: check, confirm, mark unfounded
    "cases.view": EVERYONE,                       # departments see only the cases referred to them
    "cases.escalate": frozenset((SURVEYOR,)),     # a 居委 asks its street to act; it does not refer
    "cases.refer": frozenset((STREET, DISTRICT)),
    "cases.mark_important": EVERYONE,
    "cases.publish": frozenset((DISTRICT,)),      # the public 曝光 page
    "cases.oversee": frozenset((DISTRICT, CITY)),  # 重要 cases counted in the navigation, at once
    "referrals.work": frozenset((DEPARTMENT,)),   # accept, record what was done, return
    "leads.log": frozenset((STREET, DISTRICT, DEPARTMENT)),
    "tables.view": frozenset((STREET, DISTRICT, CITY)),
    "overview": frozenset((STREET, DISTRICT, CITY)),  # the landing page: 线索 and progress per 居委/街镇/区
    "problems.decide": frozenset((DISTRICT,)),    # merge and split institutions of the problem list
    "approved.manage": frozenset((DISTRICT,)),
    "audit.view": frozenset((DISTRICT,)),
    # Personal data (issue 11): who needs a resident's full address or a reporter's contact. Everyone else sees
    # them masked (domain/public/privacy.py); every look at a contact is written to the audit log.
    "addresses.view": STAFF,
    "contacts.view": STAFF,
    # 附件2/附件3 and the workbook of all three: each sees the rows of its own scope (table_scope)
    "tables.campaign": frozenset((STREET, DISTRICT, DEPARTMENT, CITY)),
    "spot_checks.enter": frozenset((DEPARTMENT,)),  # 附件2, in the channels the department is responsible for
    "samples.collect": frozenset((DEPARTMENT,)),  # survey samples: the department of the 培训兜售 channel
    "actions.enter": frozenset((STREET, DEPARTMENT)),  # 附件3's entered columns, for its own row
    "tables.submit": frozenset((STREET, DEPARTMENT)),  # 报送: freeze its tables as of a day
    "submissions.view": frozenset((STREET, DISTRICT, DEPARTMENT, CITY)),  # its own; the district's, the city's
    "submissions.review": frozenset((DISTRICT, CITY)),  # per deadline: who submitted, who is late
    "summary.draft": frozenset((STREET, DISTRICT, DEPARTMENT, CITY)),  # 工作总结 as a Word draft
    # The roster (底数清单, design section 11): a street or the district imports its 居委's; coverage is read
    # where the tables are; a surveyor sees its own 居委's roster on its survey screen ("survey").
    "roster.import": frozenset((STREET, DISTRICT)),
    "roster.view": STAFF | {CITY},  # a 居委's 未走访清单: its own surveyors, its street, the district, the city
    "coverage.view": frozenset((STREET, DISTRICT, CITY)),
    # Supervision (强化考核, design section 12). A surveyor's signals are seen by the street and the district only.
    "quality.view": frozenset((STREET, DISTRICT)),
    "quality.review": frozenset((STREET, DISTRICT)),  # 已核实无误 / 确认问题, with a note
    "rechecks.work": frozenset((STREET,)),            # draw a 居委's 回访 sample and record each 回访
    "rechecks.view": frozenset((STREET, DISTRICT)),   # per 居委: sampled, done, 一致率 (never shown to the 居委)
    "ranking.view": frozenset((STREET, DISTRICT, CITY)),
    "bulletin.draft": frozenset((DISTRICT, CITY)),    # the 通报 draft (.docx)
    "orders.issue": frozenset((STREET, DISTRICT, CITY)),  # 督办: to an org below it or a department of its district
    "orders.view": EVERYONE,                          # its own orders, issued or received (404 for the rest)
    "orders.answer": frozenset((SURVEYOR, STREET, DISTRICT, DEPARTMENT)),  # 整改情况, by the recipient
}

PUBLIC = "public"  # marks a view anyone may open, logged in or not

# The department that collects the products bought at fake trainings for testing (附件2's 培训兜售 row): 消防救援.
SAMPLE_DEPARTMENT = codes.CHANNEL_DEPARTMENTS["training"]


def can(user, action, thing=None):
    """Whether `user` may do `action` (a key of RULES), and, given a record, whether it is in their scope."""
    if action not in RULES:
        raise KeyError(f"no permission rule for {action!r}")
    if user is None or not getattr(user, "is_authenticated", False) or user.role not in RULES[action]:
        return False
    return thing is None or in_scope(user, thing)


# --- scope: what a user may see -------------------------------------------------------------------------


def community_codes(user):
    """A query of the 居委 codes in the user's scope: its own 居委, its street's, its district's, all for the city;
    none for a department (it sees cases, not places)."""
    if user.role == DEPARTMENT or user.org_id is None:
        return Org.select(Org.code).where(SQL("1 = 0"))
    return user.org.communities().select(Org.code)


def street_codes(user):
    """The 街镇 codes whose tables the user may see: its own street, its district's, or all of them for the city."""
    if user.role in (DISTRICT, CITY):
        return [o.code for o in user.org.streets().select(Org.code).order_by(Org.code)]
    if user.role == STREET:
        return [user.org_id]
    return []


def district_codes(user):
    """The districts the user works in: all for the city, its own for anyone else (its street's or its
    department's)."""
    if user.role == CITY:
        return [o.code for o in Org.select(Org.code).where(Org.kind == "district").order_by(Org.code)]
    district = user.department.district if user.role == DEPARTMENT and user.department_id else \
        (user.org.district if user.org_id else None)
    return [district.code] if district is not None else []


def sees_whole_district(user):
    """District and city users see every street at once; everyone else sees their own part."""
    return user.role in (DISTRICT, CITY)


def sees_whole_city(user):
    """The city sees every district at once."""
    return user.role == CITY


def picks_community(user):
    """Street and district users choose which 居委 a page is about; a 居委 worker has only their own."""
    return user.role in (STREET, DISTRICT, CITY)


def sees_place(user, community, street, district):
    """Whether something located in 居委 `community` (or, without a 居委, in 街镇 `street`, or only in `district`) is
    in the user's scope. Departments see no places: they see what was referred to them."""
    if user.role == CITY:
        return True
    if user.role == DISTRICT:
        return district == user.org_id
    if user.role == STREET:
        return street is not None and street == user.org_id
    if user.role == SURVEYOR:
        return community is not None and community == user.org_id
    return False


def surveys_door_to_door(user):
    """A 居委 or 物业 worker: surveys on this phone all day, so its outbox and sync status are always shown."""
    return user.role == SURVEYOR


def works_for_department(user):
    """A department's user: sees the cases referred to its department and the leads it logged."""
    return user.role == DEPARTMENT


def can_see_community(user, code):
    return user.role == CITY or community_codes(user).where(Org.code == code).exists()


def records_for_own_community(user, code):
    """Whether `code` is the surveyor's own 居委, which it may record for: a surveyor's org is a 居委 (ROLE_ORG_KIND
    in accounts.py), so this needs no query."""
    return user.role == SURVEYOR and code == user.org_id


def recheck_communities(user):
    """A query of the 居委 codes whose 回访 samples `user` may see: its street's (a street user), its district's
    (the district). None for anyone else: a 居委 never learns which of its units are in a sample."""
    if user.role not in (STREET, DISTRICT):
        return Org.select(Org.code).where(SQL("1 = 0"))
    return community_codes(user)


def community_in_scope(user, community):
    """can_see_community for a 居委 row already loaded, without a query for the roles that record (a record is
    stored on every tap): a surveyor's own 居委, its street's for a street user, its district's for the district
    (ROLE_ORG_KIND in accounts.py puts each role at its kind of org). The city records nothing."""
    if community.kind != "community":
        return False
    if user.role == DISTRICT:
        return community.parent is not None and community.parent.parent_id == user.org_id
    if user.role == STREET:
        return community.parent_id is not None and community.parent_id == user.org_id
    return user.role == SURVEYOR and community.code == user.org_id


def scope(user, model):
    """A query of the `model` rows `user` may see. (Referrals follow their cases: domain.casework.cases.)"""
    if model is Org:
        return Org.select().where((Org.kind == "community") & Org.code.in_(community_codes(user)))
    if model in (Survey, Unit, Building, Poster):
        return model.select().where(model.community.in_(community_codes(user)))
    if model is Report:
        return _reports_placed(user)
    if model is Submission:
        return _own_rows(user, Submission)
    if model is ActionEntry:
        return _own_rows(user, ActionEntry)
    if model is SpotCheck:
        if user.role in (DISTRICT, CITY):
            return SpotCheck.select().where(SpotCheck.department.in_(department_codes(user)))
        return SpotCheck.select().where(SpotCheck.department == (user.department_id or ""))
    if model is Sample:
        if user.role in (DISTRICT, CITY) or collects_samples(user):
            return Sample.select().where(Sample.community.in_(community_codes(user) if user.role != DEPARTMENT else
                                                              _communities_of(district_codes(user))))
        return Sample.select().where(SQL("1 = 0"))
    if model is SupervisionOrder:  # 督办: the issuer's org and the recipient, nobody else
        return SupervisionOrder.select().where(orders_received(user) | orders_issued(user))
    raise KeyError(f"no scope rule for {model.__name__}")


def department_codes(user):
    """A query of the codes of the departments of the user's districts."""
    return Department.select(Department.code).where(Department.district.in_(district_codes(user)))


def _communities_of(districts):
    streets = Org.select(Org.code).where((Org.kind == "street") & Org.parent.in_(districts))
    return Org.select(Org.code).where((Org.kind == "community") & Org.parent.in_(streets))


def _own_rows(user, model):
    """Rows that belong to a street or a department (model.street, model.department): the user's own org's; all
    of its district's (or the city's) for the district (the city)."""
    if user.role in (DISTRICT, CITY):
        return model.select().where(model.street.in_(street_codes(user)) | model.department.in_(department_codes(user)))
    if user.role == DEPARTMENT and user.department_id:
        return model.select().where(model.department == user.department_id)
    if user.role == STREET and user.org_id:
        return model.select().where(model.street == user.org_id)
    return model.select().where(SQL("1 = 0"))


def own_scope(user):
    """The tables a street or department user fills in, enters and submits: its street's or its department's
    (a domain.reporting.tabledef.Scope); None for anyone else."""
    if user.role == STREET and user.org_id:
        return Scope("street", user.org)
    if user.role == DEPARTMENT and user.department_id:
        return Scope("department", user.department)
    return None


def table_scope(user, street=None, department=None, district=None):
    """Whose tables `user` sees, given ?street=, ?department= or ?district= codes: the district may pick any of
    its streets or departments (or see the whole district); the city any district, street or department (or the
    whole city); anyone else sees only its own. None when outside their scope."""
    if user.role in (DISTRICT, CITY):
        if street:
            org = Org.get_or_none((Org.code == street) & (Org.kind == "street"))
            return Scope("street", org) if org and org.code in street_codes(user) else None
        if department:
            found = Department.get_or_none(Department.code == department)
            return Scope("department", found) if found and found.district_id in district_codes(user) else None
        if district and user.role == CITY:
            org = Org.get_or_none((Org.code == district) & (Org.kind == "district"))
            return Scope("district", org) if org else None
        if user.role == CITY:
            return Scope("city", user.org)
        return None if district and district != user.org_id else Scope("district", user.org)
    own = own_scope(user)
    if own is None or (street and street != own.code) or (department and department != own.code) \
            or (street and own.kind != "street") or (department and own.kind != "department"):
        return None
    return own


def ranking_place(user, district=None, street=None):
    """The org whose 考核排名 `user` sees (design section 12), given ?district= or ?street= codes: the city any
    district or street, the district its own or one of its streets, a street only its own; None outside that."""
    if user.role not in (STREET, DISTRICT, CITY) or user.org_id is None:
        return None
    if not street and not district:
        return user.org
    org = Org.get_or_none((Org.code == (street or district)) & (Org.kind == ("street" if street else "district")))
    return org if org is not None and in_scope(user, org) else None


def _reports_placed(user):
    """Reports placed in the user's places: its 居委's, its street's (also those placed only in the street), its
    district's (also those placed in no street), all for the city. A department sees no places: the reports it
    sees are those of the cases referred to it (domain.public.reports.reports_in_scope)."""
    query = Report.select()
    if user.role == CITY:
        return query
    if user.role == DISTRICT:
        return query.where(Report.district == user.org_id)
    if user.role == DEPARTMENT:
        return query.where(SQL("1 = 0"))
    if user.role == STREET:
        return query.where(Report.community.in_(community_codes(user)) | (Report.street == user.org_id))
    return query.where(Report.community.in_(community_codes(user)))


def collects_samples(user):
    """Whether `user` works for the department that collects products bought at trainings (消防救援)."""
    return user.role == DEPARTMENT and user.department_id is not None and user.department.plan == SAMPLE_DEPARTMENT


def in_scope(user, thing):
    if isinstance(thing, Org):
        if thing.kind == "community":
            return can_see_community(user, thing.code)
        if thing.kind == "street":
            return thing.code in street_codes(user)
        if thing.kind == "district":
            return sees_whole_district(user) and thing.code in district_codes(user)
        return sees_whole_city(user)
    model = type(thing)
    return scope(user, model).where(model._meta.primary_key == thing._pk).exists()


# --- 督办 orders (design section 12): the issuer's org and the recipient see an order, nobody else -------------


def order_recipients(user):
    """(orgs, departments): queries of whom `user` may order. The city its districts, a district its streets and its
    departments, a street its 居委; nobody else (a 居委 or a department issues none)."""
    none = SQL("1 = 0")
    orgs, departments = Org.select().where(none), Department.select().where(none)
    if not can(user, "orders.issue") or user.org_id is None:
        return orgs, departments
    if user.role == CITY:
        return Org.select().where((Org.kind == "district") & Org.code.in_(district_codes(user))), departments
    if user.role == DISTRICT:
        return (Org.select().where((Org.kind == "street") & (Org.parent == user.org_id)),
                Department.select().where(Department.district == user.org_id))
    if user.role == STREET:
        return Org.select().where((Org.kind == "community") & (Org.parent == user.org_id)), departments
    return orgs, departments


def orders_received(user):
    """The condition on SupervisionOrder of the orders addressed to the user's org, or to its department."""
    if user.role == DEPARTMENT:
        return SupervisionOrder.to_department == (user.department_id or "")
    return SupervisionOrder.to_org == (user.org_id or "")


def orders_issued(user):
    """The condition on SupervisionOrder of the orders the user's org issued (any of its users sees them)."""
    if user.role == DEPARTMENT or user.org_id is None:
        return SQL("1 = 0")
    return SupervisionOrder.issuer_org == user.org_id


def received_order(user, order):
    """Whether `order` is addressed to the user's org or department: it answers with 整改情况."""
    if user.role == DEPARTMENT:
        return user.department_id is not None and order.to_department_id == user.department_id
    return user.org_id is not None and order.to_org_id == user.org_id


def issued_order(user, order):
    """Whether the user's org issued `order` and the user may issue: it closes the order or returns it."""
    return can(user, "orders.issue") and user.org_id is not None and order.issuer_org_id == user.org_id


# --- cases: where their mentions are ------------------------------------------------------------------------


def sees_case(user, mentions, referred_to_it=False, leads_it_logged=frozenset()):
    """Whether a case with these mentions (survey trainings, reports, leads: each with .kind, .id, .community,
    .street and .district) is `user`'s to see: one of them in its places; for a department, the case referred to it
    (`referred_to_it`) or one of the leads it logged (their ids). The city sees every case; a district also one whose
    mentions have all gone (Schemathesis found a 404), which holds nothing of any place."""
    if sees_whole_city(user) or (user.role == DISTRICT and not mentions):
        return True
    if works_for_department(user):
        return referred_to_it or any(m.kind == "lead" and m.id in leads_it_logged for m in mentions)
    return any(sees_place(user, m.community, m.street, m.district) for m in mentions)


def mentions_seen_by(user, mentions):
    """The mentions of a case that `user` may see: a street does not see another street's units. A department sees
    all of a case referred to it: it has to check it."""
    if works_for_department(user):
        return list(mentions)
    return [m for m in mentions if sees_place(user, m.community, m.street, m.district)]
