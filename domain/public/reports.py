"""Residents' reports (线索): checking the public form, storing a report with its photos, report numbers,
red flags from what the resident ticked, and the triage workflow (design sections 2, 5 and 7).

A new report reaches no department before a person looks at it: it lands as 新线索 (`new`) in the queue of
its 居委 (or of the street, or the district, when the resident could not say where), and only a staff
member in scope moves it on: new → checking → confirmed / unfounded; referring its case to a department
(domain.casework.cases) makes it referred. Each change is a ReportEvent with who and when, and an audit entry.
"""
import datetime
import secrets

from peewee import IntegrityError

from domain.casework import mentions
from domain.casework.cases import referral_step_of, reports_referred_to
from domain.common.clock import now_local
from domain.common.fields import RecordErrors, parse_date, parse_money
from domain.common.money import to_fen
from domain.common.normalise import institution_key, phone_digits
from domain.org.permissions import can, scope, works_for_department
from domain.public import uploads
from domain.public.posters import CODE_ALPHABET
from domain.survey import flags as red_flags
from domain.survey.store import is_approved_name
from models import REPORT_STATUSES, Org, Report, ReportEvent, ReportPhoto, audit, db

# What happened, as the public form's checkboxes (in this order). The first four are the plan's rules and
# give the red flag of the same meaning; 假冒伪劣产品 and 其他 give none by themselves.
KINDS = {
    "sells_products": "推销产品",
    "door_to_door_fee": "上门收费",
    "engineering": "接洽消防工程",
    "impersonation": "冒充消防员或政府人员",
    "counterfeit": "假冒伪劣产品",
    "other": "其他",
}
KIND_FLAGS = {"sells_products": "sells_products", "door_to_door_fee": "door_to_door_fee",
              "engineering": "engineering", "impersonation": "impersonation"}

# Who may move a report from which status to which (refer() makes `referred`).
TRANSITIONS = {
    "new": ("checking", "unfounded"),
    "checking": ("confirmed", "unfounded"),
    "confirmed": ("checking",),
    "unfounded": ("checking",),
    "referred": (),
}
TRANSITION_LABELS = {"checking": "开始核查", "confirmed": "核实属实", "unfounded": "不属实", "referred": "移交部门"}

# What a resident reads on /r/status, per status: the step in plain words, then what happens next. Never a
# staff note or a department's remark. A later step (a department's outcome such as 已查处) is one more entry.
PUBLIC_STEPS = {
    "new": ("已收到，等待工作人员查看", "工作人员会尽快查看您的举报，并安排核查。"),
    "checking": ("工作人员正在核查", "核查后，属实的会交给公安、市场监管、消防等部门依法处理。"),
    "confirmed": ("经核查，情况属实", "将移交有关部门（公安、市场监管、消防等）依法处理。"),
    "unfounded": ("经核查，没有发现问题", "这条举报已处理完毕。如有新的情况，欢迎再次举报。"),
    "referred": ("已移交有关部门处理", "由有关部门依法调查处理。感谢您的举报。"),
    # Once referred, the step of the case's lead department (domain.casework.cases.referral_step_of), in plain words:
    # never which department, never its notes.
    "referral.accepted": ("有关部门已接收", "有关部门正在安排核查，请耐心等待。"),
    "referral.investigating": ("有关部门正在核查", "核查结束后，这里会显示处理结果。"),
    "referral.penalised": ("有关部门已依法查处", "感谢您的举报。"),
    "referral.to_police": ("已移送公安机关处理", "感谢您的举报。"),
    "referral.unfounded": ("经有关部门核查，未发现所举报的问题", "如有新的情况，欢迎再次举报。"),
    "referral.returned": ("正在重新安排处理部门", "街镇会重新移交，请耐心等待。"),
}
STEP_STATUS = {"referral.penalised": "已查处", "referral.to_police": "已移送公安", "referral.unfounded": "已核查"}

# The public form's fields in the order shown. 长辈模式 shows what is essential first (what happened, the
# description, photos, then 提交) and folds the rest below (issue 12).
FORM_FIELDS = ("kinds", "description", "institution", "institution_phone", "happened_on", "area", "place", "amount",
               "photos", "contact")
ESSENTIAL_FIELDS = ("kinds", "description", "photos")

NUMBER_LENGTH = 6
MAX_DESCRIPTION = 2000
LIMITS = {"institution": 200, "institution_phone": 40, "place": 200, "contact": 100}


# --- the public form -------------------------------------------------------------------------------------

