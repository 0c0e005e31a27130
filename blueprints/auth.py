"""Logging in and out, and the profile page with the user's API tokens."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from domain import accounts
from extensions import limiter
from models import ApiToken
from permissions import public, requires

bp = Blueprint("auth", __name__)


def _login_username():
    return "user:" + request.form.get("username", "").strip().lower()


def _safe_next(target):
    # Only same-site paths: an open redirect after login is a phishing tool.
    return target if target and target.startswith("/") and not target.startswith("//") else url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT"], key_func=_login_username, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    error = None
    if request.method == "POST":
        user = accounts.authenticate(request.form.get("username", "").strip(), request.form.get("password", ""))
        if user:
            session.permanent = True
            login_user(accounts.start_session(user))
            return redirect(_safe_next(request.args.get("next")))
        error = "用户名或密码不正确"
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, username=request.form.get("username", "")), status


@bp.post("/logout")
@public
def logout():
    if current_user.is_authenticated:
        accounts.end_session(current_user.session_key)
        logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def render_profile(new_token=None, password_errors=None, status=200):
    tokens = current_user.tokens.order_by(ApiToken.created_at.desc())
    return render_template("auth/profile.html", tokens=tokens, new_token=new_token,
                           password_errors=password_errors or {}), status


@bp.get("/profile")
@requires("account")
def profile():
    return render_profile()


@bp.post("/profile/password")
@requires("account")
def change_password():
    errors = accounts.change_password(current_user, request.form.get("current_password", ""),
                                      request.form.get("new_password", ""), request.form.get("new_password_again", ""),
                                      current_app.config["PASSWORD_HASH_METHOD"])
    if errors:
        return render_profile(password_errors=errors, status=422)
    flash("密码已修改。其他手机和电脑上的登录已退出，请用新密码登录。")
    return redirect(url_for("auth.profile"), 303)


@bp.post("/profile/tokens")
@requires("account")
def new_token():
    name = request.form.get("name", "").strip()[:64]
    _, token = accounts.issue_token(current_user, name)
    return render_profile(new_token=token)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@requires("account")
def revoke_token(token_id):
    if not current_user.tokens.where(ApiToken.id == token_id).exists():
        abort(404)
    if accounts.revoke_token(current_user, token_id):
        flash("令牌已作废")
    return redirect(url_for("auth.profile"))
