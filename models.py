"""Peewee models: the organisation, people, units and survey records.

One database object (`db`, a proxy bound by `bind_database`) serves SQLite and PostgreSQL. Money is kept
as integer fen (分) so that sums in SQL are exact on both engines. Times are naive Asia/Shanghai wall-clock
times: every user is in Shanghai, China has no daylight saving, and "as of day D" is then simply
`visited_at < D + 1 day`.
"""
import datetime
import secrets
import uuid

from peewee import (
    BigIntegerField, BlobField, BooleanField, CharField, DatabaseProxy, DateField, DateTimeField, ForeignKeyField,
    IntegerField, Model, SmallIntegerField, TextField, fn,
)
from playhouse.db_url import connect
from playhouse.pool import PooledDatabase

db = DatabaseProxy()

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")


def now_local():
    """The current Shanghai time, naive, to the second: how every time is stored (domain.common.clock reads
    days and moments from it)."""
    return datetime.datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0)


# Applied on every new SQLite connection (reliability.md): WAL so that readers never block the writer,
# NORMAL sync (survives an app crash), foreign keys enforced, and a busy timeout so that writers queue.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "cache_size": -16000,
}


# A pooled connection is closed and replaced once it is this old (PostgreSQL: a restarted server or a
# failover leaves old connections broken; each is then dropped after at most one failed request).
POOL_STALE_SECONDS = 300


def make_database(url, pool=False):
    """A peewee database for a `DATABASE_URL` (sqlite:///path or postgresql://…).

    With `pool` (the app: `DATABASE_POOL`), closing a connection at the end of a request keeps it open for the
    next one, one connection per thread at most: opening one costs more than most requests (PostgreSQL starts
    a server process for it; SQLite reads the schema, sets the pragmas, and checkpoints the WAL into the
    database file whenever the last connection closes). bench/README.md has the figures."""
    scheme, rest = url.split(":", 1)
    scheme = scheme.split("+")[0]  # pooling is the `pool` argument's, not the URL's
    options = {"max_connections": None, "stale_timeout": POOL_STALE_SECONDS} if pool else {}
    if scheme == "sqlite":
        # lock_type IMMEDIATE: every db.atomic() takes the write lock at BEGIN, so two writers queue on
        # busy_timeout instead of one failing with "database is locked" half-way through. A pooled
        # connection may serve another thread later (never two at once).
        if pool:
            options["check_same_thread"] = False
        return connect(("sqlite+pool:" if pool else "sqlite:") + rest, pragmas=SQLITE_PRAGMAS,
                       lock_type="IMMEDIATE", **options)
    if scheme.startswith("postgres"):
        return connect(("postgresql+pool:" if pool else "postgresql:") + rest, **options)
    return connect(url)


def close_database():
    """Close every connection of the bound database, pooled ones included (rebinding, end of tests)."""
    if isinstance(db.obj, PooledDatabase):
        db.obj.close_all()
    elif db.obj is not None and not db.obj.is_closed():
        db.obj.close()


def bind_database(url, pool=False):
    close_database()  # rebinding (tests, CLI): leave no connection of the old database open
    database = make_database(url, pool)
    db.initialize(database)
    return database


def is_sqlite():
    from peewee import SqliteDatabase

    return isinstance(db.obj, SqliteDatabase)


class BuiltOnce:
    """A query peewee builds once per kind of database, then run with other values in place of its marks.

    Building a query takes peewee longer than the database takes to run the small ones a record asks on every tap
    (cProfile: a fifth of a one-tap record). `build(*marks)` returns the query; each mark is a value that appears
    nowhere else in it (an odd number, a string starting with NUL, a day in 1900), and `execute(*values)` runs the
    built statement with each mark's value in its place."""

    def __init__(self, build, *marks):
        self._build, self._marks, self._built = build, marks, {}

    def _statement(self):
        kind = type(db.obj)
        if kind not in self._built:
            sql, params = self._build(*self._marks).sql()
            slots = [next((n for n, mark in enumerate(self._marks) if type(p) is type(mark) and p == mark), None)
                     for p in params]
            assert set(slots) - {None} == set(range(len(self._marks))), "a mark is missing from the statement"
            self._built[kind] = (sql, params, slots)
        return self._built[kind]

    def sql(self, *values):
        sql, params, slots = self._statement()
        return sql, [p if slot is None else values[slot] for p, slot in zip(params, slots)]

    def execute(self, *values):
        return db.execute_sql(*self.sql(*values))

    def rows(self, model, *values):
        """The rows as instances of `model` (its fields' conversions applied, by column name)."""
        sql, params = self.sql(*values)
        return list(model.raw(sql, *params))


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