def parse_report(form, today=None):
    """(values, errors) from the public report form (a MultiDict or a dict with list values for kinds)."""
    today = today or now_local().date()
    errors = RecordErrors()
    getlist = form.getlist if hasattr(form, "getlist") else (lambda name: form.get(name) or [])
    kinds = [k for k in KINDS if k in getlist("kinds")]
    if any(k not in KINDS for k in getlist("kinds")):
        errors.add("kinds", "请从列出的情况中选择")
    values = {"kinds": kinds}
    description = (form.get("description") or "").strip()
    if not description:
        errors.add("description", "请简单描述发生了什么")
    elif len(description) > MAX_DESCRIPTION:
        errors.add("description", f"情况描述最多 {MAX_DESCRIPTION} 字")
    values["description"] = description
    for name, limit in LIMITS.items():
        text = " ".join((form.get(name) or "").split())
        if len(text) > limit:
            errors.add(name, f"最多 {limit} 个字")
        values[name] = text
    values["happened_on"] = _parse_day(form.get("happened_on"), today, errors)
    values["amount"] = parse_money(form.get("amount"), "amount", errors)
    return values, errors


def form_layout(large, with_area=True):
    """(fields shown first, fields folded below) of the public report form; `area` only on /r (a poster knows
    its place)."""
    fields = tuple(f for f in FORM_FIELDS if with_area or f != "area")
    if not large:
        return fields, ()
    return (tuple(f for f in fields if f in ESSENTIAL_FIELDS),
            tuple(f for f in fields if f not in ESSENTIAL_FIELDS))


def first_error(fields, errors):
    """The first field in error in the order shown: it gets the focus."""
    return next((name for name in fields if errors.get(name)), None)


def _parse_day(text, today, errors):
    """The day it happened: a day (survey_record.parse_date), and not so long ago that it is a typing slip."""
    day = parse_date(text.strip() if isinstance(text, str) else text, "happened_on", errors, "日期", today)
    if day is not None and day < today - datetime.timedelta(days=3 * 365):
        errors.add("happened_on", "日期太早，请核对")
    return day


def report_flags(kinds, institution, approved=is_approved_name):
    """The red flags of a report: those its ticked kinds name, plus `unapproved` for a name not on the list."""
    found = {KIND_FLAGS[k] for k in kinds if k in KIND_FLAGS}
    if institution and not approved(institution):
        found.add("unapproved")
    return [code for code in red_flags.FLAGS if code in found]


def new_number(on):
    """编号 such as 230320-K7QX3M: the day it came in, then random symbols nobody can guess."""
    return on.strftime("%y%m%d") + "-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(NUMBER_LENGTH))


def normalise_number(text):
    text = "".join((text or "").split()).upper().replace("－", "-").replace("—", "-")
    if len(text) == 6 + 1 + NUMBER_LENGTH - 1 and "-" not in text:  # typed without the dash
        text = text[:6] + "-" + text[6:]
    return text


def create_report(values, poster=None, community=None, street=None, photos=(), district=None):
    """Store a report (status new) with its already-cleaned photos [(filename, width, height)], in the queue of its
    居委, else its street, else its district (the deployment's only one when none was picked)."""
    if poster is not None:
        community = poster.community
    if community is not None:
        street = community.parent
    if street is not None:
        district = street.parent
    district = district or only_district()
    flags = report_flags(values["kinds"], values["institution"])
    received = now_local()
    for _ in range(10):
        try:
            with db.atomic():
                report = Report.create(
                    number=new_number(received), poster=poster, community=community, street=street, district=district,
                    kinds=" ".join(values["kinds"]), description=values["description"],
                    institution=values["institution"], institution_key=institution_key(values["institution"]),
                    institution_phone=values["institution_phone"],
                    phone_digits=phone_digits(values["institution_phone"]),
                    happened_on=values["happened_on"], place=values["place"],
                    amount_fen=to_fen(values["amount"]), contact=values["contact"], status="new",
                    flags=" ".join(flags), suspect=red_flags.is_suspect(flags),
                    created_at=received, updated_at=received)
                for filename, width, height in photos:
                    ReportPhoto.create(report=report, filename=filename, width=width, height=height)
                ReportEvent.create(report=report, status="new", user=None, at=received, note="群众提交")
                mentions.report_changed(report, new=True)
        except IntegrityError:
            continue  # the same number drawn twice: draw again
        audit(None, "create", report, f"poster={poster.code if poster else ''}")
        return report
    raise RuntimeError("could not draw a free report number")


def submit_report(values, cleaned_photos, upload_dir, poster=None, community=None, street=None, district=None):
    """Save the cleaned photos under random names, then the report; no stray files if the report fails."""
    saved = [(uploads.save_photo(upload_dir, jpeg), width, height) for jpeg, width, height in cleaned_photos]
    try:
        return create_report(values, poster, community, street, saved, district)
    except Exception:
        for filename, _, _ in saved:
            uploads.remove_photo(upload_dir, filename)
        raise


