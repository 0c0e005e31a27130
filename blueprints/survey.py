"""Door-to-door survey screens (placeholder until the survey UI lands)."""
from flask import Blueprint
from flask_login import login_required

bp = Blueprint("survey", __name__, url_prefix="/survey")


@bp.get("/")
@login_required
def index():
    return "排摸"


@bp.get("/today")
@login_required
def today():
    return "今日记录"


@bp.get("/progress")
@login_required
def progress():
    return "进度"
