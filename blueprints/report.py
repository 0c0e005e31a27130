"""The public report page (design sections 2 and 7): `/r/<poster code>` from a poster's QR code, `/r` without
one, `/r/status` where a resident sees a report's progress by its 编号, and `/r/guide`, how to tell a fake
training and a counterfeit product. No login, no JavaScript needed: plain forms, a honeypot and rate limits
per address and per poster instead of anything a resident must do. Every URL also answers with a trailing
slash (people type them, and WeChat passes links on as they were typed)."""
from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for

from domain import guide as guide_facts
from domain import posters, reports, uploads
from domain.clock import now_local
from extensions import limiter, scan_counter
from permissions import public

bp = Blueprint("report", __name__, url_prefix="/r", cli_group=None)

HONEYPOT = "website"
BUSY = "提交太频繁，请过一会儿再试；情况紧急请直接拨打 110"


def _public_limit():
    return current_app.config["RATELIMIT_PUBLIC"]


def _poster_limit():
    return current_app.config["RATELIMIT_POSTER"]


def _poster_key():
    return "poster:" + posters.normalise_code(request.view_args.get("code", ""))


def poster_or_404(code):
    poster = posters.poster_by_code(code)
    if poster is None:
        # A mistyped or damaged code: say so on a public page that leads to the general report page.
        abort(make_response(render_template("report/unknown.html", code=code[:16]), 404))
    return poster


def render_form(poster=None, values=None, errors=None, status=200):
    values = values if values is not None else {"place": poster.location if poster else ""}
    return render_template("report/form.html", poster=poster, values=values, errors=errors or {},
                           kinds=reports.KINDS, streets=[] if poster else reports.street_choices(),
                           today=now_local().date().isoformat()), status


def submit(poster=None):
    """Check the form and the photos, store the report, show its number (the same for /r and /r/<code>)."""
    if request.form.get(HONEYPOT):
        # A bot filled the field people cannot see: look like success, keep nothing.
        fake = reports.public_progress(reports.new_number(now_local()), "new", now_local())
        return render_template("report/status.html", number=fake["number"], progress=fake, received=True)
    values, errors = reports.parse_report(request.form)
    values["area"] = request.form.get("area", "")
    try:
        photos = uploads.clean_photos(f.read(uploads.MAX_PHOTO_BYTES + 1) for f in request.files.getlist("photos"))
    except uploads.PhotoError as exc:
        errors.add("photos", str(exc))
    if errors:
        return render_form(poster, values, errors, 422)
    community, street = (None, None) if poster else reports.where_from_choice(values["area"])
    report = reports.submit_report(values, photos, current_app.config["UPLOAD_DIR"], poster, community, street)
    return redirect(url_for("report.status", number=report.number, received=1), 303)


@bp.route("", methods=["GET", "POST"], strict_slashes=False)
@public
@limiter.limit(_public_limit, methods=["POST"], error_message=BUSY)
def general():
    return submit() if request.method == "POST" else render_form()


@bp.get("/status", strict_slashes=False)
@public
@limiter.limit(_public_limit, exempt_when=lambda: not request.args.get("number"), error_message=BUSY)
def status():
    number = request.args.get("number", "").strip()[:32]
    report = reports.report_by_number(number) if number else None
    if report is None:
        return render_template("report/status.html", number=number, progress=None), 404 if number else 200
    return render_template("report/status.html", number=report.number, progress=reports.progress_of(report),
                           received=bool(request.args.get("received")))


@bp.get("/guide", strict_slashes=False)
@public
def guide():
    return render_template("report/guide.html", facts=guide_facts)


@bp.route("/<code>", methods=["GET", "POST"], strict_slashes=False)
@public
@limiter.limit(_public_limit, methods=["POST"], error_message=BUSY)
@limiter.limit(_poster_limit, key_func=_poster_key, methods=["POST"], error_message=BUSY)
def poster_report(code):
    poster = poster_or_404(code)
    if request.method == "POST":
        return submit(poster)
    scan_counter().count(poster.id, request.remote_addr or "", now_local().date())  # no write per view
    return render_form(poster)
