"""考核排名 and the 通报 draft (design section 12): the sortable page, its workbook, the .docx draft and
GET /api/v1/ranking. The figures and their one definition are domain.supervision.ranking's; whose ranking a user
sees is domain.org.permissions.ranking_place's (404 outside it)."""
import io

from flask import Blueprint, abort, request, send_file, url_for
from flask_login import current_user

from blueprints.errors import error_response
from blueprints.guard import requires
from blueprints.tables import DOCX, XLSX, BadDate, json_answer, parse_as_of
from domain.common.clock import last_wednesday, today_local
from domain.org.permissions import can, ranking_place
from domain.supervision import bulletin, ranking
from models import audit
from templating import render

bp = Blueprint("ranking", __name__)


class BadQuery(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def _day():
    """The ?as_of= day (today when absent); BadQuery otherwise."""
    try:
        return parse_as_of(request.args.get("as_of"))
    except BadDate as exc:
        raise BadQuery("as_of", str(exc))


def _place_and_level():
    """(place, level) of ?district= or ?street= and ?level=: BadQuery for a level that is none; 404 for a place outside
    the user's scope, or a level the place does not rank."""
    level = request.args.get("level") or None
    if level is not None and level not in ranking.LEVELS:
        raise BadQuery("level", "排名层级应为 " + "、".join(f"{k}（{v.label}）" for k, v in ranking.LEVELS.items()))
    place = ranking_place(current_user, request.args.get("district"), request.args.get("street"))
    if place is None or (level is not None and level not in ranking.levels_of(place)):
        abort(404)
    return place, level


def _asked():
    day = _day()
    return (day, *_place_and_level())


def _exported(kind, result):
    """Audit an export (design section 3) and name its file: 长宁区考核排名（街镇）_2023-03-31.xlsx."""
    audit(current_user, f"export_ranking_{kind}", result.place,
          f"level={result.level.key} as_of={result.as_of.isoformat()}")
    return f"{result.title}_{result.as_of.isoformat()}.{kind}"


@bp.get("/api/v1/ranking")
@requires("ranking.view")
def api_ranking():
    try:
        day, place, level = _asked()
    except BadQuery as exc:
        return error_response(422, str(exc), code="invalid", errors={exc.field: str(exc)})
    result = ranking.ranking(day, place, level)
    _exported("json", result)
    return json_answer(result.as_json())


def _sort():
    """?sort= (a column, rank or name) and ?dir= (asc, desc; default: the column's better end first)."""
    direction = request.args.get("dir")
    return request.args.get("sort") or "rank", direction if direction in (ranking.ASC, ranking.DESC) else None


@bp.get("/ranking/")
@requires("ranking.view")
def page():
    """The ranking on a phone: the as-of date, a tab per level the place ranks, every column sortable."""
    try:
        day, date_error = _day(), None
    except BadQuery as exc:
        day, date_error = today_local(), str(exc)  # the page shows today, with the message at the field
    try:
        place, level = _place_and_level()
    except BadQuery as exc:
        return error_response(422, str(exc))
    result = ranking.ranking(day, place, level)
    sort, direction = _sort()
    today = today_local()
    return render("ranking/index.html", "ranking/_ranking.html", 422 if date_error else 200,
                  result=result, rows=result.sorted_rows(sort, direction), sort=sort, direction=direction,
                  as_of=day, today=today, wednesday=last_wednesday(today), date_error=date_error,
                  levels=[ranking.LEVELS[k] for k in ranking.levels_of(place)], rule=ranking.ranking_rule(result),
                  **_kept(direction))


def _kept(direction):
    """What the page's links keep: `keep`, the district or street drilled into; `view`, the level and sort asked for;
    `kept`, both."""
    keep = {k: request.args[k] for k in ("district", "street") if request.args.get(k)}
    view = {k: request.args[k] for k in ("level", "sort") if request.args.get(k)}
    if direction:
        view["dir"] = direction
    return {"keep": keep, "view": view, "kept": {**keep, **view}}


@bp.get("/ranking/ranking.xlsx")
@requires("ranking.view")
def workbook():
    """The ranking as shown (its sort too) as a workbook."""
    try:
        day, place, level = _asked()
    except BadQuery as exc:
        return error_response(422, str(exc))
    result = ranking.ranking(day, place, level)
    out = io.BytesIO()
    ranking.write_workbook(result, out, result.sorted_rows(*_sort()))
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=_exported("xlsx", result), mimetype=XLSX)


@bp.get("/ranking/bulletin.docx")
@requires("bulletin.draft")
def bulletin_docx():
    """The 通报 draft of the district (the city's: of its districts, or of one with ?district=), for it to edit."""
    try:
        day, place, _ = _asked()
    except BadQuery as exc:
        return error_response(422, str(exc))
    if place.kind not in ("district", "city"):
        abort(404)
    body = bulletin.draft_bulletin(day, place)
    audit(current_user, "export_bulletin", place, f"as_of={day.isoformat()}")
    name = f"{place.name}考核情况通报（草稿）_{day.isoformat()}.docx"
    return send_file(io.BytesIO(body), as_attachment=True, download_name=name, mimetype=DOCX)


@bp.app_context_processor
def ranking_helpers():
    def sort_url(key, current, direction, level):
        """The link of a column's header: its better end first, the other way when it is already sorted so."""
        first = ranking.default_direction(level, key)
        if key == current:
            first = ranking.ASC if (direction or first) == ranking.DESC else ranking.DESC
        # #sorted: the page opens at the sorted column (which may lie to the right of a phone's screen).
        return url_for("ranking.page", **{**request.args.to_dict(), "sort": key, "dir": first}, _anchor="sorted")

    return {"ranking_sort_url": sort_url, "ranking_cell": ranking.cell_text,
            "ranking_direction": ranking.default_direction,
            "can_draft_bulletin": lambda: can(current_user, "bulletin.draft")}
