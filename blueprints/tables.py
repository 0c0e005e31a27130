"""The plan's three tables and the problem list: JSON, .xlsx and CSV under /api/v1/tables/, pages under
/tables/, the work summary draft (design sections 6, 8 and 10). Every table is read from its definition
(domain.reporting.campaign_tables); each user sees the rows of its scope (domain.org.permissions.table_scope)."""
import datetime
import io
import json
from functools import wraps

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from blueprints.errors import error_response
from blueprints.guard import requires
from domain.casework import cases, institutions
from domain.common.clock import iso_day, last_wednesday, today_local
from domain.org.permissions import (
    can, collects_samples, own_scope, sees_whole_city, sees_whole_district, street_codes, table_scope,
)
from domain.reporting import campaign_tables
from domain.reporting.campaign import calendar
from domain.reporting.summary import draft_summary
from domain.reporting.tabledef import compute, district_org, text_value
from domain.reporting.tables import with_progress
from domain.reporting.workbook import date_line, table_csv, write_workbook
from models import REPORT_STATUSES, Org, audit
from templating import PAGE_SIZE, Page, page_number, render

bp = Blueprint("tables", __name__, cli_group=None)  # its commands are top-level: flask --app app …

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
AS_OF_RANGE = (datetime.date(2000, 1, 1), datetime.date(2100, 12, 31))


class BadDate(ValueError):
    pass


@bp.app_errorhandler(BadDate)
def bad_date(exc):
    """A ?as_of= that is no day: 422 with the message at the field, for any route that reads it with parse_as_of
    (the table pages show today instead, with the message: _day_or_message)."""
    return error_response(422, str(exc), code="invalid", errors={"as_of": str(exc)})


def parse_as_of(value):
    """The ?as_of= day (today when absent); BadDate with a Chinese message otherwise."""
    if not value:
        return today_local()
    try:
        day = iso_day(value)
    except ValueError:
        raise BadDate("统计日期格式应为 YYYY-MM-DD，例如 2023-03-29")
    # A campaign's dates, with room: 9999-12-31 would overflow "end of day D" in every table query.
    if not AS_OF_RANGE[0] <= day <= AS_OF_RANGE[1]:
        raise BadDate(f"统计日期应在 {AS_OF_RANGE[0]} 至 {AS_OF_RANGE[1]} 之间")
    return day


def table_street(user, code):
    """The street of ?street=CODE whose problem list `user` may see; without one, the district's (district users)
    or None for the whole city. 404 for a street outside the user's scope."""
    if not code and sees_whole_district(user):
        return None if sees_whole_city(user) else user.org
    street = Org.get_or_none((Org.code == (code or user.org_id)) & (Org.kind == "street"))
    if street is None or street.code not in street_codes(user):
        abort(404)
    return street


def _day_or_message():
    """The ?as_of= day; on a bad date, the API's 422 answer, or today with the message kept for the page."""
    try:
        return parse_as_of(request.args.get("as_of")), None
    except BadDate as exc:
        if request.path.startswith("/api/"):
            return None, error_response(422, str(exc), code="invalid", errors={"as_of": str(exc)})
        g.date_error = str(exc)  # the page shows today, with the message at the field
        return today_local(), None


def tables_view(view):
    """Parses ?as_of= and ?street= into `day` and `street` (who may see tables: @requires("tables.view"))."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        day, answer = _day_or_message()
        if answer is not None:
            return answer
        return view(*args, day=day, street=table_street(current_user, request.args.get("street")), **kwargs)
    return wrapped


def campaign_view(view):
    """Parses ?as_of= into `day`, and ?street= or ?department= into `scope`, whose tables the user sees
    (domain.org.permissions.table_scope; 404 outside the user's scope)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        day, answer = _day_or_message()
        if answer is not None:
            return answer
        scope = table_scope(current_user, request.args.get("street"), request.args.get("department"),
                            request.args.get("district"))
        if scope is None:
            abort(404)
        return view(*args, day=day, scope=scope, **kwargs)
    return wrapped


def table_or_404(number, scope):
    """The definition of 附件`number` if it applies to `scope` (a street has no 附件2, a department no 附件1)."""
    definition = next((t for t in campaign_tables.tables_for(scope) if t.number == number), None)
    if definition is None:
        abort(404)
    return definition


def _export(kind, day, scope, result=None):
    """Audit an export (design section 3) and name its file: 长宁区华阳路街道消防培训情况排摸统计表_2023-03-22.xlsx."""
    action = f"export_table{result.table.number}_{kind}" if result else f"export_tables_{kind}"
    audit(current_user, action, scope.org or Org(code="", name=""), f"as_of={day.isoformat()}")
    what = result.table.name if result else "专项整治统计表"
    return f"{scope.filled_by(scope.heading() or district_org())}{what}_{day.isoformat()}.{kind}"


def _problems(number, day, scope):
    """附件1's workbook carries the 问题清单 of its scope."""
    return institutions.problem_list(day, scope.place) if number == 1 else None


def _xlsx(results, problems, name):
    out = io.BytesIO()
    write_workbook(results, out, problems=problems)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=name, mimetype=XLSX)


