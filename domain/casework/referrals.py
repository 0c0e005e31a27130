"""A referral's life (design sections 4 and 9): handed to a department, accepted, worked, ended or returned.

Each step is a CaseEvent carrying its referral, its time and, for 已查处, whether a case was opened (立案)
and the fine (罚没款); so the state of every referral on any day D is the latest of its steps up to the end
of D, which is what the tables and the problem list read ("as of D").
"""
from dataclasses import dataclass

from domain.common.clock import end_of_day, now_local
from domain.common.money import to_fen
from domain.survey.record import RecordErrors, parse_bool, parse_money
from models import REFERRAL_ENDED, REFERRAL_STATUSES, Case, CaseEvent, CaseFile, Department, Referral, audit, db

OPEN = ("referred", "accepted", "investigating")
# What a department may do next, from each step (the last four end a referral).
NEXT_STEPS = {
    "referred": ("accepted", "returned"),
    "accepted": ("investigating", "penalised", "to_police", "unfounded", "returned"),
    "investigating": ("penalised", "to_police", "unfounded", "returned"),
}
STEP_LABELS = {"accepted": "接收", "investigating": "开始核查", "penalised": "已查处", "to_police": "移送公安",
               "unfounded": "不属实", "returned": "退回"}
NEEDS_REASON = ("unfounded", "returned")
MAX_NOTE = 1000


class ReferralError(ValueError):
    def __init__(self, errors):
        super().__init__("；".join(errors.values()))
        self.errors = errors


@dataclass
class ReferralState:
    """A referral as it stood at the end of a day."""

    id: int
    case_id: int
    anchor: str
    department: str
    department_name: str
    lead: bool
    status: str
    case_opened: bool
    fine_fen: int
    due: object
    referred_at: object

    @property
    def ended(self):
        return self.status in REFERRAL_ENDED

    def overdue(self, today):
        return not self.ended and self.due is not None and self.due < today


def states(as_of):
    """Every referral made by the end of day `as_of`, at its latest step by then (two queries)."""
    eod = end_of_day(as_of)
    rows = list(Referral.select(Referral.id, Referral.case, Case.anchor, Referral.department, Department.name,
                                Referral.lead, Referral.due, Referral.referred_at)
                .join(Case).switch(Referral).join(Department)
                .where(Referral.referred_at < eod).order_by(Referral.id).tuples())
    latest = {}
    for referral, action, opened, fine in (CaseEvent.select(CaseEvent.referral, CaseEvent.action, CaseEvent.case_opened,
                                                            CaseEvent.fine_fen)
                                           .where(CaseEvent.referral.is_null(False) & (CaseEvent.at < eod)
                                                  & CaseEvent.action.in_(tuple(REFERRAL_STATUSES)))
                                           .order_by(CaseEvent.at, CaseEvent.id).tuples()):
        latest[referral] = (action, opened, fine)
    found = []
    for rid, case_id, anchor, department, name, lead, due, referred_at in rows:
        status, opened, fine = latest.get(rid, ("referred", False, 0))
        found.append(ReferralState(rid, case_id, anchor, department, name, lead, status, opened, fine, due,
                                   referred_at))
    return found


def next_steps(referral):
    return NEXT_STEPS.get(referral.status, ())


def parse_step(values):
    """(status, note, case_opened, fine_fen) from a department's form or PATCH body; ReferralError if wrong."""
    errors = RecordErrors()
    status = values.get("status")
    if not isinstance(status, str) or status not in STEP_LABELS:  # a JSON object here was a 500 (Schemathesis)
        errors.add("status", "请选择处理结果")
    note = values.get("note")
    if note is not None and not isinstance(note, str):
        errors.add("note", "说明应为文字")
    note = " ".join(note.split()) if isinstance(note, str) else ""
    if len(note) > MAX_NOTE:
        errors.add("note", f"说明最多 {MAX_NOTE} 字")
    if status in NEEDS_REASON and not note:
        errors.add("note", "请写明理由" if status == "returned" else "请写明不属实的理由")
    opened = parse_bool(values.get("case_opened"), "case_opened", errors, "是否立案")
    fine = parse_money(values.get("fine"), "fine", errors)
    if status != "penalised" and (opened or fine):
        errors.add("fine" if fine else "case_opened", "立案和罚没款只在「已查处」时填写")
    if errors:
        raise ReferralError(dict(errors))
    return status, note, opened, to_fen(fine)


def advance(user, referral, status, note="", case_opened=False, fine_fen=0, photos=()):
    """Record a department's step on its referral; `photos` are cleaned files [(filename, width, height)]."""
    if status not in next_steps(referral):
        raise ReferralError({"status": f"「{REFERRAL_STATUSES[referral.status]}」之后不能「{STEP_LABELS.get(status, status)}」"})
    at = now_local()
    with db.atomic():
        Referral.update(status=status, updated_at=at, case_opened=case_opened, fine_fen=fine_fen) \
            .where(Referral.id == referral.id).execute()
        event = CaseEvent.create(case=referral.case_id, referral=referral, action=status, user=user, at=at,
                                 note=note, case_opened=case_opened, fine_fen=fine_fen)
        for filename, width, height in photos:
            CaseFile.create(event=event, filename=filename, width=width, height=height)
    audit(user, status, referral, note[:200])
    referral.status, referral.updated_at, referral.case_opened, referral.fine_fen = status, at, case_opened, fine_fen
    return event
