"""JSON API v1 (design sections 7-8; docs/api.md). Session cookie + X-CSRFToken, or a bearer token."""
import json

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from blueprints.errors import error_response
from blueprints.guard import public, requires
from domain.api import openapi
from domain.survey.store import (
    Conflict, ScopeError, clean_correction, clean_record, correct_record, store_record, survey_as_dict,
    surveys_in_scope,
)
from models import Survey

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
@public
def openapi_document():
    """The API's contract as an OpenAPI 3.1 document (domain/api/openapi.py), for anyone: it holds no data."""
    return current_app.response_class(json.dumps(openapi.document(), ensure_ascii=False), mimetype="application/json")


@bp.get("/csrf")
@requires("account")
def csrf_token():
    """A fresh CSRF token for the PWA, which may have been offline longer than its token lives."""
    return jsonify({"csrf_token": generate_csrf()})


@bp.get("/me")
@requires("account")
def me():
    return jsonify({"id": current_user.id, "username": current_user.username, "role": current_user.role,
                    "org": current_user.org_id, "department": current_user.department_id})


@bp.post("/surveys")
@requires("survey")
def create_survey():
    record, errors = clean_record(request.get_json(silent=True))
    if errors:
        return error_response(422, "记录有误，请按提示修改", code="invalid", errors=errors)
    try:
        survey, created = store_record(current_user, record)
    except ScopeError as exc:
        return error_response(422, "记录有误，请按提示修改", code="invalid", errors=exc.errors)
    except Conflict as exc:
        return error_response(409, "这个 client_uuid 已保存了另一条内容不同的记录；更正请用编辑",
                              code="conflict", record=survey_as_dict(exc.survey))
    return jsonify(survey_as_dict(survey)), 201 if created else 200


def survey_in_scope_or_404(survey_id):
    survey = surveys_in_scope(current_user).where(Survey.id == survey_id).first()
    if survey is None:
        abort(404)
    return survey


@bp.get("/surveys/<int:survey_id>")
@requires("survey")
def get_survey(survey_id):
    return jsonify(survey_as_dict(survey_in_scope_or_404(survey_id)))


@bp.put("/surveys/<int:survey_id>")
@requires("survey")
def correct_survey(survey_id):
    """An explicit correction: the whole corrected record plus its `correction_id`, applied once."""
    survey = survey_in_scope_or_404(survey_id)
    record, correction_uuid, errors = clean_correction(request.get_json(silent=True))
    if errors:
        return error_response(422, "记录有误，请按提示修改", code="invalid", errors=errors)
    try:
        corrected, _applied = correct_record(current_user, survey, record, correction_uuid)
    except ScopeError as exc:
        return error_response(422, "记录有误，请按提示修改", code="invalid", errors=exc.errors)
    except Conflict as exc:
        return error_response(409, "这个 correction_id 已用于另一份更正", code="conflict",
                              record=survey_as_dict(exc.survey))
    return jsonify(survey_as_dict(corrected))
