"""The public report page (design sections 2 and 7): `/r/<poster code>` from a poster's QR code, `/r` without
one, `/r/status` where a resident sees a report's progress by its 编号, and `/r/guide`, how to tell a fake
training and a counterfeit product. No login, no JavaScript needed: plain forms, a honeypot and rate limits
per address and per poster instead of anything a resident must do. Every URL also answers with a trailing
slash (people type them, and WeChat passes links on as they were typed).

长辈模式 (大字版, issue 12): large text, large targets, high contrast and the report form's essentials first, for
every page built on report/public_base.html. One tap on its link at the top sets a cookie through `/r/mode` and
comes back; the server then marks the page (no JavaScript). Pages that read the cookie say `Vary: Cookie`."""
import datetime

from flask import Blueprint, abort, current_app, g, make_response, redirect, render_template, request, url_for

from blueprints.auth import safe_next
from blueprints.guard import public
from domain.common.clock import now_local
from domain.public import guide as guide_facts, posters, reports, uploads
from extensions import limiter, scan_counter

bp = Blueprint("report", __name__, url_prefix="/r", cli_group=None)

HONEYPOT = "website"
BUSY = "提交太频繁，请过一会儿再试；情况紧急请直接拨打 110"
TYPED = ("happened_on", "amount")  # parsed fields: on an error, the form shows what was typed
LARGE_MODE_COOKIE = "paimo_large"
LARGE_MODE_KEPT = datetime.timedelta(days=365)


def large_mode():
    """Whether this resident chose 长辈模式. The page then depends on a cookie: it says so (Vary: Cookie), so that
    no cache serves one mode's page to the other."""
    g.reads_large_mode = True
    return request.cookies.get(LARGE_MODE_COOKIE) == "1"


def mode_url(large):
    """The link that turns 长辈模式 on (or off) and comes back to this page."""
    here = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return url_for("report.mode", large=int(large), next=here)


@bp.app_context_processor
def mode_helpers():
    return {"large_mode": large_mode, "mode_url": mode_url}


@bp.app_template_filter("spell_out")
def spell_out(number):
    """A report number as a screen reader should read it: one character at a time, e.g. 230320-K7QX3M →
    "2 3 0 3 2 0，K 7 Q X 3 M" (else it reads 二十三万零三百二十)."""
    return "，".join(" ".join(part) for part in str(number).split("-"))


@bp.after_app_request
def vary_by_mode(response):
    if g.get("reads_large_mode"):
        response.vary.add("Cookie")
    return response


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
    errors = errors or {}
    shown, folded = reports.form_layout(large_mode(), with_area=poster is None)
    return render_template("report/form.html", poster=poster, values=values, errors=errors, shown=shown,
                           folded=folded, first_error=reports.first_error(shown + folded, errors),
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
        # What the resident typed stays in a field in error, to correct rather than type again.
        values.update({name: request.form[name] for name in errors if name in TYPED and name in request.form})
        return render_form(poster, values, errors, 422)
    community, street, district = (None, None, None) if poster else reports.where_from_choice(values["area"])
    report = reports.submit_report(values, photos, current_app.config["UPLOAD_DIR"], poster, community, street,
                                   district)
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


@bp.get("/mode", strict_slashes=False)
@public
def mode():
    """长辈模式 on (`large=1`) or off, then back to the page the resident was on (`next`, a path of this site)."""
    response = redirect(safe_next(request.args.get("next"), url_for("report.general")), 303)
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    if request.args.get("large") == "1":
        response.set_cookie(LARGE_MODE_COOKIE, "1", max_age=LARGE_MODE_KEPT, httponly=True, samesite="Lax",
                            secure=secure)
    else:
        response.delete_cookie(LARGE_MODE_COOKIE, httponly=True, samesite="Lax", secure=secure)
    return response


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
