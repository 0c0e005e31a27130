"""The home page: each role lands where its work is."""
from flask import Blueprint, redirect, url_for
from flask_login import current_user

from permissions import public

bp = Blueprint("main", __name__)

HOME_BY_ROLE = {"surveyor": "survey.index", "street": "survey.progress", "district": "survey.progress",
                "department": "cases.index"}


@bp.get("/")
@public
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "auth.profile")))