# --- Organisation (design section 3) -----------------------------------------------------------------

ORG_KINDS = ("city", "district", "street", "community")


class Org(BaseModel):
    """A city (one deployment for a whole city, design section 13), a district, a 街镇 (street) or a 居委
    (community), identified by its statistical division code."""

    code = CharField(primary_key=True, max_length=16)
    name = CharField(max_length=100)
    kind = CharField(max_length=16)
    parent = ForeignKeyField("self", null=True, backref="children",
                             on_delete="RESTRICT")
    mailbox = CharField(max_length=254, default="")  # where 督办 orders to it are mailed (none: no mail)

    def communities(self):
        """The 居委 under this org (itself when it is one)."""
        if self.kind == "community":
            return Org.select().where(Org.code == self.code)
        if self.kind == "street":
            return Org.select().where((Org.kind == "community") & (Org.parent == self.code))
        if self.kind == "district":
            streets = Org.select(Org.code).where((Org.kind == "street") & (Org.parent == self.code))
            return Org.select().where((Org.kind == "community") & Org.parent.in_(streets))
        return Org.select().where(Org.kind == "community")

    def streets(self):
        """The 街镇 under this org (its own for a 居委, itself when it is one)."""
        if self.kind in ("street", "community"):
            return Org.select().where(Org.code == (self.code if self.kind == "street" else self.parent_id))
        if self.kind == "district":
            return Org.select().where((Org.kind == "street") & (Org.parent == self.code))
        return Org.select().where(Org.kind == "street")

    @property
    def district(self):
        """The district this org is in (itself when it is one; None for a city)."""
        org = self
        while org is not None and org.kind not in ("district", "city"):
            org = org.parent
        return org if org is not None and org.kind == "district" else None

    @property
    def street(self):
        if self.kind == "street":
            return self
        if self.kind == "community":
            return self.parent
        return None


class Department(BaseModel):
    """A department of a district (区市场监管局 …). `plan` is its code in the plan's division of duties (shichang,
    design section 4; the routing of section 9 names departments by it); in a city deployment its own code is
    `<district code>-<plan>` (310104-shichang), in a deployment of one district the plan code alone."""

    code = CharField(primary_key=True, max_length=32)
    name = CharField(max_length=100)
    plan = CharField(max_length=16, default="")
    district = ForeignKeyField(Org, null=True, on_delete="RESTRICT")
    mailbox = CharField(max_length=254, default="")  # where 督办 orders to it are mailed (none: no mail)


# --- People ------------------------------------------------------------------------------------------

ROLES = ("surveyor", "street", "district", "department", "city")
ROLE_LABELS = {"surveyor": "排摸员（居委/物业）", "street": "街镇管理员", "district": "区管理员", "department": "部门",
               "city": "市安委办"}


class User(BaseModel):
    username = CharField(max_length=64, unique=True)
    display_name = CharField(max_length=64, default="")
    password_hash = CharField(max_length=256)
    role = CharField(max_length=16)
    org = ForeignKeyField(Org, null=True, on_delete="RESTRICT")
    department = ForeignKeyField(Department, null=True, on_delete="RESTRICT")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=now_local)

    # flask-login protocol. `session_key` is set on the instance by the loader: the id flask-login keeps
    # in the cookie is a server-side session row, so logging out really ends that session.
    session_key = None
    is_anonymous = False

    @property
    def is_authenticated(self):
        return True

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return self.session_key

    @property
    def label(self):
        return self.display_name or self.username


class UserSession(BaseModel):
    """A logged-in browser. Deleting the row logs that browser out, whatever its cookie says."""

    key = CharField(primary_key=True, max_length=64, default=lambda: secrets.token_urlsafe(32))
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=now_local)


class ApiToken(BaseModel):
    """A bearer token for scripts. Only its SHA-256 is stored; the token itself is shown once."""

    user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    name = CharField(max_length=64, default="")
    token_hash = CharField(max_length=64, unique=True)
    prefix = CharField(max_length=12)
    created_at = DateTimeField(default=now_local)
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


class AuditLog(BaseModel):
    """Who did what to which record, and when (design section 3: every export and every change)."""

    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    at = DateTimeField(default=now_local, index=True)
    action = CharField(max_length=32)
    object_type = CharField(max_length=32)
    object_id = CharField(max_length=64, default="")
    detail = TextField(default="")


# --- Units and survey records (design sections 4, 6, 8; codes in domain/common/codes.py) --------------------------