def json_answer(body):
    # Keys in the order of the columns (design section 8), so not jsonify's sorted keys.
    return current_app.response_class(json.dumps(body, ensure_ascii=False), mimetype="application/json")


# --- API ----------------------------------------------------------------------------------------------------


@bp.get("/api/v1/tables/<int:table_number>")
@requires("tables.campaign")
@campaign_view
def table_json(table_number, day, scope):
    result = compute(table_or_404(table_number, scope), day, scope)
    _export("json", day, scope, result)
    return json_answer(result.as_json())


@bp.get("/api/v1/tables/<int:table_number>.xlsx")
@requires("tables.campaign")
@campaign_view
def table_xlsx(table_number, day, scope):
    result = compute(table_or_404(table_number, scope), day, scope)
    return _xlsx([result], _problems(table_number, day, scope), _export("xlsx", day, scope, result))


@bp.get("/api/v1/tables/<int:table_number>.csv")
@requires("tables.campaign")
@campaign_view
def table_csv_file(table_number, day, scope):
    result = compute(table_or_404(table_number, scope), day, scope)
    return send_file(io.BytesIO(table_csv(result)), as_attachment=True,
                     download_name=_export("csv", day, scope, result), mimetype="text/csv")


@bp.get("/api/v1/tables/all.xlsx")
@requires("tables.campaign")
@campaign_view
def all_tables_xlsx(day, scope):
    """One workbook with every table the scope has (the district: all three)."""
    results = campaign_tables.results_for(scope, day)
    problems = _problems(1, day, scope) if any(r.table.number == 1 for r in results) else None
    return _xlsx(results, problems, _export("xlsx", day, scope))


# --- pages --------------------------------------------------------------------------------------------------


def _dates(day):
    """The date picker's values; the page answers 422 when ?as_of= could not be read."""
    today = today_local()
    return {"as_of": day, "today": today, "wednesday": last_wednesday(today), "date_error": g.get("date_error"),
            "status": 422 if g.get("date_error") else 200}


def kept_scope(scope):
    """The query that keeps the district, street or department the district or the city drilled into (nothing
    for anyone else)."""
    if not sees_whole_district(current_user) or scope.code == current_user.org_id:
        return {}
    return {scope.kind: scope.code}


def _table_page(number, day, scope):
    definition = table_or_404(number, scope)
    dates = _dates(day)
    keep = kept_scope(scope)
    result = compute(definition, day, scope)
    if definition.number == 1:
        with_progress(result)  # the progress charts under 附件1
    return render("tables/index.html", "tables/_table.html", dates.pop("status"), result=result, scope=scope, street=scope.street, keep=keep,
                  query={"as_of": day.isoformat(), **keep}, link_args={**request.view_args, **keep},
                  calendar=calendar(), **dates)


def table_url(number, **query):
    return url_for("tables.index", **query) if number == 1 else url_for("tables.page", table_number=number, **query)


def tables_menu(active):
    """[(label, url, current)] of the tables area for the current user: the tables of its scope, the
    problem list, what it enters, 报送."""
    user = current_user
    scope = own_scope(user) if not sees_whole_district(user) else table_scope(user)
    items = [(f"附件{t.number}", table_url(t.number), active == f"table{t.number}")
             for t in campaign_tables.tables_for(scope)] if scope else []
    links = (("tables.view", "tables.problems", "问题清单"), ("spot_checks.enter", "entries.spot_checks_page", "录入抽查"),
             ("samples.collect", "entries.samples", "送检样品"), ("actions.enter", "entries.actions_page", "录入行动"),
             ("submissions.view", "submissions.index", "报送"), ("submissions.review", "submissions.board", "报送情况"))
    for action, endpoint, label in links:
        if can(user, action) and (endpoint != "entries.samples" or collects_samples(user)):
            items.append((label, url_for(endpoint), active == endpoint))
    return items


