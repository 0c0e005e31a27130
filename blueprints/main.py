"""The home page: each role lands where its work is. Street and district offices land on what needs them (the
线索 waiting and the survey's progress); 居委 workers on their survey, departments on the cases referred to them."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.guard import public, requires
from domain.casework import cases
from domain.org.permissions import can, community_codes, sees_whole_city, sees_whole_district
from domain.reporting import overview
from domain.supervision import orders, quality

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if can(current_user, "overview"):
        return render_template("main/home.html", counts=overview.report_counts(current_user),
                               rows=overview.progress(current_user),
                               unplaced=overview.unplaced_new_reports(current_user),
                               per_street=sees_whole_district(current_user), per_district=sees_whole_city(current_user),
                               attention=cases.attention(current_user), order_summary=orders.summary(current_user))
    return redirect(url_for("survey.index" if can(current_user, "survey") else "cases.index"))


@bp.get("/supervision/")
@requires("ranking.view")
def supervision():
    """考核: the plan's supervision in one place on a phone (quality signals, 回访, ranking, 督办), one link in the
    navigation instead of four."""
    open_signals = quality.open_count(community_codes(current_user)) if can(current_user, "quality.view") else 0
    return render_template("main/supervision.html", open_signals=open_signals,
                           order_summary=orders.summary(current_user))


@bp.app_context_processor
def opened_in_wechat_on_iphone():
    """WeChat's browser on iOS can neither install the app nor be trusted to keep the outbox: say so (base.html)."""
    agent = request.user_agent.string
    return {"in_wechat_on_ios": "MicroMessenger" in agent and ("iPhone" in agent or "iPad" in agent)}
