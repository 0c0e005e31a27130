"""Quality signals (design section 12): the street's and the district's list, one signal with its records on a
timeline, its review; `GET /api/v1/quality`, `POST /api/v1/quality/<id>/review`. A surveyor's signals are shown
to the street and the district only (permissions: quality.view)."""
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.errors import error_response
from blueprints.guard import requires
from blueprints.tables import parse_as_of
from domain.org.permissions import community_codes, street_codes
from domain.reporting.campaign import current_campaign
from domain.supervision import quality
from models import Org, QualitySignal, User

bp = Blueprint("quality", __name__)
STATUSES = {"open": "待核实", "reviewed": "已审核", "confirmed": "确认问题", "": "全部"}


def _communities(street, community=""):
    """The 居委 codes a request is about: the caller's, narrowed to ?street= or ?community= (404 outside the
    caller's scope)."""
    if community:
        if not community_codes(current_user).where(Org.code == community).exists():
            abort(404)
        return [community]
    if not street:
        return community_codes(current_user)
    if street not in street_codes(current_user):
        abort(404)
    return Org.select(Org.code).where((Org.kind == "community") & (Org.parent == street))


def _since(as_of):
    """Signals count from the campaign running on `as_of` (design section 14's campaigns); all before any."""
    campaign = current_campaign(as_of)
    return campaign.starts if campaign is not None and campaign.starts <= as_of else None


def signal_in_scope_or_404(signal_id):
    quality.settle()  # the signal as the records say now
    signal = (QualitySignal.select().where((QualitySignal.id == signal_id)
                                           & QualitySignal.community.in_(community_codes(current_user))).first())
    if signal is None:
        abort(404)
    return signal


@bp.get("/quality/")
@requires("quality.view")
def index():
    as_of = parse_as_of(request.args.get("as_of"))
    status = request.args.get("status", "open")
    status = status if status in STATUSES else "open"
    street, community = request.args.get("street", ""), request.args.get("community", "")
    signals = list(quality.signals_in(_communities(street, community), as_of, _since(as_of), status or None)
                   .limit(200))
    names = {org.code: org.name for org in Org.select(Org.code, Org.name)
             .where(Org.code.in_({s.community_id for s in signals}))} if signals else {}
    streets = list(Org.select(Org.code, Org.name).where(Org.code.in_(street_codes(current_user)))
                   .order_by(Org.code)) if current_user.role != "street" else []
    communities = list(Org.select(Org.code, Org.name).where(
        Org.code.in_(_communities(street) if street or current_user.role == "street" else [])).order_by(Org.code))
    return render_template("quality/index.html", signals=signals, names=names, status=status, statuses=STATUSES,
                           as_of=as_of, street=street, streets=streets, community=community,
                           communities=communities, kinds=quality.KIND_LABELS, verdicts=quality.VERDICT_LABELS)


@bp.get("/quality/<int:signal_id>")
@requires("quality.view")
def detail(signal_id):
    signal = signal_in_scope_or_404(signal_id)
    return _detail_page(signal)


def _detail_page(signal, errors=None, form=None, status=200):
    records = quality.records_of(signal)
    return render_template("quality/detail.html", signal=signal, timeline=quality.timeline(records),
                           author=User.get_or_none(User.id == signal.user_id),
                           community=Org.get_or_none(Org.code == signal.community_id),
                           reviewer=signal.reviewed_by if signal.reviewed_by_id else None,
                           kinds=quality.KIND_LABELS, verdicts=quality.VERDICT_LABELS,
                           errors=errors or {}, form=form or {}), status


@bp.post("/quality/<int:signal_id>/review")
@requires("quality.review")
def review(signal_id):
    signal = signal_in_scope_or_404(signal_id)
    review_, errors = quality.parse_review(request.form)
    if errors:
        return _detail_page(signal, errors, request.form, 422)
    verdict, note = review_
    quality.review(signal, current_user, verdict, note)
    flash(f"已记录审核结果：{quality.VERDICT_LABELS[verdict]}")
    return redirect(url_for("quality.detail", signal_id=signal.id), 303)


@bp.get("/api/v1/quality")
@requires("quality.view")
def signals_json():
    """The signals of the caller's 居委 (narrowed to ?street=) filed up to ?as_of= in its campaign."""
    as_of = parse_as_of(request.args.get("as_of"))
    signals = quality.signals_in(_communities(request.args.get("street", "")), as_of, _since(as_of))
    return jsonify({"as_of": as_of.isoformat(), "signals": [quality.as_dict(s) for s in signals]})


@bp.post("/api/v1/quality/<int:signal_id>/review")
@requires("quality.review")
def review_json(signal_id):
    signal = signal_in_scope_or_404(signal_id)
    review_, errors = quality.parse_review(request.get_json(silent=True))
    if errors:
        return error_response(422, "审核结果有误，请按提示修改", code="invalid", errors=errors)
    verdict, note = review_
    return jsonify(quality.as_dict(quality.review(signal, current_user, verdict, note)))