class Building(BaseModel):
    """A building (or lane) of a 居委 whose units were laid out once for all its workers."""

    community = ForeignKeyField(Org, backref="buildings", on_delete="RESTRICT")
    name = CharField(max_length=100)
    created_at = DateTimeField(default=now_local)

    class Meta:
        indexes = ((("community", "name"), True),)


class Unit(BaseModel):
    """A household, shop or organisation: its 居委 plus its normalised address (design section 6)."""

    community = ForeignKeyField(Org, backref="units", on_delete="RESTRICT", index=False)  # (community, address_key)
    building = ForeignKeyField(Building, null=True, backref="units", on_delete="SET NULL")
    address = CharField(max_length=200)
    address_key = CharField(max_length=200)
    type = CharField(max_length=16, default="household")
    name = CharField(max_length=100, default="")
    position = IntegerField(default=0)  # order within its building
    created_at = DateTimeField(default=now_local)

    class Meta:
        indexes = ((("community", "address_key"), True),)


class Survey(BaseModel):
    """One visit to a unit. The unit's state as of a day is its latest survey by `visited_at`."""

    client_uuid = CharField(max_length=36, unique=True, default=lambda: str(uuid.uuid4()))
    # No index of their own: the indexes below begin with each (one index less to write on every record).
    unit = ForeignKeyField(Unit, backref="surveys", on_delete="RESTRICT", index=False)
    community = ForeignKeyField(Org, on_delete="RESTRICT", index=False)
    surveyor = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
    visited_at = DateTimeField()
    outcome = CharField(max_length=16)
    unit_type = CharField(max_length=16)
    unit_name = CharField(max_length=100, default="")
    note = TextField(default="")
    trained = BooleanField(default=False)
    suspect = BooleanField(default=False)
    body_hash = CharField(max_length=64)  # of the body as first sent, to tell a replay from a conflict
    created_at = DateTimeField(default=now_local)
    updated_at = DateTimeField(default=now_local)

    class Meta:
        indexes = (
            (("unit", "visited_at"), False),
            (("community", "visited_at"), False),
            (("surveyor", "created_at"), False),
            (("surveyor", "visited_at"), False),  # quality signals: an account's records around a visit
        )


class SurveyCorrection(BaseModel):
    """An explicit correction of a stored survey record (design section 3: audited as 'correct').

    `correction_uuid` is made by the device or the edit form, so a correction sent again is applied once;
    `body_hash` is the fingerprint of the corrected record, so the same correction sent again is a replay and
    the phone that sent it may still replay the record itself without a conflict.
    """

    correction_uuid = CharField(max_length=36, unique=True)
    survey = ForeignKeyField(Survey, backref="corrections", on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    body_hash = CharField(max_length=64)
    created_at = DateTimeField(default=now_local)


class CommunityDay(BaseModel):
    """How a 居委's figures changed on one day: kept as records arrive (domain/survey/unit_state.py), so that a
    figure as of day D (附件1's unit columns, progress, coverage) is the sum of its changes up to D."""

    community = ForeignKeyField(Org, on_delete="RESTRICT", index=False)  # (community, day)
    day = DateField()
    units = IntegerField(default=0)  # laid out, or first visited if earlier
    household_units = IntegerField(default=0)
    visited = IntegerField(default=0)  # with a record
    surveyed = IntegerField(default=0)
    households = IntegerField(default=0)
    organisations = IntegerField(default=0)
    not_reached = IntegerField(default=0)
    trained = IntegerField(default=0)
    suspect = IntegerField(default=0)
    products = IntegerField(default=0)
    amount_fen = BigIntegerField(default=0)
    # Coverage against the roster (底数清单, design section 11): the units on it, and those of them with a latest
    # record, surveyed, or absent or refused.
    roster = IntegerField(default=0)
    roster_visited = IntegerField(default=0)
    roster_surveyed = IntegerField(default=0)
    roster_not_reached = IntegerField(default=0)

    class Meta:
        indexes = ((("community", "day"), True),)


class RosterSpan(BaseModel):
    """A unit's time on its 居委's roster (底数清单, design section 11): from the day an import added it up to the day
    an import dropped it (`retired_on`, the first day it is off the roster); a unit added again has a new span."""

    unit = ForeignKeyField(Unit, backref="roster_spans", on_delete="CASCADE")
    community = ForeignKeyField(Org, on_delete="RESTRICT")
    added_on = DateField()
    retired_on = DateField(null=True)

    class Meta:
        indexes = ((("unit", "added_on"), False), (("community", "retired_on"), False))


class Training(BaseModel):
    survey = ForeignKeyField(Survey, backref="trainings", on_delete="CASCADE")
    position = SmallIntegerField()
    institution = CharField(max_length=200, default="")
    institution_key = CharField(max_length=200, default="", index=True)
    institution_phone = CharField(max_length=40, default="")
    phone_digits = CharField(max_length=40, default="", index=True)
    trainer_identity = CharField(max_length=16)
    mode = CharField(max_length=16)
    date = DateField(null=True)
    fee_fen = BigIntegerField(default=0)
    content = TextField(default="")
    products_pitched = BooleanField(default=False)
    engineering_solicited = BooleanField(default=False)
    flags = CharField(max_length=200, default="")  # space-separated flag codes, derived on save
    suspect = BooleanField(default=False)
    institution_nature = CharField(max_length=16, default="unknown")  # 机构性质 (design section 4)
    pitched_products = CharField(max_length=200, default="")  # space-separated product codes pitched


class Purchase(BaseModel):
    survey = ForeignKeyField(Survey, backref="purchases", on_delete="CASCADE")
    position = SmallIntegerField()
    product = CharField(max_length=32)
    quantity = IntegerField()
    amount_fen = BigIntegerField(default=0)
    channel = CharField(max_length=16)
    training = ForeignKeyField(Training, null=True, backref="purchases", on_delete="SET NULL")
    ccc_mark = BooleanField(null=True)
    id_label = BooleanField(null=True)
    sample_available = BooleanField(null=True)


# --- Approved institutions (design section 5) ------------------------------------------------------------


class ApprovedInstitution(BaseModel):
    name = CharField(max_length=200)
    name_key = CharField(max_length=200, index=True)
    credit_code = CharField(max_length=18, default="", index=True)
    address = CharField(max_length=200, default="")
    phone = CharField(max_length=40, default="")
    approval_no = CharField(max_length=64, default="")
    valid_until = DateField(null=True)

    @classmethod
    def current(cls, on=None):
        on = on or now_local().date()
        return cls.select().where(cls.valid_until.is_null() | (cls.valid_until >= on))


# --- Posters, public reports and triage (issue 3) ----------------------------------------------------------

REPORT_STATUSES = {"new": "新线索", "checking": "核查中", "confirmed": "已核实", "unfounded": "不属实", "referred": "已移交"}


class Poster(BaseModel):
    """A printed warning poster; its QR code encodes <BASE_URL>/r/<code> for as long as it hangs."""

    code = CharField(max_length=16, unique=True)
    community = ForeignKeyField(Org, backref="posters", on_delete="RESTRICT")
    location = CharField(max_length=100)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=now_local)
    retired_at = DateTimeField(null=True)
    scans = IntegerField(default=0)


