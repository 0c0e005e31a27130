"""The roster (底数清单, design section 11): a street's import (file → preview → confirm), its template, coverage,
and the same through the API (`POST /api/v1/roster`, `GET /api/v1/coverage`) and the command line
(`flask --app app import-roster FILE [--dry-run]`)."""
import os
import secrets
import time
from urllib.parse import quote

import click
from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.errors import error_response
from blueprints.guard import requires
from blueprints.tables import parse_as_of
from domain.common.clock import today_local
from domain.org.permissions import community_codes, street_codes
from domain.roster import coverage, files, imports, lists
from models import Org, db

bp = Blueprint("roster", __name__, cli_group=None)  # its commands are top-level: flask --app app …
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _max_rows():
    return current_app.config.get("ROSTER_MAX_ROWS", imports.MAX_ROWS)


# --- the street's pages: coverage, and an import previewed before it is applied ---------------------------


@bp.get("/roster/")
@requires("roster.import")
def index():
    return render_template("roster/index.html", coverage=coverage.coverage(today_local(), street_codes(current_user)),
                           labels=coverage.LABELS, keys=coverage.KEYS, max_rows=_max_rows(),
                           off_roster=imports.off_roster_units(current_user))


@bp.post("/roster/add")
@requires("roster.import")
def add_off_roster():
    """清单外 units ticked on the roster page go onto the roster, in one step."""
    ids = [int(i) for i in request.form.getlist("unit") if i.isascii() and i.isdigit()]
    added = imports.add_to_roster(current_user, ids)
    flash(f"已把 {added} 个清单外单位加入底数清单" if added else "没有选中清单外单位")
    return redirect(url_for("roster.index"), 303)


@bp.get("/roster/template.xlsx")
@requires("roster.import")
def template():
    return Response(files.template_workbook(), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote('底数清单模板.xlsx')}"})


@bp.post("/roster/preview")
@requires("roster.import")
def preview():
    """Read the uploaded file and show what importing it would do; keep the file for the confirmation."""
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    planned, skipped, message = _planned(data)
    if message:
        return render_template("roster/preview.html", message=message, planned=None), 422
    token = _keep(data) if not planned.errors else ""
    return render_template("roster/preview.html", planned=planned, token=token, message="", skipped=skipped,
                           labels=imports.FIELD_LABELS), 422 if planned.errors else 200


@bp.post("/roster/confirm")
@requires("roster.import")
def confirm():
    """Apply the file previewed (planned again: the roster may have changed meanwhile)."""
    path = _kept_path(request.form.get("token", ""))
    if path is None or not os.path.exists(path):
        flash("预览已过期，请重新上传文件")
        return redirect(url_for("roster.index"), 303)
    with open(path, "rb") as fh:
        data = fh.read()
    planned, skipped, message = _planned(data)
    if message or planned.errors:
        return render_template("roster/preview.html", message=message, planned=planned, token="", skipped=skipped,
                               labels=imports.FIELD_LABELS), 422
    figures = imports.apply(current_user, planned)
    os.remove(path)
    flash(f"底数清单已导入：新增 {figures['added']}，未变 {figures['unchanged']}，变更 {figures['changed']}，"
          f"移出 {figures['retired']}")
    return redirect(url_for("roster.index"), 303)


def _planned(data):
    """(plan, example rows skipped, message) of an uploaded file: the message says why it could not be read."""
    try:
        sheet = files.read_roster(data, max_rows=_max_rows())
    except files.RosterFileError as exc:
        return None, 0, str(exc)
    rows = [row for row in sheet.rows if tuple(row[1:4]) != files.TEMPLATE_EXAMPLE[:3]]  # the template's example
    return imports.plan(current_user, rows), len(sheet.rows) - len(rows), ""


def _uploads():
    folder = os.path.join(current_app.instance_path, "roster-uploads")
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):  # previews nobody confirmed within a day
        path = os.path.join(folder, name)
        if os.path.getmtime(path) < time.time() - 86400:
            os.remove(path)
    return folder


def _keep(data):
    token = secrets.token_hex(16)
    with open(os.path.join(_uploads(), f"{current_user.id}-{token}"), "wb") as fh:
        fh.write(data)
    return token


