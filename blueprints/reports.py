"""Triage of residents' reports (线索) at /reports/: the queue with filters, a report with its flags and photos, status
changes with who and when, and the case it belongs to (referral happens there, blueprints/cases.py). Staff see
the reports of their 居委/street/district; a department sees those of the cases referred to it. Outside scope
everything is 404, photos included."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from blueprints.guard import requires
from domain.casework import cases
from domain.org.permissions import community_codes
from domain.public import reports, uploads
from models import REPORT_STATUSES, Org, Report, ReportPhoto, audit
from templating import is_htmx, paginate_query, render

bp = Blueprint("reports", __name__, url_prefix="/reports", cli_group=None)  # its commands are top-level


def report_or_404(number):
    report = reports.reports_in_scope(current_user).where(Report.number == number).first()
    if report is None:
        abort(404)
    return report


def scope_communities():
    return Org.select().where((Org.kind == "community") & Org.code.in_(community_codes(current_user))).order_by(Org.code)


@bp.get("/")
@requires("reports.triage")
def index():
    status, community = request.args.get("status", ""), request.args.get("community", "")
    shown = paginate_query(reports.queue(current_user, status, community))
    return render("reports/index.html", "reports/_rows.html", reports=shown.items, shown=shown,
                  chosen_status=status, community=community,
                  communities=scope_communities(), statuses=REPORT_STATUSES, place_label=reports.place_label)


def _detail_context(report):
    return dict(history=reports.history(report), photos=list(report.photos),
                case=cases.case_of_report(current_user, report),
                next_statuses=reports.TRANSITIONS.get(report.status, ()) if reports.can_triage(current_user) else (),
                labels=reports.TRANSITION_LABELS, statuses=REPORT_STATUSES, kinds=reports.KINDS,
                place_label=reports.place_label(report))


def render_detail(report, error=None, status=200):
    return render_template("reports/detail.html", report=report, revealed=False, error=error,
                           **_detail_context(report)), status


@bp.get("/<number>")
@requires("cases.view")
def detail(number):
    return render_detail(report_or_404(number))


@bp.post("/<number>/status")
@requires("reports.triage")
def change_status(number):
    report = report_or_404(number)
    try:
        reports.change_status(current_user, report, request.form.get("status", ""), request.form.get("note", ""))
    except reports.TriageError as exc:
        return render_detail(report, str(exc), 422)
    flash(f"线索 {report.number}：{REPORT_STATUSES[report.status]}")
    return redirect(url_for("reports.detail", number=report.number), 303)


@bp.post("/<number>/contact")
@requires("contacts.view")
def contact(number):
    """Show a reporter's full contact to someone who needs it, and write down that they looked."""
    report = report_or_404(number)
    audit(current_user, "view_contact", report)
    return render("reports/detail.html", "reports/_contact.html", report=report, revealed=True,
                  **({} if is_htmx() else _detail_context(report)))


@bp.get("/<number>/photos/<int:photo_id>.jpg")
@requires("cases.view")
def photo(number, photo_id):
    report = report_or_404(number)
    found = ReportPhoto.get_or_none((ReportPhoto.id == photo_id) & (ReportPhoto.report == report))
    if found is None:
        abort(404)
    try:
        path = uploads.photo_path(current_app.config["UPLOAD_DIR"], found.filename)
        response = send_file(path, mimetype="image/jpeg", max_age=0)
    except (uploads.PhotoError, FileNotFoundError):
        abort(404)
    response.headers["Cache-Control"] = "private, no-store"
    return response