class Report(BaseModel):
    """A resident's anonymous report of a suspect training or product (a 线索)."""

    number = CharField(max_length=16, unique=True)  # 编号 shown on the receipt, for /r/status
    poster = ForeignKeyField(Poster, null=True, backref="reports", on_delete="SET NULL")
    community = ForeignKeyField(Org, null=True, backref="reports", on_delete="RESTRICT")
    # The 街镇 a resident picked on /r without knowing the 居委 (else the 居委's street; None: district queue).
    street = ForeignKeyField(Org, null=True, backref="street_reports", on_delete="RESTRICT")
    # The district whose queue it is in: the 居委's or street's, or the one picked on /r in a city deployment.
    district = ForeignKeyField(Org, null=True, backref="district_reports", on_delete="RESTRICT")
    kinds = CharField(max_length=200, default="")  # space-separated codes of what happened
    description = TextField()
    institution = CharField(max_length=200, default="")
    institution_key = CharField(max_length=200, default="", index=True)
    institution_phone = CharField(max_length=40, default="")
    phone_digits = CharField(max_length=40, default="", index=True)
    happened_on = DateField(null=True)
    place = CharField(max_length=200, default="")
    amount_fen = BigIntegerField(default=0)
    contact = CharField(max_length=100, default="")
    status = CharField(max_length=16, default="new", index=True)
    flags = CharField(max_length=200, default="")
    suspect = BooleanField(default=False)
    created_at = DateTimeField(default=now_local, index=True)
    updated_at = DateTimeField(default=now_local)


class ReportPhoto(BaseModel):
    report = ForeignKeyField(Report, backref="photos", on_delete="CASCADE")
    filename = CharField(max_length=64)  # random name under UPLOAD_DIR, never under static/
    width = IntegerField()
    height = IntegerField()
    created_at = DateTimeField(default=now_local)


class ReportEvent(BaseModel):
    """A change of a report's status: who and when."""

    report = ForeignKeyField(Report, backref="events", on_delete="CASCADE")
    status = CharField(max_length=16)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    at = DateTimeField(default=now_local)
    note = TextField(default="")


