"""The home page: each role lands where its work is. Street and district offices land on what needs them (the
线索 waiting and the survey's progress); 居委 workers on their survey, departments on the cases referred to them."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.guard import public
from domain.casework import cases
from domain.org.permissions import can, sees_whole_city, sees_whole_district
from domain.reporting import overview

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
                               attention=cases.attention(current_user))
    return redirect(url_for("survey.index" if can(current_user, "survey") else "cases.index"))


@bp.app_context_processor
def opened_in_wechat_on_iphone():
    """WeChat's browser on iOS can neither install the app nor be trusted to keep the outbox: say so (base.html)."""
    agent = request.user_agent.string
    return {"in_wechat_on_ios": "MicroMessenger" in agent and ("iPhone" in agent or "iPad" in agent)}
