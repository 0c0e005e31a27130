"""What departments and streets enter for 附件2 and 附件3, and the survey samples 消防救援 collects: the JSON
API (design section 8) and phone-friendly forms under /tables/. The forms post the API's fields, so both share
one validation path (domain.reporting.spot_checks, domain.reporting.actions)."""
import uuid

from flask import Blueprint, abort, jsonify, redirect, request, url_for
from flask_login import current_user

from blueprints.errors import error_response
from blueprints.guard import requires
from domain.common import codes
from domain.common.clock import today_local
from domain.org.permissions import collects_samples, own_scope, scope
from domain.reporting import actions, spot_checks
from domain.reporting.entries import Conflict, NotYours
from models import SAMPLE_RESULTS, ActionEntry, Sample, SpotCheck
from templating import render

bp = Blueprint("entries", __name__)

INVALID = "填写的内容有误，请按提示修改"


def _store(parse, check, store, as_dict, body):
    """(status, stored entry or None, errors) for one entry body, from the API or a form."""
    values, errors = parse(body)
    if values is not None:
        check(current_user, values, errors)
    if errors:
        return 422, None, errors
    try:
        entry, created = store(current_user, values)
    except NotYours:
        return 422, None, {"client_uuid": "这个编号已被其他单位使用"}
    except Conflict as exc:
        return 409, exc.stored, {}
    return (201 if created else 200), entry, {}


def _api_answer(status, entry, errors, as_dict):
    if status == 422:
        return error_response(422, INVALID, code="invalid", errors=errors)
    if status == 409:
        return error_response(409, "这个 client_uuid 已保存了内容不同的一条；更正请删除后重新填报", code="conflict",
                              entry=as_dict(entry))
    return jsonify(as_dict(entry)), status


# --- 附件2: spot checks ---------------------------------------------------------------------------------------


@bp.post("/api/v1/spot-checks")
@requires("spot_checks.enter")
def create_spot_check():
    status, entry, errors = _store(spot_checks.parse_spot_check, spot_checks.check_department,
                                   spot_checks.store_spot_check, spot_checks.spot_check_as_dict,
                                   request.get_json(silent=True))
    return _api_answer(status, entry, errors, spot_checks.spot_check_as_dict)


def _spot_check_page(status=200, errors=None, form=None):
    return render("tables/spot_checks.html", "tables/_spot_checks.html", status,
                  channels=spot_checks.channels_of(current_user.department), entries=spot_checks.entries_of(current_user),
                  errors=errors or {}, form=form or {}, new_uuid=str(uuid.uuid4()), today=today_local(),
                  saved=_saved(SpotCheck), CHANNEL_LABELS=codes.SPOT_CHECK_CHANNELS)


def _saved(model):
    """The entry a form just saved (?saved=<id>), when it is the user's."""
    saved = request.args.get("saved", type=int)
    return scope(current_user, model).where(model.id == saved).first() if saved else None


@bp.get("/tables/spot-checks")
@requires("spot_checks.enter")
def spot_checks_page():
    return _spot_check_page()


@bp.post("/tables/spot-checks")
@requires("spot_checks.enter")
def spot_checks_form():
    body = {**request.form.to_dict(), "department": current_user.department_id}
    status, entry, errors = _store(spot_checks.parse_spot_check, spot_checks.check_department,
                                   spot_checks.store_spot_check, spot_checks.spot_check_as_dict, body)
    if status == 422:
        return _spot_check_page(422, errors, request.form)
    return redirect(url_for("entries.spot_checks_page", saved=entry.id), 303)


@bp.post("/tables/spot-checks/<int:spot_check_id>/delete")
@requires("spot_checks.enter")
def delete_spot_check(spot_check_id):
    entry = spot_checks.entry_of(current_user, spot_check_id) or abort(404)
    spot_checks.delete_entry(current_user, entry)
    return redirect(url_for("entries.spot_checks_page"), 303)


# --- 附件3: what a street or department did -----------------------------------------------------------------------


@bp.post("/api/v1/actions")
@requires("actions.enter")
def create_action():
    status, entry, errors = _store(actions.parse_action, actions.check_org, actions.store_action,
                                   actions.action_as_dict, request.get_json(silent=True))
    return _api_answer(status, entry, errors, actions.action_as_dict)


def _actions_page(status=200, errors=None, form=None):
    return render("tables/actions.html", "tables/_actions.html", status, entries=actions.entries_of(current_user),
                  errors=errors or {}, form=form or {}, new_uuid=str(uuid.uuid4()), today=today_local(),
                  saved=_saved(ActionEntry), own=own_scope(current_user))


@bp.get("/tables/actions")
@requires("actions.enter")
def actions_page():
    return _actions_page()


@bp.post("/tables/actions")
@requires("actions.enter")
def actions_form():
    body = {**request.form.to_dict(), "org": actions.own_org(current_user)}
    status, entry, errors = _store(actions.parse_action, actions.check_org, actions.store_action,
                                   actions.action_as_dict, body)
    if status == 422:
        return _actions_page(422, errors, request.form)
    return redirect(url_for("entries.actions_page", saved=entry.id), 303)


@bp.post("/tables/actions/<int:action_id>/delete")
@requires("actions.enter")
def delete_action(action_id):
    entry = actions.entry_of(current_user, action_id) or abort(404)
    actions.delete_entry(current_user, entry)
    return redirect(url_for("entries.actions_page"), 303)


# --- survey samples (附件2, 培训兜售) ---------------------------------------------------------------------------


def _samples_or_404():
    if not collects_samples(current_user):
        abort(404)


def _samples_page(status=200, errors=None, at=None):
    return render("tables/samples.html", "tables/_samples.html", status, pending=spot_checks.collection_list(),
                  taken=spot_checks.samples_taken(), errors=errors or {}, at=at, today=today_local(),
                  RESULTS=SAMPLE_RESULTS)


@bp.get("/tables/samples")
@requires("samples.collect")
def samples():
    _samples_or_404()
    return _samples_page()


@bp.post("/tables/samples/collect")
@requires("samples.collect")
def collect_sample():
    _samples_or_404()
    errors = spot_checks.new_errors()
    survey_id = request.form.get("survey", type=int)
    position = request.form.get("position", type=int)
    collected_on = spot_checks.parse_day(request.form.get("collected_on"), "collected_on", errors, "取样日期",
                                         today_local())
    if survey_id is None or position is None:
        errors.add("purchase", "请从清单中选择要取样的产品")
    if not errors:
        try:
            spot_checks.collect_sample(current_user, survey_id, position, collected_on)
        except spot_checks.SampleError as exc:
            errors.update(exc.errors)
    if errors:
        return _samples_page(422, errors, at=f"{survey_id}-{position}")
    return redirect(url_for("entries.samples"), 303)


@bp.post("/tables/samples/<int:sample_id>/result")
@requires("samples.collect")
def sample_result(sample_id):
    _samples_or_404()
    sample = scope(current_user, Sample).where(Sample.id == sample_id).first() or abort(404)
    result, tested_on, errors = spot_checks.parse_result(request.form, today_local())
    if not errors:
        try:
            spot_checks.record_result(current_user, sample, result, tested_on)
        except spot_checks.SampleError as exc:
            errors.update(exc.errors)
    if errors:
        return _samples_page(422, errors, at=f"sample-{sample_id}")
    return redirect(url_for("entries.samples"), 303)
