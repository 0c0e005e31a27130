"""Door-to-door survey screens: a 居委's buildings and units, one-tap visits, the full record form,
today's records with corrections, progress, and the screen that settles a phone's conflicting records. Forms post the API's record fields (domain/survey/form.py),
so the form and the API share one validation path."""
import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.guard import requires
from domain.common.clock import today_local
from domain.org.permissions import can, can_see_community, community_codes, picks_community, surveys_door_to_door
from domain.reporting.tables import coverage_percent
from domain.survey import form as survey_form, record_text, units
from domain.survey.store import clean_record, survey_as_dict, surveys_in_scope
from models import Building, Org, Survey
from templating import is_htmx

bp = Blueprint("survey", __name__, url_prefix="/survey")

QUICK_OUTCOMES = (("surveyed", "已排摸·无培训无购买"), ("absent", "无人在家"), ("refused", "拒绝配合"))


@bp.context_processor
def survey_helpers():
    return {"new_uuid": lambda: str(uuid.uuid4()), "visit_time": survey_form.visit_time,
            "state_label": units.state_label, "QUICK_OUTCOMES": QUICK_OUTCOMES, "FILTERS": units.FILTERS}


def shows_sync_bar():
    """Whether a page shows the outbox's status line: to the people who survey door to door on this phone
    (surveyors, on every page), and on the survey pages to street/district staff, who may record there too."""
    return current_user.is_authenticated and (
        surveys_door_to_door(current_user) or (request.blueprint == "survey" and can(current_user, "survey")))


@bp.app_context_processor
def sync_bar():
    return {"shows_sync_bar": shows_sync_bar}


# --- scope helpers -----------------------------------------------------------------------------------------

def community_or_404(code):
    community = Org.get_or_none((Org.code == code) & (Org.kind == "community"))
    if community is None or not can_see_community(current_user, code):
        abort(404)
    return community


def chosen_community():
    """The 居委 a page is about: a surveyor's own, or the one a street/district user picked (None: not yet)."""
    if not picks_community(current_user):
        return current_user.org
    code = request.values.get("community", "")
    return community_or_404(code) if code else None


def building_or_404(building_id):
    building = Building.get_or_none(Building.id == building_id)
    if building is None or not can_see_community(current_user, building.community_id):
        abort(404)
    return building


def unit_or_404(unit_id):
    unit = units.unit_with_state(unit_id, community_codes(current_user))
    if unit is None:
        abort(404)
    return unit


def survey_or_404(survey_id):
    survey = surveys_in_scope(current_user).where(Survey.id == survey_id).first()
    if survey is None:
        abort(404)
    return survey


def back_to(unit, **done):
    """The building (or the 居委's page for a shop) of `unit`; with saved=/corrected= at the unit's row."""
    anchor = f"unit-{unit.id}" if done else None
    if unit.building_id:
        return url_for("survey.building", building_id=unit.building_id, _anchor=anchor, **done)
    return url_for("survey.index", community=unit.community_id, _anchor=anchor, **done)


def saved_bar(rows):
    """After a record was saved (?saved=<unit id>) or corrected (?corrected=): what was done and 下一户."""
    for verb, key in (("已保存", "saved"), ("已更正", "corrected")):
        unit_id = request.args.get(key, type=int)
        done = next((row for row in rows if row.id == unit_id), None)
        if done is not None:
            return {"message": f"{verb}：{done.address}", "next": units.next_not_visited(rows, unit_id)}
    return None


# --- the 居委: buildings, laying out, adding an address ------------------------------------------------------

def render_index(community, status=200, layout_errors=None, unit_errors=None):
    scope = Org.select().where((Org.kind == "community") & Org.code.in_(community_codes(current_user)))
    loose = list(units.loose_units(community)) if community else []
    return render_template(
        "survey/index.html", community=community, communities=scope.order_by(Org.code),
        buildings=units.building_progress(community) if community else [],
        loose_units=loose, unit_flags=units.unit_flags(loose), saved=saved_bar(loose),
        form=request.form, layout_errors=layout_errors or {}, unit_errors=unit_errors or {}), status


