"""Leads logged by streets, the district and departments (issue 9): a phone form at /leads/new and
`POST /api/v1/leads` (design section 8), both through domain/casework/leads.py."""
import uuid

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.errors import error_response
from blueprints.guard import requires
from domain.casework import leads
from domain.common import codes
from domain.org.permissions import sees_whole_district, street_codes, works_for_department
from models import Org

bp = Blueprint("leads", __name__)


def render_form(values, errors=None, status=200):
    everywhere = sees_whole_district(current_user) or works_for_department(current_user)
    streets = Org.select().where((Org.kind == "street") & (Org.code.in_(street_codes(current_user))
                                                            if not everywhere else True)).order_by(Org.code)
    communities = Org.select().where((Org.kind == "community") & Org.parent.in_([s.code for s in streets]))
    return render_template("leads/new.html", values=values, errors=errors or {}, sources=leads.SOURCES,
                           streets=list(streets), communities=list(communities.order_by(Org.code)),
                           natures=codes.INSTITUTION_NATURES, everywhere=everywhere), status


def form_body(form):
    """The form's fields as the API's body; where (居委 or 街镇) comes from one select."""
    body = {key: form.get(key, "") for key in ("client_uuid", "source", "institution", "institution_phone",
                                                "institution_nature", "url", "description", "mode",
                                                "trainer_identity", "fee")}
    kind, _, code = form.get("place", "").partition(":")
    body["community" if kind == "c" else "street"] = code
    body["products_pitched"] = form.get("products_pitched") == "true"
    body["engineering_solicited"] = form.get("engineering_solicited") == "true"
    body["pitched_products"] = form.getlist("pitched_products")
    return body


@bp.route("/leads/new", methods=["GET", "POST"])
@requires("leads.log")
def new():
    if request.method == "GET":
        return render_form({"client_uuid": str(uuid.uuid4())})
    lead, errors = leads.parse_lead(form_body(request.form))
    if not errors:
        try:
            row, _ = leads.store_lead(current_user, lead)
        except leads.LeadError as exc:
            errors = exc.errors
        except leads.Conflict:
            errors = {"client_uuid": "这条线索已经保存过，请刷新页面后再登记新的线索"}
    if errors:
        return render_form(request.form.to_dict(flat=True) | {"pitched_products": request.form.getlist(
            "pitched_products")}, errors, 422)
    flash(f"线索已登记：{row.institution or row.description[:20]}")
    return redirect(url_for("cases.index"), 303)


@bp.post("/api/v1/leads")
@requires("leads.log")
def api_create():
    lead, errors = leads.parse_lead(request.get_json(silent=True))
    if errors:
        return error_response(422, "线索有误，请按提示修改", code="invalid", errors=dict(errors))
    try:
        row, created = leads.store_lead(current_user, lead)
    except leads.LeadError as exc:
        return error_response(422, "线索有误，请按提示修改", code="invalid", errors=exc.errors)
    except leads.Conflict as exc:
        return error_response(409, "这个 client_uuid 已保存了另一条内容不同的线索", code="conflict",
                              lead=leads.lead_as_dict(exc.lead))
    return jsonify(leads.lead_as_dict(row)), 201 if created else 200
