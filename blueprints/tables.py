"""附件1 and the problem list for street and district users: JSON, .xlsx and CSV under /api/v1/tables/,
pages under /tables/ (design sections 6 and 8)."""
import datetime
import io
import json
from functools import wraps

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from blueprints.errors import error_response
from domain import cases, institutions
from domain.clock import last_wednesday, today_local
from domain.tables import COLUMNS, table1
from domain.workbook import table1_csv, write_table1
from models import REPORT_STATUSES, Org, audit
from permissions import can, requires, sees_whole_district, street_codes
from templating import render

bp = Blueprint("tables", __name__, cli_group=None)  # its commands are top-level: flask --app app …

AS_OF_RANGE = (datetime.date(2000, 1, 1), datetime.date(2100, 12, 31))


class BadDate(ValueError):
    pass


def parse_as_of(value):
    """The ?as_of= day (today when absent); BadDate with a Chinese message otherwise."""
    if not value:
        return today_local()
    try:
        day = datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise BadDate("统计日期格式应为 YYYY-MM-DD，例如 2023-03-29")
    # A campaign's dates, with room: 9999-12-31 would overflow "end of day D" in every table query.
    if not AS_OF_RANGE[0] <= day <= AS_OF_RANGE[1]:
        raise BadDate(f"统计日期应在 {AS_OF_RANGE[0]} 至 {AS_OF_RANGE[1]} 之间")
    return day


def table_street(user, code):
    """The street of ?street=CODE whose tables `user` may see; None for the whole district (district users
    only). 404 for a street outside the user's scope."""
    if not code and sees_whole_district(user):
        return None
    street = Org.get_or_none((Org.code == (code or user.org_id)) & (Org.kind == "street"))
    if street is None or street.code not in street_codes(user):
        abort(404)
    return street


def tables_view(view):
    """Parses ?as_of= and ?street= into `day` and `street` (who may see tables: @requires("tables.view"))."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            day = parse_as_of(request.args.get("as_of"))
        except BadDate as exc:
            if request.path.startswith("/api/"):
                return error_response(422, str(exc), code="invalid", errors={"as_of": str(exc)})
            g.date_error, day = str(exc), today_local()  # the page shows today, with the message at the field
        return view(*args, day=day, street=table_street(current_user, request.args.get("street")), **kwargs)
    return wrapped


def _export(kind, day, street):
    scope = street or Org.select().where(Org.kind == "district").first() or Org(code="", name="")
    audit(current_user, f"export_table1_{kind}", scope, f"as_of={day.isoformat()}")
    return f"{scope.name}消防培训情况排摸统计表_{day.isoformat()}.{kind}"


# --- API ----------------------------------------------------------------------------------------------------


@bp.get("/api/v1/tables/1")
@requires("tables.view")
@tables_view
def table1_json(day, street):
    _export("json", day, street)
    # Keys in the order of the 附件1 columns (design section 8), so not jsonify's sorted keys.
    body = json.dumps(table1(day, street).as_json(), ensure_ascii=False)
    return current_app.response_class(body, mimetype="application/json")


@bp.get("/api/v1/tables/1.xlsx")
@requires("tables.view")
@tables_view
def table1_xlsx(day, street):
    out = io.BytesIO()
    write_table1(table1(day, street), institutions.problem_list(day, street), out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=_export("xlsx", day, street),
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/api/v1/tables/1.csv")
@requires("tables.view")
@tables_view
def table1_csv_file(day, street):
    return send_file(io.BytesIO(table1_csv(table1(day, street))), as_attachment=True,
                     download_name=_export("csv", day, street), mimetype="text/csv")


# --- pages --------------------------------------------------------------------------------------------------


def _dates(day):
    """The date picker's values; the page answers 422 when ?as_of= could not be read."""
    today = today_local()
    return {"as_of": day, "today": today, "wednesday": last_wednesday(today), "date_error": g.get("date_error"),
            "status": 422 if g.get("date_error") else 200}


@bp.get("/tables/")
@requires("tables.view")
@tables_view
def index(day, street):
    """附件1 on screen: the street rows (district), or one street's 居委 rows with progress charts."""
    return render("tables/index.html", "tables/_table.html", table=table1(day, street), street=street,
                  COLUMNS=COLUMNS, **_dates(day))


@bp.get("/tables/problems")
@requires("tables.view")
@tables_view
def problems(day, street):
    return render("tables/problems.html", "tables/_problems.html",
                  problems=institutions.problem_list(day, street), street=street,
                  decisions=institutions.decisions() if can(current_user, "problems.decide") else [], **_dates(day))


@bp.get("/tables/problems/institution")
@requires("tables.view")
@tables_view
def institution(day, street):
    found = institutions.find_institution(day, request.args.get("key", ""), street)
    if found is None:
        abort(404)
    dates = _dates(day)
    return render_template("tables/institution.html", item=found, street=street, links=institutions.links(found),
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