# --- Cases, referrals and leads (design sections 8 and 9; issue 9) -------------------------------------------

CASE_KINDS = {"institution": "机构", "report": "群众举报", "lead": "线索", "survey": "排摸"}
REFERRAL_STATUSES = {
    "referred": "已移交", "accepted": "已接收", "investigating": "核查中", "penalised": "已查处",
    "to_police": "已移送公安", "unfounded": "不属实", "returned": "退回",
}
REFERRAL_ENDED = ("penalised", "to_police", "unfounded", "returned")


class Case(BaseModel):
    """What persists of a case: its flags of attention, publication and history (the 问题台账).

    A case is found, not created: an institution of the problem list, or one report, lead or suspect survey
    training that names no identifiable institution (design section 9). Its row is anchored on what it is
    found by: an institution's identifier ("n:<name key>", "p:<phone digits>") or its source ("r:<report id>",
    "l:<lead id>", "t:<survey id>.<training position>"). An institution whose mentions carry several
    identifiers has several rows and is all of them at once; so merging or splitting institutions carries
    their referrals and history along with the identifiers, without rewriting anything.
    """

    anchor = CharField(max_length=220, unique=True)
    kind = CharField(max_length=16)
    # The key of today's group of mentions holding its anchor ("" while none does), kept with the mentions'
    # (domain/casework/mentions.py): the rows of one case share it.
    group_key = CharField(max_length=220, default="", index=True)
    important = BooleanField(default=False)
    escalated = BooleanField(default=False)  # a 居委 asked its street to act on it
    published_at = DateTimeField(null=True)  # on the public 曝光 page since
    published_text = TextField(default="")  # what the 曝光 page says the institution did, and the outcome
    created_at = DateTimeField(default=now_local)

    class Meta:
        table_name = "case_record"  # CASE is an SQL keyword


class Referral(BaseModel):
    """A case handed to a department; `status` is its latest step (REFERRAL_STATUSES)."""

    case = ForeignKeyField(Case, null=True, backref="referrals", on_delete="CASCADE")
    department = ForeignKeyField(Department, backref="referrals", on_delete="RESTRICT")
    lead = BooleanField(default=False)  # 牵头部门
    community = ForeignKeyField(Org, null=True, on_delete="RESTRICT")  # kept from issue 3; the case is the scope
    referred_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    referred_at = DateTimeField(default=now_local, index=True)
    due = DateField(null=True)
    status = CharField(max_length=16, default="referred")
    note = TextField(default="")  # the referrer's note to the department
    case_opened = BooleanField(default=False)  # 立案
    fine_fen = BigIntegerField(default=0)  # 罚没款
    updated_at = DateTimeField(default=now_local)


class CaseEvent(BaseModel):
    """One line of a case's history: who did what when (referral steps carry their referral and figures)."""

    case = ForeignKeyField(Case, backref="events", on_delete="CASCADE")
    referral = ForeignKeyField(Referral, null=True, backref="events", on_delete="CASCADE")
    action = CharField(max_length=24)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    at = DateTimeField(default=now_local, index=True)
    note = TextField(default="")
    case_opened = BooleanField(default=False)
    fine_fen = BigIntegerField(default=0)


class CaseFile(BaseModel):
    """A photo a department attached to a step (re-encoded like residents' photos, outside static/)."""

    event = ForeignKeyField(CaseEvent, backref="files", on_delete="CASCADE")
    filename = CharField(max_length=64)
    width = IntegerField()
    height = IntegerField()


LEAD_SOURCES = {"survey": "排摸", "report": "群众举报", "online": "网络巡查", "department": "部门线索", "hotline": "热线"}


class Lead(BaseModel):
    """A lead found by other means than a door-to-door visit: an online listing, a WeChat group, a registry,
    police information (the plan's 摸排 "通过线下、线上等多种方式"). A mention like any other."""

    client_uuid = CharField(max_length=36, unique=True)
    source = CharField(max_length=16)
    community = ForeignKeyField(Org, null=True, on_delete="RESTRICT")
    street = ForeignKeyField(Org, null=True, on_delete="RESTRICT", backref="street_leads")
    district = ForeignKeyField(Org, null=True, on_delete="RESTRICT", backref="district_leads")  # whose lead it is
    logged_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    department = ForeignKeyField(Department, null=True, on_delete="RESTRICT")  # when a department logged it
    institution = CharField(max_length=200, default="")
    institution_key = CharField(max_length=200, default="", index=True)
    institution_phone = CharField(max_length=40, default="")
    phone_digits = CharField(max_length=40, default="", index=True)
    institution_nature = CharField(max_length=16, default="unknown")
    url = CharField(max_length=500, default="")
    description = TextField(default="")
    mode = CharField(max_length=16, default="other")
    trainer_identity = CharField(max_length=16, default="unknown")
    fee_fen = BigIntegerField(default=0)
    products_pitched = BooleanField(default=False)
    engineering_solicited = BooleanField(default=False)
    pitched_products = CharField(max_length=200, default="")  # space-separated product codes
    flags = CharField(max_length=200, default="")
    suspect = BooleanField(default=False)
    body_hash = CharField(max_length=64)
    created_at = DateTimeField(default=now_local, index=True)


