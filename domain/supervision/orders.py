"""督办 supervision orders (design section 12; issue 19): the city orders a district, a district one of its streets or
departments, a street one of its 居委, about a subject (a case, a 居委's coverage, a quality signal, or free text)
with a due date. The recipient answers with 整改情况; the issuer closes the order (已办结) or returns it (退回), and
the recipient answers again. An order past its due date and not closed is overdue for both sides.

Only the issuer's org and the recipient see an order (domain.org.permissions: orders_issued, orders_received); every
step is an OrderStep and an audit entry. Orders sent by a device or a script carry a `client_uuid`: the same order
sent again returns the stored one, another body under the same uuid is a conflict (domain.reporting.entries).
"""
import datetime
from dataclasses import dataclass

from peewee import JOIN, Case as SqlCase, fn

from domain.casework.cases import case_for, working_days_after
from domain.common.clock import iso_day, now_local, today_local
from domain.common.fields import ClientUuid, Code, Field, Nested, OrgCode, RecordErrors, Shape, Text, absent_or
from domain.org.permissions import (
    can, can_see_community, community_codes, issued_order, order_recipients, orders_issued, orders_received,
    received_order, scope,
)
from domain.reporting.entries import store_once
from domain.supervision.quality import KIND_LABELS as SIGNAL_KINDS
from models import Department, Org, OrderStep, QualitySignal, SupervisionOrder, User, audit, db

SUBJECTS = {"case": "案件", "community": "居委排摸覆盖", "signal": "质量信号", "other": "其他事项"}
STATUSES = {"open": "待反馈", "answered": "已反馈，待办结", "returned": "退回重办", "closed": "已办结"}
WAITING = ("open", "returned")  # waiting for the recipient's 整改情况
# What a list may be narrowed to: a status, or every order waiting for the recipient.
STATUS_FILTERS = {"waiting": "待反馈整改（含退回重办）", **STATUSES}
SIDES = {"received": "收到的督办", "issued": "发出的督办"}
STEPS = {"issued": "下发督办", "answered": "反馈整改情况", "returned": "退回重办", "closed": "办结"}
DECISIONS = {"closed": "办结", "returned": "退回"}
# Whom each role may order, in words (the refusal of a `to` that is not one of them).
WHOM = {"city": "本市的区", "district": "本区的街镇或部门", "street": "本街镇的居委"}
KIND_WORDS = {"district": "区", "street": "街镇", "community": "居委"}
MAX_REQUEST = 1000
MAX_RESPONSE = 2000
MAX_NOTE = 1000
MAX_DUE_DAYS = 366
MAX_ID_DIGITS = 18  # ids have at most 18 digits (app.RecordId)
DEFAULT_DUE_WORKING_DAYS = 5  # the form's proposal: a week
MAX_COMMUNITY_CHOICES = 400  # more (a city's 5,025) and the form asks for the code instead of a list


class OrderError(ValueError):
    """Refused, with a message per field."""

    def __init__(self, errors):
        super().__init__("；".join(errors.values()))
        self.errors = dict(errors)


# --- reading what a person or a script sends --------------------------------------------------------------------


class SubjectId(Field):
    """What the order is about: a case's or a signal's id, or a 居委's code (absent for free text)."""

    def read(self, value, path, errors, context, required):
        if value is None or value == "":
            return ""
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            errors.add(path, "督办事项的编号应为数字或代码")
            return ""
        text = str(value).strip()
        if len(text) > 32:
            errors.add(path, "督办事项的编号不正确")
            return ""
        return text

    def schema(self):
        return absent_or({"type": "string", "maxLength": 32}, {"type": "integer", "minimum": 1})


class DueDay(Field):
    """An order's due date: from today to a year ahead."""

    required = True

    def read(self, value, path, errors, context, required):
        if value is None or value == "":
            errors.add(path, "请填写办结期限")
            return None
        try:
            due = iso_day(value)
        except ValueError:
            errors.add(path, "办结期限格式应为 2023-04-10")
            return None
        if due < context.today:
            errors.add(path, "办结期限不能早于今天")
        elif due > context.today + datetime.timedelta(days=MAX_DUE_DAYS):
            errors.add(path, "办结期限应在一年之内")
        return due

    def schema(self):
        return {"type": "string", "format": "date"}


