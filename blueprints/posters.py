"""Warning posters: staff of a 居委 (and its street and the district) make, list, print and retire them; each
poster's QR code (PNG, SVG) and a shareable image; `create-poster COMMUNITY_CODE LOCATION` on the command line."""
import click
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.guard import requires
from domain.org.permissions import can_see_community, community_codes, picks_community
from domain.public import posters
from extensions import scan_counter
from models import Org, audit

bp = Blueprint("posters", __name__, url_prefix="/posters", cli_group=None)  # commands: flask --app app …


def poster_or_404(code):
    poster = posters.poster_by_code(code)
    if poster is None or not can_see_community(current_user, poster.community_id):
        abort(404)
    return poster


def scope_communities():
    return Org.select().where((Org.kind == "community") & Org.code.in_(community_codes(current_user))).order_by(Org.code)


def public_base_url():
    """Where residents reach the app: BASE_URL when set, else the address this page was asked at (so that
    `make run PORT=5077` prints posters pointing at port 5077)."""
    return current_app.config["BASE_URL"] or request.url_root.rstrip("/")


def url_of(poster):
    return posters.report_url(public_base_url(), poster.code)


def check_url():
    return public_base_url() + url_for("check.index")


def render_index(errors=None, form=None, status=200):
    community = request.args.get("community", "")
    found = scan_counter().with_pending(posters.posters_in_scope(current_user, community))
    return render_template("posters/index.html", posters=found,
                           communities=scope_communities(), community=community, errors=errors or {},
                           form=form or {}, base_url=public_base_url()), status


@bp.get("/")
@requires("posters")
def index():
    return render_index()


@bp.post("/")
@requires("posters")
def create():
    community = request.form.get("community", "") if picks_community(current_user) else current_user.org_id
    try:
        poster = posters.create_poster(current_user, community, request.form.get("location"))
    except posters.PosterError as exc:
        return render_index(exc.errors, request.form, 422)
    flash(f"已生成海报 {poster.code}：{poster.location}")
    return redirect(url_for("posters.index", community=poster.community_id), 303)


@bp.post("/<code>/retire")
@requires("posters")
def retire(code):
    poster = posters.retire(current_user, poster_or_404(code))
    flash(f"海报 {poster.code} 已撤下；扫它的码仍可举报")
    return redirect(url_for("posters.index", community=poster.community_id), 303)


@bp.get("/<code>")
@requires("posters")
def print_one(code):
    poster = poster_or_404(code)
    audit(current_user, "export", poster, "print")
    return render_template("posters/print.html", posters=[poster], url_of=url_of, check_url=check_url())


@bp.get("/print")
@requires("posters")
def print_all():
    """Every current poster of one 居委 on its own A4 page, to print at once."""
    community = request.args.get("community", "") or ("" if picks_community(current_user) else current_user.org_id)
    if not community or not can_see_community(current_user, community):
        abort(404)
    chosen = list(posters.posters_in_scope(current_user, community, include_retired=False))
    for poster in chosen:
        audit(current_user, "export", poster, "print")
    return render_template("posters/print.html", posters=chosen, url_of=url_of, check_url=check_url())


@bp.get("/<code>/qr.png")
@requires("posters")
def qr_png(code):
    return Response(posters.qr_png(url_of(poster_or_404(code))), mimetype="image/png")


@bp.get("/<code>/qr.svg")
@requires("posters")
def qr_svg(code):
    return Response(posters.qr_svg(url_of(poster_or_404(code))), mimetype="image/svg+xml")


@bp.get("/<code>/share.png")
@requires("posters")
def share_png(code):
    poster = poster_or_404(code)
    try:
        font = posters.find_font(current_app.config.get("POSTER_FONT", ""))
    except posters.FontMissing as exc:
        return render_template("error.html", status=503, message=str(exc)), 503
    image = posters.share_png(url_of(poster), check_url(), poster.community.name, poster.location,
                              current_app.config["PUBLIC_HOTLINES"], font)
    audit(current_user, "export", poster, "share.png")
    return Response(image, mimetype="image/png",
                    headers={"Content-Disposition": f'inline; filename="poster-{poster.code}.png"'})


@bp.cli.command("create-poster")
@click.argument("community_code")
@click.argument("location")
def create_poster_command(community_code, location):
    """Make a poster for COMMUNITY_CODE at LOCATION; its code is the last line printed."""
    try:
        poster = posters.create_poster(None, community_code, location)
    except posters.PosterError as exc:
        raise click.ClickException(next(iter(exc.errors.values())))
    click.echo(f"已生成海报：{poster.community.name} {poster.location}")
    if current_app.config["BASE_URL"]:
        click.echo(posters.report_url(current_app.config["BASE_URL"], poster.code))
    else:
        click.echo(f"二维码链接：<网站地址>/r/{poster.code}（未设置 BASE_URL：按打开海报页面的地址生成）")
    click.echo(poster.code)