class Mention(BaseModel):
    """A mention of an institution as it is kept (domain/casework/mentions.py): a suspect training of a record while
    the record is its unit's latest, a report while it is not found unfounded, or a lead; valid from `valid_from` to
    the day before `valid_to` (open: valid today), located, with the keys it is matched by and, while valid today,
    the key of its group (its institution's, or its own anchor)."""

    kind = CharField(max_length=16)  # "training", "report", "lead"
    source = BigIntegerField()  # the survey's id (a training: with its position), the report's, the lead's
    position = SmallIntegerField(default=0)
    valid_from = DateField()
    valid_to = DateField(null=True)
    unit = ForeignKeyField(Unit, null=True, on_delete="CASCADE")  # a training's
    community = ForeignKeyField(Org, null=True, on_delete="RESTRICT", backref="mentions")
    street = ForeignKeyField(Org, null=True, on_delete="RESTRICT", backref="street_mentions")
    district = ForeignKeyField(Org, null=True, on_delete="RESTRICT", backref="district_mentions")
    name_key = CharField(max_length=200, default="", index=True)
    phone = CharField(max_length=40, default="", index=True)
    suspect = BooleanField(default=False)
    amount_fen = BigIntegerField(default=0)  # a training's fee and what was bought at it; a report's, a lead's fee
    group_key = CharField(max_length=220, default="", index=True)

    class Meta:
        indexes = ((("kind", "source", "position"), False), (("valid_to", "district"), False))


# --- Tables and the problem list (issue 4) ----------------------------------------------------------------

INSTITUTION_DECISIONS = {"merge": "合并", "split": "拆分"}


class InstitutionDecision(BaseModel):
    """The district's manual correction of the problem list's matching (design section 5), on top of the rules.

    Keys are mention identifiers: "n:<normalised name>" or "p:<phone digits>". `merge` joins the groups
    holding key_a and key_b; `split` cuts the link a name (key_a) and a phone (key_b) make between mentions.
    """

    kind = CharField(max_length=8)
    key_a = CharField(max_length=220)
    key_b = CharField(max_length=220)
    note = TextField(default="")
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    decided_at = DateTimeField(default=now_local)

    class Meta:
        indexes = ((("kind", "key_a", "key_b"), True),)


# --- 附件2 and 附件3 entries, survey samples (issue 10) ----------------------------------------------------


class SpotCheck(BaseModel):
    """附件2: spot checks a department made on one day, in one channel, of one product type."""

    client_uuid = CharField(max_length=36, unique=True, default=lambda: str(uuid.uuid4()))
    department = ForeignKeyField(Department, backref="spot_checks", on_delete="RESTRICT")
    channel = CharField(max_length=16)
    product = CharField(max_length=32)
    date = DateField()
    batches = IntegerField(default=0)
    failed = IntegerField(default=0)
    cases_opened = IntegerField(default=0)
    fine_fen = BigIntegerField(default=0)
    body_hash = CharField(max_length=64)
    entered_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=now_local)

    class Meta:
        indexes = ((("department", "date"), False),)


class ActionEntry(BaseModel):
    """附件3, the columns a street or a department enters: what it did on one day."""

    client_uuid = CharField(max_length=36, unique=True, default=lambda: str(uuid.uuid4()))
    street = ForeignKeyField(Org, null=True, backref="action_entries", on_delete="RESTRICT")
    department = ForeignKeyField(Department, null=True, backref="action_entries", on_delete="RESTRICT")
    date = DateField()
    inspectors = IntegerField(default=0)
    units_checked = IntegerField(default=0)  # a department's; a street's comes from its survey records
    publicity_events = IntegerField(default=0)
    body_hash = CharField(max_length=64)
    entered_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=now_local)

    class Meta:
        indexes = ((("street", "date"), False), (("department", "date"), False))


SAMPLE_RESULTS = {"passed": "合格", "failed": "不合格"}