@bp.get("/")
@requires("survey")
def index():
    return render_index(chosen_community())


@bp.post("/buildings")
@requires("survey")
def lay_out():
    community = chosen_community() or abort(404)
    name, addresses, errors = units.parse_layout(request.form)
    if errors:
        return render_index(community, 422, layout_errors=errors)
    building, added = units.lay_out_building(current_user, community, name, addresses)
    flash(f"{building.name}：新增 {added} 户，共 {building.units.count()} 户")
    return redirect(url_for("survey.building", building_id=building.id), 303)


@bp.post("/units")
@requires("survey")
def add_unit():
    community = chosen_community() or abort(404)
    unit, errors = units.parse_single_unit(request.form)
    if errors:
        return render_index(community, 422, unit_errors=errors)
    found = units.add_single_unit(current_user, community, unit)
    flash(f"已添加：{found.address}")
    return redirect(url_for("survey.index", community=community.code), 303)


@bp.get("/buildings/<int:building_id>")
@requires("survey")
def building(building_id):
    building = building_or_404(building_id)
    show = request.args.get("show") if request.args.get("show") in units.FILTERS else None
    rows = list(units.building_units(building, show))
    return render_template("survey/building.html", building=building, units=rows, show=show,
                           counts=units.building_counts(building), unit_flags=units.unit_flags(rows),
                           saved=saved_bar(rows))


# --- one-tap visits ---------------------------------------------------------------------------------------

@bp.get("/units/<int:unit_id>/row")
@requires("survey")
def unit_row(unit_id):
    """One unit's row as it now stands: outbox.js swaps it in once a one-tap record it sent is stored."""
    row = unit_or_404(unit_id)
    return render_template("survey/_unit_row.html", unit=row, unit_flags=units.unit_flags([row]))


@bp.post("/units/<int:unit_id>/quick")
@requires("survey")
def quick_record(unit_id):
    unit = unit_or_404(unit_id)
    survey, errors = survey_form.save_form(current_user, request.form)
    message = "；".join(errors.values()) if errors else None
    if is_htmx():
        row = unit_or_404(unit_id)
        return render_template("survey/_unit_row.html", unit=row, unit_flags=units.unit_flags([row]),
                               row_message=message), 422 if errors else 200
    flash(message or f"已记录：{unit.address} {units.state_label(survey.outcome)}")
    return redirect(back_to(unit), 303)


# --- the full record form ---------------------------------------------------------------------------------

def render_record_form(unit, values, errors=None, status=200, survey=None):
    errors = errors or {}
    _, flags, hints = survey_form.preview_form(values)
    return render_template(
        "survey/record_form.html", unit=unit, survey=survey, values=values, errors=errors, flag_sets=flags,
        hints=hints,
        first_error=survey_form.first_error(errors),
        trainings=survey_form.count_items(values, "trainings"), purchases=survey_form.count_items(values, "purchases"),
        institutions=units.institution_suggestions(unit.community_id), back=back_to(unit),
        action=request.path), status


def with_one_more(form):
    """The form values with one more blank training or purchase block (增加 without JavaScript)."""
    values = survey_form.form_values(form)
    kind = form.get("add")
    if kind in ("trainings", "purchases"):
        values[f"{kind}.{survey_form.count_items(values, kind)}.new"] = ""
    return values


@bp.route("/units/<int:unit_id>/record", methods=["GET", "POST"])
@requires("survey")
def record_form(unit_id):
    unit = unit_or_404(unit_id)
    if request.method == "GET":
        return render_record_form(unit, survey_form.new_form_values(unit))
    if request.form.get("add"):
        return render_record_form(unit, with_one_more(request.form))
    survey, errors = survey_form.save_form(current_user, request.form)
    if errors:
        return render_record_form(unit, survey_form.form_values(request.form), errors, 422)
    return redirect(back_to(survey.unit, saved=survey.unit_id), 303)


