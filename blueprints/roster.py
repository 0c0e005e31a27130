"""The roster (底数清单, design section 11): a street's import (file → preview → confirm), its template, coverage,
and the same through the API (`POST /api/v1/roster`, `GET /api/v1/coverage`) and the command line
(`flask --app app import-roster FILE [--dry-run]`)."""
import click
from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user

from blueprints.errors import error_response
from blueprints.guard import requires
from blueprints.tables import BadDate, parse_as_of
from domain.org.permissions import street_codes
from domain.roster import coverage, files, imports
from models import db

bp = Blueprint("roster", __name__, cli_group=None)  # its commands are top-level: flask --app app …


def _max_rows():
    return current_app.config.get("ROSTER_MAX_ROWS", imports.MAX_ROWS)


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
    try:
        day = parse_as_of(request.args.get("as_of"))
    except BadDate as exc:
        return error_response(422, str(exc), code="invalid", errors={"as_of": str(exc)})
    streets = street_codes(current_user)
    street = request.args.get("street", "")
    if street:
        if street not in streets:
            abort(404)
        streets = [street]
    return jsonify(coverage.coverage(day, streets))


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