class Sample(BaseModel):
    """A product bought at a training and marked 可送检, collected for testing (附件2, 培训兜售).

    Keyed by its survey and the purchase's position in that record: a correction recreates a record's
    Purchase rows (new ids), while the survey and the position stay. What was collected is copied here."""

    survey = ForeignKeyField(Survey, backref="samples", on_delete="RESTRICT")
    position = SmallIntegerField()
    community = ForeignKeyField(Org, on_delete="RESTRICT")
    product = CharField(max_length=32)
    collected_on = DateField()
    collected_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="samples_collected")
    result = CharField(max_length=8, null=True)
    tested_on = DateField(null=True)
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="samples_recorded")
    note = TextField(default="")
    created_at = DateTimeField(default=now_local)

    class Meta:
        indexes = ((("survey", "position"), True),)


# --- the campaign calendar and submissions (issue 10, design section 10) ----------------------------------


class Campaign(BaseModel):
    """A campaign's name, dates and contact: configuration, loaded from a file (data/campaign-2023.json)."""

    name = CharField(max_length=200)
    document = CharField(max_length=300, default="")
    starts = DateField()
    ends = DateField()
    contact_name = CharField(max_length=64, default="")
    contact_org = CharField(max_length=100, default="")
    contact_phone = CharField(max_length=40, default="")
    contact_mailbox = CharField(max_length=200, default="")
    contact_fax = CharField(max_length=40, default="")
    created_at = DateTimeField(default=now_local)


class CampaignPhase(BaseModel):
    campaign = ForeignKeyField(Campaign, backref="phases", on_delete="CASCADE")
    position = SmallIntegerField()
    name = CharField(max_length=64)
    period = CharField(max_length=64, default="")  # the plan's words, e.g. 3月中旬至3月底
    starts = DateField()
    ends = DateField()


DEADLINE_KINDS = {"tables": "统计表", "summary": "工作总结"}


class CampaignDeadline(BaseModel):
    """A deadline; with `weekly_until`, the same again every week up to that day."""

    campaign = ForeignKeyField(Campaign, backref="deadlines", on_delete="CASCADE")
    kind = CharField(max_length=16)
    label = CharField(max_length=100)
    due = DateField()
    weekly_until = DateField(null=True)


MAIL_STATUSES = {"off": "未配置邮箱", "pending": "待发送", "sent": "已发送", "failed": "发送失败"}


class Submission(BaseModel):
    """报送: a street's or a department's tables as of a day, frozen as sent (JSON and workbook bytes)."""

    client_uuid = CharField(max_length=36, unique=True, default=lambda: str(uuid.uuid4()))
    street = ForeignKeyField(Org, null=True, backref="submissions", on_delete="RESTRICT")
    department = ForeignKeyField(Department, null=True, backref="submissions", on_delete="RESTRICT")
    as_of = DateField()
    submitted_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    submitted_at = DateTimeField(default=now_local, index=True)
    document = BlobField()  # the JSON answer, exactly as first served
    workbook = BlobField()  # the .xlsx, exactly as first served
    workbook_name = CharField(max_length=200)
    body_hash = CharField(max_length=64)
    mail_status = CharField(max_length=8, default="off")
    mail_error = TextField(default="")
    mailed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("street", "submitted_at"), False), (("department", "submitted_at"), False))

    @property
    def org_code(self):
        return self.street_id or self.department_id


# --- Supervision (强化考核, design section 12) ------------------------------------------------------------

SIGNAL_KINDS = ("burst", "backfill", "night", "recheck")
VERDICTS = ("explained", "confirmed")


class QualitySignal(BaseModel):
    """A quality signal on one account's records (domain/supervision): evidence for the street to check, never a
    verdict. Kept up to date as records arrive; once reviewed it is never deleted (`holds` says whether its
    records still raise it)."""

    kind = CharField(max_length=16)  # SIGNAL_KINDS
    user = ForeignKeyField(User, on_delete="CASCADE")  # the account whose records raise it
    community = ForeignKeyField(Org, on_delete="RESTRICT")  # the 居委 of its records (the first, if several)
    day = DateField()  # filed under: the burst's day, the night's evening, the day of receipt, the 回访's day
    starts = DateTimeField()  # the first and last visit it covers
    ends = DateTimeField()
    count = IntegerField()
    record_ids = TextField()  # the survey ids it rests on, space-separated, in visit order
    holds = BooleanField(default=True)
    verdict = CharField(max_length=16, null=True)  # VERDICTS; None until reviewed
    note = TextField(default="")
    reviewed_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="reviewed_signals")
    reviewed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=now_local)
    updated_at = DateTimeField(default=now_local)

    class Meta:
        indexes = ((("user", "kind", "day"), False), (("community", "day"), False))