def id_unless_free_text(subject, errors, context):
    if subject["kind"] == "other":
        subject["id"] = ""
    elif subject["kind"] and not subject["id"]:
        errors.add("subject.id", "请选择居委" if subject["kind"] == "community" else
                   f"请填写{SUBJECTS[subject['kind']]}编号")


SUBJECT = Shape("OrderSubject", {
    "kind": Code(SUBJECTS, "督办事项"),
    "id": SubjectId(description="a case's id (`case`), a 居委's code (`community`), a quality signal's id "
                                "(`signal`); none for `other`"),
}, checks=[id_unless_free_text])

ORDER = Shape("OrderInput", {
    "client_uuid": ClientUuid(),
    "to": OrgCode(required=True, missing="请选择督办对象",
                  description="whom: a district (the city), a street or a department code of the caller's district "
                              "(a district), a 居委 of the caller's street (a street)"),
    "subject": Nested(SUBJECT, missing="请选择督办事项", description="what the order is about"),
    "request": Text("督办要求", MAX_REQUEST, required=True),
    "due": DueDay("办结期限", description="YYYY-MM-DD, from today to a year ahead (Asia/Shanghai)"),
})


def one_step_at_a_time(step, errors, context):
    if step["response"] and step["status"]:
        errors.add("status", "反馈整改情况与办结、退回请分开提交")


def reason_to_return(step, errors, context):
    if step["status"] == "returned" and not step["note"]:
        errors.add("note", "退回请写明理由")


ORDER_STEP = Shape("OrderStepInput", {
    "response": Text("整改情况", MAX_RESPONSE, description="the recipient's 整改情况"),
    "status": Code(DECISIONS, "办理结果", default="", description="the issuer's: `closed` 办结, `returned` 退回"),
    "note": Text("说明", MAX_NOTE, description="the issuer's note; required with `returned`"),
}, checks=[one_step_at_a_time, reason_to_return], schema_extra={
    "if": {"properties": {"status": {"const": "returned"}}, "required": ["status"]},
    "then": {"required": ["note"]}})


def parse_order(body, now=None, from_form=False):
    """(values, errors) of an order as the API or the page sends it (the page makes its client_uuid)."""
    return ORDER.read(body, now=now, optional=("client_uuid",) if from_form else ())


def form_body(form):
    """The order the page's form sends, in the API's shape: the 居委 picked from a list, any other subject by its
    number."""
    kind = form.get("subject_kind", "")
    return {"client_uuid": form.get("client_uuid", ""), "to": form.get("to", ""), "request": form.get("request", ""),
            "due": form.get("due", ""), "subject": {
                "kind": kind, "id": form.get("subject_community" if kind == "community" else "subject_id", "")}}


# --- whom, about what: checked against the world --------------------------------------------------------------


def recipients(user):
    """(orgs, departments) `user` may order, in code order (the choices of the page's form)."""
    orgs, departments = order_recipients(user)
    return list(orgs.order_by(Org.code)), list(departments.order_by(Department.code))


def default_due(today=None):
    return working_days_after(today or today_local(), DEFAULT_DUE_WORKING_DAYS)


def community_choices(user):
    """The 居委 an issuer may name as a subject, by street: [(street name, [(code, name)])]; None when there are
    too many for one list (a city), where the form asks for the code."""
    found = list(Org.select(Org.code, Org.name, Org.parent).where(Org.code.in_(community_codes(user)))
                 .order_by(Org.parent, Org.code).limit(MAX_COMMUNITY_CHOICES + 1))
    if len(found) > MAX_COMMUNITY_CHOICES:
        return None
    streets = dict(Org.select(Org.code, Org.name).where(Org.code.in_({o.parent_id for o in found} or {""})).tuples())
    grouped = {}
    for org in found:
        grouped.setdefault(streets.get(org.parent_id, ""), []).append((org.code, org.name))
    return list(grouped.items())


