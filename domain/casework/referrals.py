"""A referral's life (design sections 4 and 9): handed to a department, accepted, worked, ended or returned.

Each step is a CaseEvent carrying its referral, its time and, for 已查处, whether a case was opened (立案)
and the fine (罚没款); so the state of every referral on any day D is the latest of its steps up to the end
of D, which is what the tables and the problem list read ("as of D").
"""
from dataclasses import dataclass

from domain.common.clock import end_of_day, now_local
from domain.common.fields import Code, Money, Note, Shape, YesNo
from domain.common.money import to_fen
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


def states(as_of, anchors=None):
    """Every referral made by the end of day `as_of` (of the cases anchored on `anchors`, when given), at its latest
    step by then (two queries, or two per 500 anchors)."""
    if anchors is not None:
        found = []
        for start in range(0, len(anchors), 500):
            found += _states(as_of, Case.anchor.in_(anchors[start:start + 500]))
        return sorted(found, key=lambda s: s.id)
    return _states(as_of, None)


def _states(as_of, where):
    eod = end_of_day(as_of)
    query = (Referral.select(Referral.id, Referral.case, Case.anchor, Referral.department, Department.name,
                             Referral.lead, Referral.due, Referral.referred_at)
             .join(Case).switch(Referral).join(Department)
             .where(Referral.referred_at < eod).order_by(Referral.id))
    if where is not None:
        query = query.where(where)
    rows = list(query.tuples())
    latest = {}
    steps = (CaseEvent.select(CaseEvent.referral, CaseEvent.action, CaseEvent.case_opened, CaseEvent.fine_fen)
             .where(CaseEvent.referral.is_null(False) & (CaseEvent.at < eod)
                    & CaseEvent.action.in_(tuple(REFERRAL_STATUSES)))
             .order_by(CaseEvent.at, CaseEvent.id))
    if where is not None:
        steps = steps.where(CaseEvent.referral.in_([row[0] for row in rows] or [0]))
    for referral, action, opened, fine in steps.tuples():
        latest[referral] = (action, opened, fine)
    found = []
    for rid, case_id, anchor, department, name, lead, due, referred_at in rows:
        status, opened, fine = latest.get(rid, ("referred", False, 0))
        found.append(ReferralState(rid, case_id, anchor, department, name, lead, status, opened, fine, due,
                                   referred_at))
    return found


def next_steps(referral):
    return NEXT_STEPS.get(referral.status, ())


def reason_when_needed(step, errors, context):
    if step["status"] in NEEDS_REASON and not step["note"]:
        errors.add("note", "请写明理由" if step["status"] == "returned" else "请写明不属实的理由")


def figures_only_when_penalised(step, errors, context):
    if step["status"] != "penalised" and (step["case_opened"] or step["fine"]):
        errors.add("fine" if step["fine"] else "case_opened", "立案和罚没款只在「已查处」时填写")


REFERRAL_STEP = Shape("ReferralStepInput", {
    "status": Code(STEP_LABELS, "处理结果"),
    "note": Note("说明", MAX_NOTE, description="required for `unfounded` and `returned`"),
    "case_opened": YesNo("是否立案", description="only with `penalised`"),
    "fine": Money(description="only with `penalised`"),
}, checks=[reason_when_needed, figures_only_when_penalised])


def parse_step(values):
    """(status, note, case_opened, fine_fen) from a department's form or PATCH body; ReferralError if wrong."""
    step, errors = REFERRAL_STEP.read(values)
    if errors:
        raise ReferralError(dict(errors))
    return step["status"], step["note"], step["case_opened"], to_fen(step["fine"])


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
