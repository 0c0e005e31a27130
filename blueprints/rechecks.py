"""回访 back-checks (design section 12): a street draws a 居委's sample and records each 回访 on a phone; the street
and the district read sampled / done / 一致率 per 居委. The same through the API: `POST /api/v1/rechecks/draw` and
`POST /api/v1/rechecks`. A 居委 (surveyor) has no route here: every one of them is 404 to it."""
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.errors import error_response
from blueprints.guard import requires
from domain.common.clock import iso_day, today_local
from domain.org.permissions import recheck_communities, street_codes
from domain.supervision import rechecks
from domain.survey.store import survey_as_dict
from models import Org
from templating import is_htmx

bp = Blueprint("rechecks", __name__)


def _rule():
    return rechecks.rule_from(current_app.config)


def _community_or_404(code):
    """A 居委 whose samples the user may see (404 for any other code)."""
    community = Org.get_or_none((Org.code == code) & (Org.kind == "community")
                                & Org.code.in_(recheck_communities(current_user)))
    if community is None:
        abort(404)
    return community


# --- the pages ---------------------------------------------------------------------------------------------------


@bp.get("/rechecks/")
@requires("rechecks.view")
def index():
    return _index_page()


def _index_page(status=200, errors=None, values=None):
    streets = rechecks.figures_by_street(street_codes(current_user))
    return render_template("rechecks/index.html", streets=streets, errors=errors or {}, values=values or {},
                           today=today_local(), **_words()), status


def _words():
    return {"RESULTS": rechecks.RESULTS, "DIFFERS": rechecks.DIFFERS, "rate_text": rechecks.rate_text,
            "percent_words": rechecks.rule_words(_rule())}


@bp.post("/rechecks/draw")
@requires("rechecks.work")
def draw():
    values, errors = rechecks.parse_draw(request.form.to_dict())
    if errors:
        return _index_page(422, errors, request.form)
    community = _community_or_404(values["community"])
    day = values["as_of"] or today_local()
    found = rechecks.draw(current_user, community, day, values["seed"], _rule())
    if not found.rows:
        flash(f"{community.name}截至 {day.isoformat()} 没有已排摸的单位，未抽取样本")
        return redirect(url_for("rechecks.index"), 303)
    flash(f"已从 {found.candidates} 个已排摸单位中抽取 {len(found.rows)} 个" if found.created
          else "同一居委、日期和种子的样本此前已抽取，以下是同一批单位")
    return redirect(_sample_url(community.code, day, found.seed), 303)


def _sample_url(community, day, seed, anchor=None):
    return url_for("rechecks.sample", community=community, as_of=day.isoformat(), **({"seed": seed} if seed else {}),
                   _anchor=anchor)


@bp.get("/rechecks/<community>")
@requires("rechecks.view")
def sample(community):
    return _sample_page(_community_or_404(community), request.args)


def _chosen_draw(draws, asked):
    """(as_of, seed) of the sample `asked` names (?as_of=&seed=), else of the latest drawn; (None, "") with none."""
    try:
        day = iso_day(asked.get("as_of", ""))
    except ValueError:
        day = None
    seed = asked.get("seed", "")
    for kept in draws:
        if kept["as_of"] == day and kept["seed"] == seed:
            return day, seed
    return (draws[0]["as_of"], draws[0]["seed"]) if draws else (None, "")


def _item(row):
    record = survey_as_dict(row.survey)
    return {"row": row, "survey": row.survey, "lines": rechecks.answer_lines(record)}


def _sample_page(community, asked, status=200, errors=None, at=None, form=None):
    draws = rechecks.draws(community.code)
    as_of, seed = _chosen_draw(draws, asked)
    rows = rechecks.with_details(rechecks.sample_rows(community.code, as_of, seed)) if as_of else []
    return render_template(
        "rechecks/sample.html", community=community, draws=draws, as_of=as_of, seed=seed,
        items=[_item(row) for row in rows], today=today_local(), errors=errors or {}, at=at, form=form or {},
        figures=rechecks.figures([community.code]).get(community.code, rechecks.EMPTY), **_words()), status


@bp.post("/rechecks/record")
@requires("rechecks.work")
def record():
    """One 回访 from the sample page: the item again (htmx), or back to the sample at the item."""
    form = {"record": request.form.get("record"), "result": request.form.get("result"),
            "differs": request.form.getlist("differs"), "note": request.form.get("note")}
    values, errors = rechecks.parse_recheck(form)
    if values["record"] is None:  # no record named: nowhere to show a message but on its own
        return error_response(422, errors["record"], code="invalid", errors=errors)
    if not errors:
        try:
            rechecks.record(current_user, values["record"], values)
        except rechecks.NotSampled:
            abort(404)
    row = rechecks.sampled_record(current_user, values["record"], request.form.get("as_of", ""),
                                  request.form.get("seed", ""))
    if row is None:
        abort(404)
    return _recorded(row, form, errors)


def _recorded(row, form, errors):
    """The answer to a 回访 sent from the sample page (`row`: its record in the sample shown there)."""
    if is_htmx():
        figures = rechecks.figures([row.community_id]).get(row.community_id, rechecks.EMPTY)
        return render_template("rechecks/_recorded.html", item=_item(row), errors=errors, form=form,
                               saved=not errors, figures=figures, **_words()), 422 if errors else 200
    if errors:
        return _sample_page(row.community, {"as_of": row.as_of.isoformat(), "seed": row.seed}, 422, errors,
                            at=row.survey_id, form=form)
    flash(f"已登记回访：{row.survey.unit.address} {rechecks.RESULTS[row.result]}")
    return redirect(_sample_url(row.community_id, row.as_of, row.seed, anchor=f"r-{row.survey_id}"), 303)


# --- the API --------------------------------------------------------------------------------------------------------


@bp.post("/api/v1/rechecks/draw")
@requires("rechecks.work")
def draw_json():
    """Draw a 居委's sample (201), or answer the one drawn before with the same 居委, as_of and seed (200)."""
    values, errors = rechecks.parse_draw(request.get_json(silent=True))
    if errors:
        return error_response(422, "请求内容有误，请按提示修改", code="invalid", errors=errors)
    community = _community_or_404(values["community"])
    found = rechecks.draw(current_user, community, values["as_of"] or today_local(), values["seed"], _rule())
    return jsonify(rechecks.sample_as_dict(found)), 201 if found.created else 200


@bp.post("/api/v1/rechecks")
@requires("rechecks.work")
def record_json():
    """Record what the 回访 of a sampled record found (sent again unchanged, nothing changes)."""
    values, errors = rechecks.parse_recheck(request.get_json(silent=True))
    if errors:
        return error_response(422, "请求内容有误，请按提示修改", code="invalid", errors=errors)
    try:
        row, _changed = rechecks.record(current_user, values["record"], values)
    except rechecks.NotSampled:
        return error_response(404, "本街道的回访样本中没有这条记录")
    return jsonify(rechecks.answer_as_dict(row))
