"""Cases to closure (design section 9; issue 9): the list of cases in one's scope, a case with its mentions,
evidence and history (问题台账), the plan's proposed departments and the referral, a department's steps, 重要,
a 居委's escalation, the district's 曝光; and the same as JSON under /api/v1/ (docs/api.md)."""
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from blueprints.errors import error_response
from blueprints.guard import public, requires
from domain.casework import cases, referrals
from domain.common.clock import today_local
from domain.org.permissions import can, street_codes
from domain.public import uploads
from models import REFERRAL_STATUSES, CaseFile, Department, Org, Referral, ReportPhoto
from templating import PAGE_SIZE, Page, page_number, render

bp = Blueprint("cases", __name__)


def case_or_404(case_id):
    view = cases.case_for(current_user, case_id)
    if view is None:
        abort(404)
    return view


def referral_or_404(referral_id):
    referral = cases.referrals_in_scope(current_user).where(Referral.id == referral_id).first()
    if referral is None:
        abort(404)
    return referral


def chosen_filters(values):
    return {"status": values.get("status", ""), "street": values.get("street", ""), "kind": values.get("kind", ""),
            "important": values.get("important") == "1", "overdue": values.get("overdue") == "1",
            "escalated": values.get("escalated") == "1"}


SWITCHES = ("important", "overdue", "escalated")


def api_filters(values):
    """The API's filters, checked: (filters, errors). A code the list does not know is refused rather than
    ignored, so a typo in a script is not read as "all cases"."""
    errors = {}
    for name, known in (("status", cases.STATUSES), ("kind", cases.KINDS)):
        if values.get(name, "") not in ("", *known):
            errors[name] = f"取值不正确，应为 {'、'.join(known)} 之一"
    for name in SWITCHES:
        if values.get(name, "") not in ("", "0", "1"):
            errors[name] = "应为 1 或 0"
    return chosen_filters(values), errors


def due_days():
    return current_app.config["REFERRAL_DUE_WORKING_DAYS"]


# --- pages ------------------------------------------------------------------------------------------------