def recipient(user, code):
    """(org, department) that `code` names among whom `user` may order: one of them, or (None, None)."""
    orgs, departments = order_recipients(user)
    org = orgs.where(Org.code == code).first() if code else None
    department = None if org is not None or not code else departments.where(Department.code == code).first()
    return org, department


def _number(text):
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= MAX_ID_DIGITS else None


def _covers(org, community):
    """Whether the 居委 `community` is in `org`'s area (the recipient has to act on it)."""
    if org.kind == "community":
        return community.code == org.code
    if org.kind == "street":
        return community.parent_id == org.code
    if org.kind == "district":
        return community.parent is not None and community.parent.parent_id == org.code
    return True


def check_subject(user, kind, subject_id, org, department, errors):
    """The subject is there, in the issuer's scope, and (a 居委 or a signal) in the recipient's area."""
    place = None
    if kind == "case":
        number = _number(subject_id)
        if number is None or case_for(user, number) is None:
            errors.add("subject.id", "没有这个案件，或不在本单位的范围内")
    elif kind == "community":
        found = Org.get_or_none((Org.code == subject_id) & (Org.kind == "community"))
        if found is None or not can_see_community(user, found.code):
            errors.add("subject.id", "没有这个居委，或不在本单位的范围内")
        place = found
    elif kind == "signal":
        number = _number(subject_id)
        signal = None
        if number is not None and can(user, "quality.view"):
            signal = QualitySignal.select().where((QualitySignal.id == number)
                                                  & QualitySignal.community.in_(community_codes(user))).first()
        if signal is None:
            errors.add("subject.id", "没有这个质量信号，或不在本单位的范围内")
        place = signal.community if signal is not None else None
    if kind in ("community", "signal") and "subject.id" not in errors:
        if department is not None:
            errors.add("subject.kind", "部门没有负责的居委：请督办案件或其他事项")
        elif org is not None and not _covers(org, place):
            errors.add("subject.id", f"{place.name}不在{org.name}的范围内")


def check_order(user, values):
    """(recipient org, recipient department, errors) of a well-formed order: `to` is someone the issuer may order,
    the subject exists in the issuer's scope."""
    errors = RecordErrors()
    org, department = recipient(user, values["to"])
    if org is None and department is None:
        errors.add("to", f"只能向{WHOM.get(user.role, '下级单位')}下发督办")
    subject = values["subject"]
    check_subject(user, subject["kind"], subject["id"], org, department, errors)
    return org, department, errors


# --- the steps ---------------------------------------------------------------------------------------------------


def issue(user, values, now=None):
    """Store a checked order once per client_uuid: (order, created). Raises OrderError when the recipient or the
    subject is not the issuer's to name, entries.Conflict when the uuid is stored with another body, entries.NotYours
    when another org used it. The mail goes after the commit (domain.supervision.order_mail)."""
    subject = values["subject"]
    plain = {"client_uuid": values["client_uuid"], "to": values["to"], "request": values["request"],
             "subject": {"kind": subject["kind"], "id": subject["id"]}, "due": values["due"].isoformat()}
    org = department = None
    if not SupervisionOrder.select().where(SupervisionOrder.client_uuid == values["client_uuid"]).exists():
        org, department, errors = check_order(user, values)
        if errors:
            raise OrderError(errors)

    def create(fingerprint):
        at = now or now_local()
        order = SupervisionOrder.create(
            client_uuid=values["client_uuid"], body_hash=fingerprint, issuer=user, issuer_org=user.org_id,
            to_org=org, to_department=department, subject_kind=subject["kind"], subject_id=subject["id"],
            request=values["request"], due=values["due"], status="open", created_at=at, updated_at=at)
        OrderStep.create(order=order, action="issued", user=user, at=at)
        audit(user, "order_issue", order, f"下发督办：{(org or department).name}，{subject_label(order)}，"
                                          f"期限 {order.due.isoformat()}")
        return order

    return store_once(SupervisionOrder, plain, create, mine=lambda stored: stored.issuer_org_id == user.org_id)