@bp.post("/preview")
@requires("survey")
def preview():
    errors, flags, hints = survey_form.preview_form(request.form)
    names = sorted((set(request.form.keys()) - set(survey_form.NOT_RECORD_FIELDS)) | set(errors))
    return render_template("survey/_preview.html", errors=errors, flag_sets=flags, hints=hints, names=names)


@bp.get("/form/<any(trainings, purchases):kind>")
@requires("survey")
def form_block(kind):
    """One more training or purchase block for htmx, numbered after those already on the form."""
    values = request.args.to_dict()
    index = survey_form.count_items(values, kind)
    return render_template("survey/_add_block.html", kind=kind, i=index, values={}, errors={},
                           trainings=survey_form.count_items(values, "trainings"),
                           purchases=survey_form.count_items(values, "purchases"))


# --- stored records: view, today's list, correction --------------------------------------------------------

@bp.get("/records/<int:survey_id>")
@requires("survey")
def record(survey_id):
    survey = survey_or_404(survey_id)
    stored = survey_as_dict(survey)
    return render_template("survey/record.html", survey=survey, stored=stored,
                           flag_sets=survey_form.flag_sets(stored["trainings"],
                                                           [t["flags"] for t in stored["trainings"]]))


@bp.route("/records/<int:survey_id>/edit", methods=["GET", "POST"])
@requires("survey")
def edit(survey_id):
    survey = survey_or_404(survey_id)
    unit = unit_or_404(survey.unit_id)
    if request.method == "GET":
        return render_record_form(unit, survey_form.correction_form_values(survey_as_dict(survey)), survey=survey)
    if request.form.get("add"):
        return render_record_form(unit, with_one_more(request.form), survey=survey)
    corrected, errors = survey_form.correct_form(current_user, survey, request.form)
    if errors:
        return render_record_form(unit, survey_form.form_values(request.form), errors, 422, survey=survey)
    return redirect(back_to(corrected.unit, corrected=corrected.unit_id), 303)


@bp.get("/today")
@requires("survey")
def today():
    day = today_local()
    records, flags, corrected = units.records_of_day(current_user, day)
    return render_template("survey/today.html", records=records, flags=flags, corrected=corrected, day=day)


@bp.get("/progress")
@requires("survey")
def progress():
    """Progress per 居委; for the district, per 街镇 first (a district's 300 居委 are too long a page for a phone),
    and one street's 居委 with ?street=."""
    codes = community_codes(current_user)
    street = request.args.get("street", "")
    if street:
        codes = codes.where(Org.parent == street)
    rows = units.community_progress(codes)
    per_street = not street and len({row["community"].parent_id for row in rows}) > 1
    return render_template("survey/progress.html", rows=units.by_street(rows) if per_street else rows,
                           per_street=per_street, coverage_percent=coverage_percent)


# --- records the phone could not send because the server holds another version (409) -----------------------

@bp.get("/conflicts")
@requires("survey")
def conflicts():
    """The page where the worker settles each conflict; outbox.js fills it from the phone's outbox."""
    return render_template("survey/conflicts.html")


@bp.post("/conflicts/compare")
@requires("survey")
def compare():
    """The phone's version of a record (the JSON body) beside the stored one with the same client_uuid."""
    phone, _errors = clean_record(request.get_json(silent=True))
    if phone is None or not phone["client_uuid"]:
        abort(400)
    stored = surveys_in_scope(current_user).where(Survey.client_uuid == phone["client_uuid"]).first()
    if stored is None:
        abort(404)
    stored_record, _ = clean_record(survey_as_dict(stored))
    return render_template("survey/_conflict.html", survey=stored, client_uuid=phone["client_uuid"],
                           rows=record_text.compare(phone, stored_record))