class SignalCheck(BaseModel):
    """A record asked for its account's signals of one kind and day to be looked at again (domain/supervision/
    quality.py): one row per record, so that records of one account at once never wait for each other; the next
    read of the signals settles them."""

    user = ForeignKeyField(User, on_delete="CASCADE")
    kind = CharField(max_length=16)
    day = DateField()


RECHECK_RESULTS = ("match", "mismatch", "unreachable")
RECHECK_DIFFERS = ("not_visited", "training_differs", "purchase_differs")


class Recheck(BaseModel):
    """回访: one record of a 居委's sample, drawn by its street as of a day with a seed, and what the check found."""

    community = ForeignKeyField(Org, on_delete="RESTRICT")
    as_of = DateField()
    seed = CharField(max_length=32, default="")
    survey = ForeignKeyField(Survey, on_delete="CASCADE")  # the unit's latest record as of `as_of`
    drawn_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="drawn_rechecks")
    drawn_at = DateTimeField(default=now_local)
    result = CharField(max_length=16, null=True)  # RECHECK_RESULTS; None until checked
    differs = CharField(max_length=64, default="")  # RECHECK_DIFFERS, space-separated (a mismatch)
    note = TextField(default="")
    checked_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="checked_rechecks")
    checked_at = DateTimeField(null=True)
    signal = ForeignKeyField(QualitySignal, null=True, on_delete="SET NULL")  # the `recheck` signal a mismatch raised

    class Meta:
        indexes = ((("community", "as_of", "seed", "survey"), True), (("community", "checked_at"), False))


ORDER_SUBJECTS = ("case", "community", "signal", "other")
ORDER_STATUSES = ("open", "answered", "returned", "closed")


class SupervisionOrder(BaseModel):
    """督办: an order from the city, a district or a street to an org below it or a department, about a subject,
    with a due date; followed step by step (OrderStep) until the issuer closes it."""

    client_uuid = CharField(max_length=36, unique=True, default=lambda: str(uuid.uuid4()))
    body_hash = CharField(max_length=64, default="")
    issuer = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="issued_orders")
    issuer_org = ForeignKeyField(Org, on_delete="RESTRICT", backref="issued_orders")
    to_org = ForeignKeyField(Org, null=True, on_delete="RESTRICT", backref="received_orders")
    to_department = ForeignKeyField(Department, null=True, on_delete="RESTRICT", backref="received_orders")
    subject_kind = CharField(max_length=16)  # ORDER_SUBJECTS
    subject_id = CharField(max_length=32, default="")
    request = TextField()
    due = DateField()
    status = CharField(max_length=16, default="open")  # ORDER_STATUSES
    response = TextField(default="")  # the recipient's latest 整改情况
    created_at = DateTimeField(default=now_local)
    updated_at = DateTimeField(default=now_local)
    closed_at = DateTimeField(null=True)
    mail_status = CharField(max_length=8, default="off")  # of the mail telling the recipient of the order
    mail_error = TextField(default="")
    overdue_mailed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("to_org", "status"), False), (("to_department", "status"), False),
                   (("issuer_org", "status"), False))


class OrderStep(BaseModel):
    """One step of a 督办 order's history: issued, answered, returned, closed."""

    order = ForeignKeyField(SupervisionOrder, backref="steps", on_delete="CASCADE")
    action = CharField(max_length=16)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    at = DateTimeField(default=now_local)
    note = TextField(default="")


ALL_MODELS = [
    Org, Department, User, UserSession, ApiToken, AuditLog, Building, Unit, Survey, SurveyCorrection, Training,
    Purchase, ApprovedInstitution, Poster, Report, ReportPhoto, ReportEvent, Case, Referral, CaseEvent, CaseFile,
    Lead,
    InstitutionDecision, SpotCheck, ActionEntry, Sample, Campaign, CampaignPhase, CampaignDeadline, Submission,
    CommunityDay, RosterSpan, Mention, QualitySignal, SignalCheck, Recheck, SupervisionOrder, OrderStep,
]


_AUDIT = BuiltOnce(lambda user, at, action, kind, key, detail: AuditLog.insert(
    user=user, at=at, action=action, object_type=kind, object_id=key, detail=detail),
    -7_402_319, datetime.datetime(1900, 1, 1, 0, 0, 3), "\x00action", "\x00kind", "\x00key", "\x00detail")


def audit(user, action, obj, detail=""):
    """One line of the audit log (written on every record: the statement is built once)."""
    _AUDIT.execute(getattr(user, "id", None), now_local(), action, type(obj).__name__.lower(), str(obj._pk), detail)


__all__ = ["db", "fn"]