def _step(user, order, action, note, at):
    order.updated_at = at
    order.save()
    OrderStep.create(order=order, action=action, user=user, at=at, note=note)
    audit(user, f"order_{action}", order, f"{STEPS[action]}" + (f"：{note[:200]}" if note else ""))


def answer(user, order, response, now=None):
    """The recipient's 整改情况: the order waits for the issuer (answered). Sent again unchanged, nothing changes."""
    if not received_order(user, order) or not can(user, "orders.answer"):
        raise OrderError({"response": "只有接收督办的单位可以反馈整改情况"})
    if order.status == "closed":
        raise OrderError({"response": "这件督办已办结，不能再反馈"})
    if not response:
        raise OrderError({"response": "请填写整改情况"})
    if order.status == "answered" and order.response == response:
        return order
    with db.atomic():
        order.status, order.response = "answered", response
        _step(user, order, "answered", response, now or now_local())
    return order


def _last_note(order, action):
    step = (OrderStep.select(OrderStep.note).where((OrderStep.order == order.id) & (OrderStep.action == action))
            .order_by(OrderStep.at.desc(), OrderStep.id.desc()).first())
    return step.note if step else None


def decide(user, order, status, note="", now=None):
    """The issuer closes the order (已办结) or returns it (退回, with a reason: the recipient answers again). A
    recipient never closes its own order. The same decision sent again changes nothing."""
    if not issued_order(user, order):
        raise OrderError({"status": "只有下发督办的单位可以办结或退回"})
    if status not in DECISIONS:
        raise OrderError({"status": "请选择办结或退回"})
    if order.status == "closed":
        if status == "closed":
            return order
        raise OrderError({"status": "这件督办已办结"})
    if status == "returned":
        if not note:
            raise OrderError({"note": "退回请写明理由"})
        if order.status == "returned" and _last_note(order, "returned") == note:
            return order
        if order.status != "answered":
            raise OrderError({"status": "对方反馈整改情况后才能退回"})
    at = now or now_local()
    with db.atomic():
        order.status = status
        order.closed_at = at if status == "closed" else None
        _step(user, order, status, note, at)
    return order


def answer_step(user, order, body, now=None):
    """The recipient's form: {"response"}. Raises OrderError."""
    values, errors = ORDER_STEP.read({"response": body.get("response", "")}, now=now)
    if errors:
        raise OrderError(errors)
    return answer(user, order, values["response"], now)


def decision_step(user, order, body, now=None):
    """The issuer's form: {"status": "closed" | "returned", "note"}. Raises OrderError."""
    values, errors = ORDER_STEP.read({"status": body.get("status", ""), "note": body.get("note", "")}, now=now)
    if errors:
        raise OrderError(errors)
    return decide(user, order, values["status"], values["note"], now)


def work(user, order, body, now=None):
    """A PATCH of an order: the recipient's {"response"}, or the issuer's {"status": "closed" | "returned", "note"}.
    Raises OrderError."""
    values, errors = ORDER_STEP.read(body, now=now)
    if errors:
        raise OrderError(errors)
    if values["status"]:
        return decide(user, order, values["status"], values["note"], now)
    if values["response"] or received_order(user, order):
        return answer(user, order, values["response"], now)
    raise OrderError({"status": "请选择办结或退回"})


# --- what each side sees -----------------------------------------------------------------------------------------


def is_overdue(order, today=None):
    return order.status != "closed" and order.due < (today or today_local())


def _overdue(today):
    return (SupervisionOrder.due < today) & (SupervisionOrder.status != "closed")


Issuer, Recipient = Org.alias(), Org.alias()


def _with_names(query):
    """The orders of `query` with the issuing and receiving org or department (one query)."""
    return (query.select_extend(Issuer, Recipient, Department)
            .join(Issuer, on=(SupervisionOrder.issuer_org == Issuer.code), attr="issuer_org")
            .switch(SupervisionOrder)
            .join(Recipient, JOIN.LEFT_OUTER, on=(SupervisionOrder.to_org == Recipient.code), attr="to_org")
            .switch(SupervisionOrder)
            .join(Department, JOIN.LEFT_OUTER, on=(SupervisionOrder.to_department == Department.code),
                  attr="to_department"))