def _kept_path(token):
    """The file kept for this user's preview `token` (another user's token finds nothing)."""
    if not (len(token) == 32 and all(c in "0123456789abcdef" for c in token)):
        return None
    return os.path.join(_uploads(), f"{current_user.id}-{token}")


# --- the API ----------------------------------------------------------------------------------------------


@bp.post("/api/v1/roster")
@requires("roster.import")
def import_rows():
    """Replace the roster of each 居委 in `rows` (`?dry_run=1`: only say what it would do). Any bad row and
    nothing is applied: 422 with every row's error."""
    dry_run = request.args.get("dry_run", "")
    if dry_run not in ("", "0", "1"):
        return error_response(422, "dry_run 应为 0 或 1", code="invalid", errors={"dry_run": "应为 0 或 1"})
    rows, errors = imports.rows_of_body(request.get_json(silent=True))
    if errors:
        return error_response(422, "请求内容有误，请按提示修改", code="invalid", errors=errors)
    if len(rows) > _max_rows():
        return error_response(422, f"行数超过上限 {_max_rows():,} 行", code="invalid", errors={"rows": "行数过多"})
    planned = imports.plan(current_user, rows)
    if planned.errors:
        return error_response(422, f"有 {len(planned.errors)} 行有误，未导入任何数据", code="invalid",
                              **planned.figures())
    if dry_run == "1":
        return jsonify(planned.figures())
    return jsonify(imports.apply(current_user, planned))


@bp.get("/api/v1/coverage")
@requires("coverage.view")
def coverage_json():
    """Coverage per street and 居委 as of ?as_of= (today when absent), narrowed to ?street= in the caller's scope."""
    day = parse_as_of(request.args.get("as_of"))
    streets = street_codes(current_user)
    street = request.args.get("street", "")
    if street:
        if street not in streets:
            abort(404)
        streets = [street]
    return jsonify(coverage.coverage(day, streets))


@bp.get("/api/v1/roster/<community>/not-visited")
@requires("roster.view")
def not_visited_json(community):
    """The 未走访清单 of a 居委 in the caller's scope as of ?as_of= (today when absent)."""
    community, day = _community_and_day(community)
    return jsonify({"community": community.code, "name": community.name, "as_of": day.isoformat(),
                    "units": lists.not_visited(community.code, day)})


@bp.get("/api/v1/roster/<community>/not-visited.xlsx")
@requires("roster.view")
def not_visited_workbook(community):
    community, day = _community_and_day(community)
    data = lists.not_visited_workbook(community.name, day, lists.not_visited(community.code, day))
    name = quote(f"{community.name}未走访清单{day.isoformat()}.xlsx")
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


def _community_and_day(code):
    """(the 居委, the ?as_of= day) for a 居委 in the caller's scope (404 for any other; 422 for a bad day)."""
    community = Org.get_or_none((Org.code == code) & (Org.kind == "community")
                                & Org.code.in_(community_codes(current_user)))
    if community is None:
        abort(404)
    return community, parse_as_of(request.args.get("as_of"))


# --- the command line ------------------------------------------------------------------------------------


@bp.cli.command("import-roster")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只预览，不写入")
def import_roster_command(path, dry_run):
    """Import a roster (.xlsx or .csv, design section 11): it replaces the roster of each 居委 in the file."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        sheet = files.read_roster(data, path, max_rows=current_app.config.get("ROSTER_MAX_ROWS", imports.MAX_ROWS))
    except files.RosterFileError as exc:
        raise click.ClickException(str(exc)) from None
    planned = imports.plan(None, sheet.rows)
    figures = planned.figures()
    click.echo(f"新增 {figures['added']}，未变 {figures['unchanged']}，变更 {figures['changed']}，"
               f"移出 {figures['retired']}（居委 {len(planned.communities)} 个）")
    for error in planned.errors:
        click.echo(f"第 {error.row} 行 {imports.FIELD_LABELS[error.field]}：{error.message}", err=True)
    if planned.errors:
        raise click.ClickException(f"有 {len(planned.errors)} 行有误，未导入任何数据")
    if dry_run:
        click.echo("预览：未写入任何数据")
        return
    with db.connection_context():
        imports.apply(None, planned)
    click.echo("已导入")