@bp.app_context_processor
def table_helpers():
    return {"cell_text": lambda column, figures: text_value(column, figures[column.field]), "date_line": date_line,
            "table_url": table_url, "tables_menu": tables_menu}


@bp.get("/tables/")
@requires("tables.view")
@campaign_view
def index(day, scope):
    """附件1 on screen: the street rows (district), or one street's 居委 rows with progress charts."""
    return _table_page(1, day, scope)


@bp.get("/tables/<int:table_number>")
@requires("tables.campaign")
@campaign_view
def page(table_number, day, scope):
    """附件`table_number` on screen, for the rows of the user's scope."""
    return _table_page(table_number, day, scope)


@bp.get("/tables/summary.docx")
@requires("summary.draft")
@campaign_view
def summary_docx(day, scope):
    """The 工作总结 draft as a Word document, with the figures up to the day."""
    body = draft_summary(scope, calendar().campaign, day)
    audit(current_user, "export_summary", scope.org or Org(code="", name=""), f"as_of={day.isoformat()}")
    name = f"{scope.filled_by(scope.heading() or district_org())}工作总结（草稿）_{day.isoformat()}.docx"
    return send_file(io.BytesIO(body), as_attachment=True, download_name=name, mimetype=DOCX)


def _street_only(place):
    """What the pages keep of a place as ?street=: a street (a district is the user's own, kept by no query)."""
    return place if place is not None and place.kind == "street" else None


@bp.get("/tables/problems")
@requires("tables.view")
@tables_view
def problems(day, street):
    """The problem list of the user's place as of the day, 50 a page (the .xlsx has them all), narrowed by ?q= (a
    part of a name or a phone: so that two institutions to merge are on one page)."""
    query = request.args.get("q", "").strip()[:50]
    found, number, total = institutions.problem_page(day, street, query, page_number())
    shown = Page(found, number, max(1, -(-total // PAGE_SIZE)), total)
    return render("tables/problems.html", "tables/_problems.html",
                  problems=shown.items, shown=shown, q=query, street=_street_only(street), place=street,
                  decisions=institutions.decisions() if can(current_user, "problems.decide") else [], **_dates(day))


@bp.get("/tables/problems/institution")
@requires("tables.view")
@tables_view
def institution(day, street):
    found = institutions.find_institution(day, request.args.get("key", ""), street)
    if found is None:
        abort(404)
    dates = _dates(day)
    return render_template("tables/institution.html", item=found, street=_street_only(street),
                           links=institutions.links(found),
                           case_id=cases.case_id_of(found),
                           splits=institutions.split_pairs(), REPORT_STATUSES=REPORT_STATUSES,
                           community_names=institutions.community_names(), **dates), dates["status"]


@bp.post("/tables/problems/merge")
@requires("problems.decide")
def merge():
    try:
        institutions.merge(current_user, request.form.get("key_a", ""), request.form.get("key_b", ""),
                           request.form.get("note", "").strip())
    except institutions.DecisionError as exc:
        return error_response(422, str(exc), code="invalid")
    return redirect(url_for("tables.problems", as_of=request.form.get("as_of") or None))


@bp.post("/tables/problems/split")
@requires("problems.decide")
def split():
    try:
        institutions.split(current_user, request.form.get("name_id", ""), request.form.get("phone_id", ""),
                           request.form.get("note", "").strip())
    except institutions.DecisionError as exc:
        return error_response(422, str(exc), code="invalid")
    return redirect(url_for("tables.problems", as_of=request.form.get("as_of") or None))


@bp.post("/tables/problems/decisions/<int:decision_id>/undo")
@requires("problems.decide")
def undo(decision_id):
    if not institutions.undo(current_user, decision_id):
        abort(404)
    return redirect(url_for("tables.problems", as_of=request.form.get("as_of") or None))
