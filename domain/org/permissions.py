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
from domain.reporting.tabledef import Scope, district_org
from models import ActionEntry, Building, Department, Org, Poster, Report, Sample, SpotCheck, Submission, Survey, Unit

SURVEYOR, STREET, DISTRICT, DEPARTMENT = "surveyor", "street", "district", "department"
EVERYONE = frozenset((SURVEYOR, STREET, DISTRICT, DEPARTMENT))
STAFF = frozenset((SURVEYOR, STREET, DISTRICT))  # the campaign's own people, as opposed to departments

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
    "cases.oversee": frozenset((DISTRICT,)),      # 重要 cases counted in the navigation, at once
    "referrals.work": frozenset((DEPARTMENT,)),   # accept, record what was done, return
    "leads.log": frozenset((STREET, DISTRICT, DEPARTMENT)),
    "tables.view": frozenset((STREET, DISTRICT)),
    "overview": frozenset((STREET, DISTRICT)),    # the landing page: new 线索 and progress per 居委/街镇
    "problems.decide": frozenset((DISTRICT,)),    # merge and split institutions of the problem list
    "approved.manage": frozenset((DISTRICT,)),
    "audit.view": frozenset((DISTRICT,)),
    # Personal data (issue 11): who needs a resident's full address or a reporter's contact. Everyone else sees
    # them masked (domain/public/privacy.py); every look at a contact is written to the audit log.
    "addresses.view": STAFF,
    "contacts.view": STAFF,
    # 附件2/附件3 and the workbook of all three: each sees the rows of its own scope (table_scope)
    "tables.campaign": frozenset((STREET, DISTRICT, DEPARTMENT)),
    "spot_checks.enter": frozenset((DEPARTMENT,)),  # 附件2, in the channels the department is responsible for
    "samples.collect": frozenset((DEPARTMENT,)),  # survey samples: the department of the 培训兜售 channel
    "actions.enter": frozenset((STREET, DEPARTMENT)),  # 附件3's entered columns, for its own row
    "tables.submit": frozenset((STREET, DEPARTMENT)),  # 报送: freeze its tables as of a day
    "submissions.view": frozenset((STREET, DISTRICT, DEPARTMENT)),  # its own submissions; the district all
    "submissions.review": frozenset((DISTRICT,)),  # per deadline: who submitted, who is late
    "summary.draft": frozenset((STREET, DISTRICT, DEPARTMENT)),  # 工作总结 as a Word draft
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
    """A query of the 居委 codes in the user's scope: its own 居委, its street's, all for the district;
    none for a department (it sees cases, not places)."""
    if user.role == DEPARTMENT or user.org_id is None:
        return Org.select(Org.code).where(SQL("1 = 0"))
    return user.org.communities().select(Org.code)


def street_codes(user):
    """The 街镇 codes whose tables the user may see: its own street, or all of them for the district."""
    if user.role == DISTRICT:
        return [o.code for o in Org.select(Org.code).where(Org.kind == "street").order_by(Org.code)]
    if user.role == STREET:
        return [user.org_id]
    return []


def sees_whole_district(user):
    """District users see every street at once; everyone else sees their own part."""
    return user.role == DISTRICT


def picks_community(user):
    """Street and district users choose which 居委 a page is about; a 居委 worker has only their own."""
    return user.role in (STREET, DISTRICT)


def sees_place(user, community, street):
    """Whether something located in 居委 `community` (or, without a 居委, in 街镇 `street`) is in the user's
    scope. Departments see no places: they see what was referred to them."""
    if user.role == DISTRICT:
        return True
    if user.role == STREET:
        return street == user.org_id
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
    return user.role == DISTRICT or community_codes(user).where(Org.code == code).exists()


def community_in_scope(user, community):
    """can_see_community for a 居委 row already loaded, without a query (a record is stored on every tap): a
    surveyor's own 居委, its street's for a street user, any for the district (ROLE_ORG_KIND in accounts.py
    puts each role at its kind of org)."""
    if community.kind != "community":
        return False
    if user.role == DISTRICT:
        return True
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
        if user.role == DISTRICT:
            return SpotCheck.select()
        return SpotCheck.select().where(SpotCheck.department == (user.department_id or ""))
    if model is Sample:
        if user.role == DISTRICT or collects_samples(user):
            return Sample.select()
        return Sample.select().where(SQL("1 = 0"))
    raise KeyError(f"no scope rule for {model.__name__}")


def _own_rows(user, model):
    """Rows that belong to a street or a department (model.street, model.department): the user's own org's;
    all of them for the district."""
    if user.role == DISTRICT:
        return model.select()
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


def table_scope(user, street=None, department=None):
    """Whose tables `user` sees, given ?street= or ?department= codes: the district may pick any street or
    department (or see the whole district); anyone else sees only its own. None when outside their scope."""
    if user.role == DISTRICT:
        if street:
            org = Org.get_or_none((Org.code == street) & (Org.kind == "street"))
            return Scope("street", org) if org else None
        if department:
            found = Department.get_or_none(Department.code == department)
            return Scope("department", found) if found else None
        return Scope("district", district_org())
    own = own_scope(user)
    if own is None or (street and street != own.code) or (department and department != own.code) \
            or (street and own.kind != "street") or (department and own.kind != "department"):
        return None
    return own


def _reports_placed(user):
    """Reports placed in the user's places: its 居委's, its street's (also those placed only in the street), all for
    the district. A department sees no places: the reports it sees are those of the cases referred to it
    (domain.public.reports.reports_in_scope)."""
    query = Report.select()
    if user.role == DISTRICT:
        return query
    if user.role == DEPARTMENT:
        return query.where(SQL("1 = 0"))
    if user.role == STREET:
        return query.where(Report.community.in_(community_codes(user)) | (Report.street == user.org_id))
    return query.where(Report.community.in_(community_codes(user)))


def collects_samples(user):
    """Whether `user` works for the department that collects products bought at trainings (消防救援)."""
    return user.role == DEPARTMENT and user.department_id == SAMPLE_DEPARTMENT


def in_scope(user, thing):
    if isinstance(thing, Org):
        if thing.kind == "community":
            return can_see_community(user, thing.code)
        if thing.kind == "street":
            return thing.code in street_codes(user)
        return sees_whole_district(user)
    model = type(thing)
    return scope(user, model).where(model._meta.primary_key == thing._pk).exists()


# --- cases: where their mentions are ------------------------------------------------------------------------


def sees_case(user, mentions, referred_to_it=False, leads_it_logged=frozenset()):
    """Whether a case with these mentions (survey trainings, reports, leads: each with .kind, .id, .community and
    .street) is `user`'s to see: one of them in its places; for a department, the case referred to it
    (`referred_to_it`) or one of the leads it logged (their ids). The district sees every case, also one whose
    mentions have all gone (Schemathesis found a 404)."""
    if sees_whole_district(user):
        return True
    if works_for_department(user):
        return referred_to_it or any(m.kind == "lead" and m.id in leads_it_logged for m in mentions)
    return any(sees_place(user, m.community, m.street) for m in mentions)


def mentions_seen_by(user, mentions):
    """The mentions of a case that `user` may see: a street does not see another street's units. A department sees
    all of a case referred to it: it has to check it."""
    if works_for_department(user):
        return list(mentions)
    return [m for m in mentions if sees_place(user, m.community, m.street)]