@bp.get("/cases/")
@requires("cases.view")
def index():
    filters = chosen_filters(request.args)
    found, number, total = cases.listed(current_user, filters, page_number())
    shown = Page(found, number, max(1, -(-total // PAGE_SIZE)), total)
    streets = Org.select().where(Org.code.in_(street_codes(current_user))).order_by(Org.code)
    return render("cases/index.html", "cases/_rows.html", cases=shown.items, shown=shown, filters=filters,
                  streets=list(streets), today=today_local())


def render_detail(view, errors=None, status=200, values=None):
    proposed = cases.proposals(view, current_user) if can(current_user, "cases.refer") else []
    mine = [r for r in view.referrals if r.department_id == current_user.department_id]
    return render_template(
        "cases/detail.html", case=view, proposed=proposed, history=cases.history(view), mine=mine,
        departments=cases.referable_departments(current_user), errors=errors or {}, values=values or {},
        default_due=cases.working_days_after(today_local(), due_days()), today=today_local(),
        draft=cases.draft_publication(view) if view.penalised else "", next_steps=referrals.next_steps,
        step_labels=referrals.STEP_LABELS, files=_files(view), photos=_report_photos(view)), status


def _report_photos(view):
    """{report id: [photo]} of the case's reports: the residents' evidence, shown with their mentions."""
    found = {}
    for photo in ReportPhoto.select().where(ReportPhoto.report.in_([m.id for m in view.group.reports] or [0])):
        found.setdefault(photo.report_id, []).append(photo)
    return found


def _files(view):
    events = [e.id for r in view.referrals for e in r.events]
    return {f.event_id: f for f in CaseFile.select().where(CaseFile.event.in_(events or [0]))}


@bp.get("/cases/<int:case_id>")
@requires("cases.view")
def detail(case_id):
    view = case_or_404(case_id)
    if view.id != case_id:  # a row of a case now known by another (merged institutions): one address per case
        return redirect(url_for("cases.detail", case_id=view.id), 301)
    return render_detail(view)


@bp.post("/cases/<int:case_id>/referrals")
@requires("cases.refer")
def refer(case_id):
    view = case_or_404(case_id)
    values = {"departments": request.form.getlist("departments"), "lead": request.form.get("lead", ""),
              "due": request.form.get("due", ""), "note": request.form.get("note", "")}
    try:
        chosen, lead, due, note = cases.parse_referral(values, view, current_user, due_days=due_days())
    except cases.CaseError as exc:
        return render_detail(view, exc.errors, 422, values)
    cases.refer(current_user, view, chosen, lead, due, note)
    flash("已移交：" + "、".join(d.name for d in Department.select().where(Department.code.in_(chosen))))
    return redirect(url_for("cases.detail", case_id=view.id), 303)


@bp.post("/cases/<int:case_id>/important")
@requires("cases.mark_important")
def important(case_id):
    view = case_or_404(case_id)
    cases.set_important(current_user, view, request.form.get("important") == "1")
    flash("已标为重要，区里会即时看到" if request.form.get("important") == "1" else "已取消重要标记")
    return redirect(url_for("cases.detail", case_id=view.id), 303)


@bp.post("/cases/<int:case_id>/escalate")
@requires("cases.escalate")
def escalate(case_id):
    view = case_or_404(case_id)
    try:
        cases.escalate(current_user, view, request.form.get("note", ""))
    except cases.CaseError as exc:
        return render_detail(view, exc.errors, 422)
    flash("已上报街镇")
    return redirect(url_for("cases.detail", case_id=view.id), 303)


@bp.post("/cases/<int:case_id>/publish")
@requires("cases.publish")
def publish(case_id):
    view = case_or_404(case_id)
    try:
        cases.publish(current_user, view, request.form.get("text", ""))
    except cases.CaseError as exc:
        return render_detail(view, exc.errors, 422, {"text": request.form.get("text", "")})
    flash("已在曝光台公开")
    return redirect(url_for("cases.detail", case_id=view.id), 303)


@bp.post("/cases/<int:case_id>/unpublish")
@requires("cases.publish")
def unpublish(case_id):
    view = case_or_404(case_id)
    cases.unpublish(current_user, view)
    flash("已从曝光台撤下")
    return redirect(url_for("cases.detail", case_id=view.id), 303)


@bp.post("/cases/referrals/<int:referral_id>")
@requires("referrals.work")
def work(referral_id):
    referral = referral_or_404(referral_id)
    view = case_or_404(referral.case_id)
    values = request.form.to_dict()
    try:
        photos = uploads.clean_photos(f.read(uploads.MAX_PHOTO_BYTES + 1) for f in request.files.getlist("photos"))
    except uploads.PhotoError as exc:
        return render_detail(view, {"photos": str(exc)}, 422, values)
    saved = [(uploads.save_photo(current_app.config["UPLOAD_DIR"], jpeg), w, h) for jpeg, w, h in photos]
    try:
        cases.work(current_user, referral, values, saved)
    except referrals.ReferralError as exc:
        for filename, _, _ in saved:
            uploads.remove_photo(current_app.config["UPLOAD_DIR"], filename)
        return render_detail(view, exc.errors, 422, values)
    flash(f"已记录：{REFERRAL_STATUSES[referral.status]}")
    return redirect(url_for("cases.detail", case_id=view.id), 303)


@bp.get("/cases/files/<int:file_id>.jpg")
@requires("cases.view")
def case_file(file_id):
    found = CaseFile.get_or_none(CaseFile.id == file_id)
    if found is None:
        abort(404)
    referral = referral_or_404(found.event.referral_id) if found.event.referral_id else abort(404)
    case_or_404(referral.case_id)
    try:
        response = send_file(uploads.photo_path(current_app.config["UPLOAD_DIR"], found.filename),
                             mimetype="image/jpeg", max_age=0)
    except (uploads.PhotoError, FileNotFoundError):
        abort(404)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- API (design section 8) --------------------------------------------------------------------------------


@bp.get("/api/v1/cases")
@requires("cases.view")
def api_cases():
    filters, errors = api_filters(request.args)
    if errors:
        return error_response(422, "筛选条件有误", code="invalid", errors=errors)
    found = cases.filter_cases(cases.cases_for(current_user), **filters)
    return jsonify({"cases": [view.as_json(with_mentions=False) for view in found]})


@bp.get("/api/v1/cases/<int:case_id>")
@requires("cases.view")
def api_case(case_id):
    view = case_or_404(case_id)
    proposed = cases.proposals(view, current_user) if can(current_user, "cases.refer") else []
    return jsonify(view.as_json(proposed=proposed, masked=not can(current_user, "addresses.view")))


@bp.post("/api/v1/cases/<int:case_id>/referrals")
@requires("cases.refer")
def api_refer(case_id):
    view = case_or_404(case_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(422, "请求内容应为 JSON 对象", code="invalid", errors={"body": "请求内容应为 JSON 对象"})
    try:
        chosen, lead, due, note = cases.parse_referral(body, view, current_user, due_days=due_days())
    except cases.CaseError as exc:
        return error_response(422, str(exc), code="invalid", errors=exc.errors)
    cases.refer(current_user, view, chosen, lead, due, note)
    return jsonify(cases.case_for(current_user, view.id).as_json(proposed=cases.proposals(view, current_user))), 201


@bp.patch("/api/v1/referrals/<int:referral_id>")
@requires("referrals.work")
def api_work(referral_id):
    referral = referral_or_404(referral_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(422, "请求内容应为 JSON 对象", code="invalid", errors={"body": "请求内容应为 JSON 对象"})
    try:
        cases.work(current_user, referral, body)
    except referrals.ReferralError as exc:
        return error_response(422, str(exc), code="invalid", errors=exc.errors)
    referral = Referral.get_by_id(referral.id)
    referral.events = list(referral.events)
    return jsonify(cases.referral_json(referral))


# --- the public 曝光 page -------------------------------------------------------------------------------------


@bp.get("/exposed")
@public
def exposed():
    """Cases the district published after they ended 已查处: the institution and the outcome, in the district's
    words; never a resident's data."""
    return render_template("cases/exposed.html", published=cases.published_cases())