def orders_for(user, status="", overdue=False, side="", today=None):
    """A query of the orders `user` sees (issued by its org, or addressed to it), narrowed to a status (or
    `waiting`), the overdue ones, one side; overdue first, then by due date."""
    today = today or today_local()
    query = scope(user, SupervisionOrder)
    if side == "received":
        query = query.where(orders_received(user))
    elif side == "issued":
        query = query.where(orders_issued(user))
    if status == "waiting":
        query = query.where(SupervisionOrder.status.in_(WAITING))
    elif status:
        query = query.where(SupervisionOrder.status == status)
    if overdue:
        query = query.where(_overdue(today))
    rank = SqlCase(None, [(_overdue(today), 0), (SupervisionOrder.status != "closed", 1)], 2)
    return _with_names(query).order_by(rank, SupervisionOrder.due, SupervisionOrder.id)


def order_in_scope(user, order_id):
    """The order `order_id` if `user` sees it, else None."""
    return _with_names(scope(user, SupervisionOrder).where(SupervisionOrder.id == order_id)).first()


def waiting_count(user):
    """How many orders wait for the user's org (or department) to answer: the navigation's count, one COUNT on
    (to_org, status) or (to_department, status)."""
    return SupervisionOrder.select(fn.COUNT(SupervisionOrder.id)).where(
        orders_received(user) & SupervisionOrder.status.in_(WAITING)).scalar()


@dataclass
class Summary:
    waiting: int  # received, waiting for our 整改情况
    received_overdue: int
    answered: int  # issued, answered: waiting for us to close or return
    issued_overdue: int
    todo: list  # the orders that wait for us, overdue first
    today: datetime.date  # what overdue is measured against
    names: dict  # of the subjects of `todo` (subject_names)


def summary(user, today=None, shown=5):
    """The home page's 督办 block: the counts on each side (one query) and the first orders waiting for us."""
    today = today or today_local()
    received, issued = orders_received(user), orders_issued(user)

    def count(condition):
        return fn.COALESCE(fn.SUM(SqlCase(None, [(condition, 1)], 0)), 0)

    counts = (SupervisionOrder.select(
        count(received & SupervisionOrder.status.in_(WAITING)), count(received & _overdue(today)),
        count(issued & (SupervisionOrder.status == "answered")), count(issued & _overdue(today)))
        .where(received | issued).tuples().first()) or (0, 0, 0, 0)
    todo = list(orders_for(user, today=today).where(
        (received & SupervisionOrder.status.in_(WAITING)) | (issued & (SupervisionOrder.status == "answered")))
        .limit(shown))
    return Summary(*(int(c or 0) for c in counts), todo=todo, today=today, names=subject_names(todo))


# --- in words --------------------------------------------------------------------------------------------------


def recipient_name(order):
    return order.to_org.name if order.to_org_id else order.to_department.name


def recipient_code(order):
    return order.to_org_id or order.to_department_id


def subject_label(order, names=None):
    """What the order is about, in a few words. `names` (subject_names), when given, spares the queries of a list."""
    kind, key = order.subject_kind, order.subject_id
    if kind == "community":
        name = names.get(key) if names is not None else Org.select(Org.name).where(Org.code == key).scalar()
        return f"{name or key}的排摸覆盖"
    if kind == "signal":
        signal_kind = names.get(f"signal:{key}") if names is not None else \
            QualitySignal.select(QualitySignal.kind).where(QualitySignal.id == int(key)).scalar()
        return f"质量信号 #{key}" + (f"（{SIGNAL_KINDS.get(signal_kind, signal_kind)}）" if signal_kind else "")
    if kind == "case":
        return f"案件 #{key}"
    return SUBJECTS["other"]


