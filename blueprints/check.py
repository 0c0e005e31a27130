"""`/check`: anyone looks an institution up against the approved list (design section 5); the district keeps
the list at `/check/approved`; `import-approved FILE.csv` loads it from the command line."""
import click
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.guard import public, requires
from domain.org.org_import import ImportError_
from domain.public import approved
from models import ApprovedInstitution

bp = Blueprint("check", __name__, cli_group=None)  # its commands are top-level: flask --app app …


LISTED = 100  # entries the public list shows at once; more are found by searching


@bp.get("/check", strict_slashes=False)
@public
def index():
    """The published list (the plan's 公布名单), searchable; a name typed in full gets a plain verdict."""
    query = request.args.get("q", "").strip()[:200]
    current, expired = approved.lookup(query) if query else ([], [])
    published = approved.published(query)
    return render_template("check/index.html", query=query, current=current, expired=expired,
                           listed=list(published.limit(LISTED)), total=published.count())


# --- the district keeps the list ------------------------------------------------------------------------

def entry_or_404(entry_id):
    entry = ApprovedInstitution.get_or_none(ApprovedInstitution.id == entry_id)
    return entry or abort(404)


def render_list(errors=None, form=None, status=200):
    search = request.args.get("q", "").strip()
    return render_template("check/approved.html", entries=approved.entries(search), search=search,
                           columns=approved.CSV_COLUMNS.values(), errors=errors or {}, form=form or {}), status


@bp.get("/check/approved")
@requires("approved.manage")
def approved_list():
    return render_list()


@bp.get("/check/approved/template.csv")
@requires("approved.manage")
def approved_template():
    """A CSV with the header `import-approved` reads and one example line, to fill in with Excel or WPS."""
    return Response(approved.csv_template(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=approved-template.csv"})


@bp.post("/check/approved")
@requires("approved.manage")
def add_approved():
    try:
        entry = approved.add_entry(current_user, request.form)
    except approved.ApprovedError as exc:
        return render_list(exc.errors, request.form, 422)
    flash(f"已添加：{entry.name}")
    return redirect(url_for("check.approved_list"), 303)


@bp.post("/check/approved/<int:entry_id>")
@requires("approved.manage")
def edit_approved(entry_id):
    entry = entry_or_404(entry_id)
    try:
        entry = approved.update_entry(current_user, entry, {"valid_until": request.form.get("valid_until", "")})
    except approved.ApprovedError as exc:
        flash(f"{entry.name}：{exc}")
        return redirect(url_for("check.approved_list"), 303)
    flash(f"已修改：{entry.name}，有效期至 {entry.valid_until or '长期'}")
    return redirect(url_for("check.approved_list"), 303)


@bp.post("/check/approved/<int:entry_id>/delete")
@requires("approved.manage")
def delete_approved(entry_id):
    entry = entry_or_404(entry_id)
    approved.delete_entry(current_user, entry)
    flash(f"已删除：{entry.name}")
    return redirect(url_for("check.approved_list"), 303)


@bp.post("/check/approved/import")
@requires("approved.manage")
def import_approved_file():
    upload = request.files.get("file")
    try:
        text = upload.read().decode("utf-8-sig") if upload else ""
        added, updated = approved.import_csv(text, current_user)
    except (ImportError_, UnicodeDecodeError) as exc:
        message = str(exc) if isinstance(exc, ImportError_) else "文件应为 UTF-8 编码的 CSV"
        return render_list({"file": f"导入失败，未写入任何数据：{message}"}, status=422)
    flash(f"已导入：新增 {added}，更新 {updated}")
    return redirect(url_for("check.approved_list"), 303)


@bp.cli.command("import-approved")
@click.argument("csv_file", type=click.File(encoding="utf-8-sig"))
def import_approved(csv_file):
    """Load the approved list from CSV_FILE (name,credit_code,address,phone,approval_no,valid_until)."""
    try:
        added, updated = approved.import_csv(csv_file.read())
    except ImportError_ as exc:
        raise click.ClickException(f"导入失败，未写入任何数据：{exc}")
    click.echo(f"已导入批准机构名单：新增 {added}，更新 {updated}")
