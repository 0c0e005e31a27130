"""报送: a street or department freezes its tables as of a day (and they are mailed when a mailbox is
configured); everyone reads back exactly what was sent; the district sees per deadline who has submitted and
what changed (design sections 8 and 10)."""
import io
import uuid

from flask import Blueprint, abort, current_app, redirect, request, send_file, url_for
from flask_login import current_user

from blueprints.errors import error_response
from blueprints.guard import requires
from blueprints.tables import XLSX, json_answer
from domain.common.clock import today_local
from domain.org.permissions import district_codes, own_scope, scope, sees_whole_city
from domain.reporting import submissions
from domain.reporting.campaign import calendar, current_campaign
from domain.reporting.entries import Conflict, NotYours
from domain.reporting.mail import send_submission
from models import MAIL_STATUSES, Org, Submission, audit
from templating import render

bp = Blueprint("submissions", __name__)


def _submit(body):
    """(status, submission or None, errors); mails the workbook after the commit when it is new."""
    as_of, client_uuid, errors = submissions.parse_submission(body)
    if errors:
        return 422, None, errors
    mine = own_scope(current_user)
    try:
        submission, created = submissions.submit(current_user, mine, as_of, client_uuid)
    except NotYours:
        return 422, None, {"client_uuid": "这个编号已被其他单位使用"}
    except Conflict as exc:
        return 409, exc.stored, {}
    if created:
        send_submission(submission, mine.name, current_app.config)
    return (201 if created else 200), submission, {}


def submission_or_404(submission_id):
    return scope(current_user, Submission).where(Submission.id == submission_id).first() or abort(404)


def _summary(submission):
    return {"id": submission.id, "org": submission.org_code, "org_name": submissions.org_name(submission),
            "as_of": submission.as_of.isoformat(), "submitted_at": submission.submitted_at.isoformat() + "+08:00",
            "mail_status": submission.mail_status}


# --- API ----------------------------------------------------------------------------------------------------


@bp.post("/api/v1/submissions")
@requires("tables.submit")
def create():
    status, submission, errors = _submit(request.get_json(silent=True))
    if status == 422:
        return error_response(422, "报送内容有误", code="invalid", errors=errors)
    if status == 409:
        return error_response(409, "这个 client_uuid 已用于另一次报送", code="conflict", submission=_summary(submission))
    response = current_app.response_class(bytes(submission.document), status=status, mimetype="application/json")
    response.headers["Location"] = url_for("submissions.document", submission_id=submission.id)
    return response


@bp.get("/api/v1/submissions")
@requires("submissions.view")
def listing():
    found = scope(current_user, Submission).order_by(Submission.submitted_at.desc(), Submission.id.desc())
    return json_answer({"submissions": [_summary(s) for s in found]})


@bp.get("/api/v1/submissions/<int:submission_id>")
@requires("submissions.view")
def document(submission_id):
    """Exactly the JSON that was submitted, whatever changed since."""
    submission = submission_or_404(submission_id)
    return current_app.response_class(bytes(submission.document), mimetype="application/json")


@bp.get("/api/v1/submissions/<int:submission_id>.xlsx")
@requires("submissions.view")
def workbook(submission_id):
    """Exactly the workbook that was submitted."""
    submission = submission_or_404(submission_id)
    audit(current_user, "download_submission", submission)
    return send_file(io.BytesIO(bytes(submission.workbook)), as_attachment=True,
                     download_name=submission.workbook_name, mimetype=XLSX)


@bp.get("/api/v1/submissions/<int:submission_id>/changes")
@requires("submissions.view")
def changes_json(submission_id):
    submission = submission_or_404(submission_id)
    before = submissions.previous(submission)
    found = submissions.changes(submissions.document(before), submissions.document(submission)) if before else []
    return json_answer({"id": submission.id, "previous": before.id if before else None,
                        "changes": [c.as_json() for c in found]})


# --- pages --------------------------------------------------------------------------------------------------


def _index_page(status=200, errors=None, form=None):
    mine = own_scope(current_user)
    found = list(scope(current_user, Submission).order_by(Submission.submitted_at.desc(), Submission.id.desc())
                 .limit(200))
    return render("tables/submissions.html", "tables/_submissions.html", status, own=mine, found=found,
                  errors=errors or {}, form=form or {}, today=today_local(), calendar=calendar(), new_uuid=str(uuid.uuid4()),
                  org_name=submissions.org_name, MAIL_STATUSES=MAIL_STATUSES,
                  mailbox=current_app.config.get("SUBMISSION_MAILBOX"))


@bp.get("/tables/submissions")
@requires("submissions.view")
def index():
    return _index_page(form={"as_of": request.args.get("as_of", "")})


@bp.post("/tables/submissions")
@requires("tables.submit")
def submit_form():
    status, submission, errors = _submit(request.form.to_dict())
    if status == 422:
        return _index_page(422, errors, request.form)
    if status == 409:
        return _index_page(409, {"client_uuid": "这次报送已经提交过"}, request.form)
    return redirect(url_for("submissions.detail", submission_id=submission.id), 303)


@bp.get("/tables/submissions/<int:submission_id>")
@requires("submissions.view")
def detail(submission_id):
    submission = submission_or_404(submission_id)
    before = submissions.previous(submission)
    frozen = submissions.document(submission)
    found = submissions.changes(submissions.document(before), frozen) if before else []
    return render("tables/submission.html", "tables/_submission.html", submission=submission, before=before,
                  changes=found, frozen=frozen, org_name=submissions.org_name(submission),
                  MAIL_STATUSES=MAIL_STATUSES)


@bp.get("/tables/submissions/board")
@requires("submissions.review")
def board():
    """Per deadline, who of a district has submitted: the user's district, or the one the city picks."""
    districts = list(Org.select().where((Org.kind == "district") & Org.code.in_(district_codes(current_user)))
                     .order_by(Org.code))
    chosen = request.args.get("district") or (districts[0].code if districts else "")
    district = next((d for d in districts if d.code == chosen), None)
    if district is None and districts:
        abort(404)
    campaign = current_campaign()
    return render("tables/board.html", "tables/_board.html", campaign=campaign, district=district,
                  districts=districts if sees_whole_city(current_user) else [],
                  boards=submissions.board(campaign, district) if campaign and district else [], calendar=calendar())