def subject_names(orders):
    """{居委 code: name, "signal:<id>": kind} of the subjects of a list of orders, for subject_label (two queries at
    most)."""
    codes = {o.subject_id for o in orders if o.subject_kind == "community"}
    signals = {int(o.subject_id) for o in orders if o.subject_kind == "signal"}
    names = {}
    if codes:
        names.update(Org.select(Org.code, Org.name).where(Org.code.in_(codes)).tuples())
    if signals:
        names.update((f"signal:{i}", kind) for i, kind in
                     QualitySignal.select(QualitySignal.id, QualitySignal.kind).where(QualitySignal.id.in_(signals))
                     .tuples())
    return names


@dataclass
class Subject:
    """What an order is about, as one viewer sees it: `opens` when the viewer may open the thing itself."""

    kind: str
    id: str
    label: str
    detail: str = ""
    opens: bool = False


def subject_for(order, viewer):
    """The order's subject for the order's page: a case's title, a signal's 居委 and day (never the name of the
    account it is about: a signal is evidence to check, not a verdict) when the viewer may see them."""
    kind, key = order.subject_kind, order.subject_id
    subject = Subject(kind, key, subject_label(order))
    if kind == "case":
        view = case_for(viewer, int(key))
        if view is not None:
            subject.detail, subject.opens = view.title, True
    elif kind == "community":
        subject.opens = can(viewer, "survey") and can_see_community(viewer, key)
    elif kind == "signal":
        signal = QualitySignal.get_or_none(QualitySignal.id == int(key))
        if signal is not None:
            subject.detail = f"{signal.community.name} · {signal.day.isoformat()}"
            subject.opens = can(viewer, "quality.view") and can_see_community(viewer, signal.community_id)
    return subject


@dataclass
class Step:
    action: str
    label: str
    at: datetime.datetime
    by: str  # who, and for whom
    note: str


def history(order):
    """The order's steps, oldest first, each with who took it and for which org."""
    steps = (OrderStep.select(OrderStep, User).join(User, JOIN.LEFT_OUTER)
             .where(OrderStep.order == order.id).order_by(OrderStep.at, OrderStep.id))
    found = []
    for step in steps:
        side = order.issuer_org.name if step.action in ("issued", "closed", "returned") else recipient_name(order)
        who = step.user.label if step.user_id and step.user is not None else ""
        found.append(Step(step.action, STEPS.get(step.action, step.action), step.at,
                          f"{side} · {who}" if who else side, step.note))
    return found


def _moment(value):
    return value.isoformat() + "+08:00" if value else None


def order_json(order, today=None, names=None, with_history=False):
    """An order as the API shows it (design section 8)."""
    today = today or today_local()
    body = {
        "id": order.id, "client_uuid": order.client_uuid,
        "from": {"code": order.issuer_org_id, "name": order.issuer_org.name},
        "to": {"code": recipient_code(order), "name": recipient_name(order),
               "kind": order.to_org.kind if order.to_org_id else "department"},
        "subject": {"kind": order.subject_kind, "id": order.subject_id, "label": subject_label(order, names)},
        "request": order.request, "due": order.due.isoformat(), "status": order.status,
        "overdue": is_overdue(order, today), "response": order.response,
        "created_at": _moment(order.created_at), "updated_at": _moment(order.updated_at),
        "closed_at": _moment(order.closed_at), "mail_status": order.mail_status,
    }
    if with_history:
        body["history"] = [{"action": s.action, "at": _moment(s.at), "by": s.by, "note": s.note}
                           for s in history(order)]
    return body


def parse_filters(values):
    """(status, overdue, side, errors) of a list's query string. A value the list does not know is refused rather
    than ignored, so that a typo in a script is not read as "all orders"."""
    errors = {}
    status, overdue, side = values.get("status", ""), values.get("overdue", ""), values.get("side", "")
    if status not in ("", *STATUS_FILTERS):
        errors["status"] = f"取值不正确，应为 {'、'.join(STATUS_FILTERS)} 之一"
    if overdue not in ("", "0", "1"):
        errors["overdue"] = "应为 1 或 0"
    if side not in ("", *SIDES):
        errors["side"] = f"取值不正确，应为 {'、'.join(SIDES)} 之一"
    return status, overdue == "1", side, errors
