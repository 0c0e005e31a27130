"""The district's audit log page: who did what, when, to which record (issue 11)."""
from flask import Blueprint, request

from blueprints.guard import requires
from domain.org import audit_log
from templating import render

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@requires("audit.view")
def index():
    filters, errors = audit_log.parse_filters(request.args)
    rows, more = audit_log.entries(**filters)
    return render("audit/index.html", "audit/_rows.html", rows=rows, more=more, filters=filters, errors=errors,
                  actions=audit_log.ACTIONS, action_label=audit_log.action_label, status=422 if errors else 200)