def where_from_choice(choice):
    """(community, street, district) from the general page's place choice: "c:<居委 code>", "s:<街镇 code>",
    "d:<区 code>" (a city deployment) or ""."""
    kind, _, code = (choice or "").partition(":")
    org = Org.get_or_none(Org.code == code) if code else None
    if kind == "c" and org is not None and org.kind == "community":
        return org, org.parent, None
    if kind == "s" and org is not None and org.kind == "street":
        return None, org, None
    if kind == "d" and org is not None and org.kind == "district":
        return None, None, org
    return None, None, None


def only_district():
    """The district of a deployment of one district (None in a city's: a report there names its district)."""
    districts = list(Org.select().where(Org.kind == "district").limit(2))
    return districts[0] if len(districts) == 1 else None


def report_by_number(text):
    return Report.get_or_none(Report.number == normalise_number(text))


def public_progress(number, status, received_at, photos=0):
    """What /r/status shows of a report: its 编号, the day it came in, its step and what happens next, and how
    many photos arrived; never what it says or who sent it."""
    step, then = PUBLIC_STEPS[status]
    label = STEP_STATUS.get(status) or REPORT_STATUSES.get(status) or REPORT_STATUSES["referred"]
    return {"number": number, "received_on": received_at.date(), "status": label, "step": step, "next": then,
            "photos": photos}


def progress_of(report):
    status = report.status
    if status == "referred":
        step = referral_step_of(report)
        status = f"referral.{step}" if step and step != "referred" else status
    return public_progress(report.number, status, report.created_at, report.photos.count())


# --- triage ---------------------------------------------------------------------------------------------

class TriageError(ValueError):
    pass


def reports_in_scope(user):
    """The reports a user may see: those placed in its places (domain.org.permissions.scope), and for a department
    those among the mentions of the cases referred to it."""
    if works_for_department(user):
        return Report.select().where(Report.id.in_(reports_referred_to(user.department_id) or [0]))
    return scope(user, Report)


def can_triage(user):
    return can(user, "reports.triage")


def queue(user, status="", community=""):
    query = reports_in_scope(user)
    if status in REPORT_STATUSES:
        query = query.where(Report.status == status)
    if community == "none":
        query = query.where(Report.community.is_null())
    elif community:
        query = query.where(Report.community == community)
    return query.order_by(Report.created_at.desc(), Report.id.desc())


def change_status(user, report, status, note=""):
    if not can_triage(user):
        raise TriageError("部门用户不能改变线索状态")
    if status not in TRANSITIONS.get(report.status, ()):
        raise TriageError(f"不能从「{REPORT_STATUSES[report.status]}」改为「{REPORT_STATUSES.get(status, status)}」")
    return _set_status(user, report, status, note)


def _set_status(user, report, status, note):
    at = now_local()
    with db.atomic():
        Report.update(status=status, updated_at=at).where(Report.id == report.id).execute()
        ReportEvent.create(report=report, status=status, user=user, at=at, note=(note or "").strip()[:500])
        mentions.report_changed(report)
    audit(user, "status", report, f"{report.status}→{status}")
    report.status, report.updated_at = status, at
    return report


def history(report):
    return list(report.events.order_by(ReportEvent.at, ReportEvent.id))


def place_label(report):
    """Where a report is located, in words: 居委, else 街镇, else 未指明."""
    if report.community_id:
        return report.community.name
    if report.street_id:
        return f"{report.street.name}（未指明居委）"
    if report.district_id and not only_district():
        return f"{report.district.name}（未指明街镇）"
    return "未指明地点（区级）"


def street_choices():
    """The places the general report page offers: [(group, [(value, label), …])]. A district's streets with their
    居委; in a city deployment, each district with its streets only (a list of every 居委 of a city would not load
    on a weak signal)."""
    if only_district() is None and Org.select().where(Org.kind == "district").exists():
        streets = {}
        for street in Org.select().where(Org.kind == "street").order_by(Org.code):
            streets.setdefault(street.parent_id, []).append((f"s:{street.code}", street.name))
        return [(district.name, [(f"d:{district.code}", f"{district.name}（不清楚哪个街镇）")]
                 + streets.get(district.code, []))
                for district in Org.select().where(Org.kind == "district").order_by(Org.code)]
    communities = {}
    for community in Org.select().where(Org.kind == "community").order_by(Org.code):
        communities.setdefault(community.parent_id, []).append((f"c:{community.code}", community.name))
    return [(street.name, [(f"s:{street.code}", f"{street.name}（不清楚哪个居委）")] + communities.get(street.code, []))
            for street in Org.select().where(Org.kind == "street").order_by(Org.code)]
