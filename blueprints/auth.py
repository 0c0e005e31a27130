"""Logging in and out, and the profile page with the user's API tokens."""
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer

import extensions
from blueprints.errors import retry_words
from blueprints.guard import public, requires
from domain.org import accounts, login_throttle
from models import ApiToken

bp = Blueprint("auth", __name__)


def safe_next(target, default=None):
    """`target` when it is a path of this site, else `default` (the home page): an open redirect after login is
    a phishing tool. Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so
    `/<TAB>/evil` and `/\\evil` lead to another host; a CR LF would also break the Location header. Such targets
    are refused whole rather than cleaned."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in target)):
        return default or url_for("main.home")
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default or url_for("main.home")


DEVICE_COOKIE = "paimo_device"
DEVICE_DAYS = 90
DEVICE_ACCOUNTS = 8  # a shared office PC remembers this many accounts


def _device_serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt="paimo-login-device")


def _device_cookie():
    """{"d": device id, "a": [account keys]} of the signed device cookie a successful login leaves, or {}."""
    try:
        value = _device_serializer().loads(request.cookies.get(DEVICE_COOKIE, ""), max_age=DEVICE_DAYS * 86400)
    except BadData:
        return {}
    return value if isinstance(value, dict) and isinstance(value.get("a"), list) else {}


def _attempt(username):
    """This login attempt as the throttle counts it: the account, the real client address, and the device
    when the browser logged in to this account before (domain/org/login_throttle.py)."""
    account = login_throttle.account_key(username)
    cookie = _device_cookie()
    device = cookie.get("d", "") if account in cookie.get("a", []) else ""
    return login_throttle.Attempt(account=account, address=request.remote_addr or "", device=str(device))


def _remember_device(response, attempt):
    cookie = _device_cookie()
    accounts_seen = [attempt.account] + [a for a in cookie.get("a", []) if a != attempt.account]
    value = {"d": cookie.get("d") or secrets.token_urlsafe(16), "a": accounts_seen[:DEVICE_ACCOUNTS]}
    response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps(value), max_age=DEVICE_DAYS * 86400,
                        path=url_for("auth.login"), secure=current_app.config["SESSION_COOKIE_SECURE"],
                        httponly=True, samesite="Lax")
    return response


def _login_page(error=None, status=200):
    return render_template("auth/login.html", error=error, username=request.form.get("username", "")), status


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    if request.method == "GET":
        return _login_page()
    username = request.form.get("username", "").strip()
    attempt, throttle = _attempt(username), extensions.login_throttle()
    wait = throttle.wait(attempt)
    if wait:
        page, status = _login_page(f"操作太频繁：登录失败次数太多，{retry_words(wait)}。忘记密码请联系管理员。", 429)
        return page, status, {"Retry-After": str(wait)}
    user = accounts.authenticate(username, request.form.get("password", ""),
                                 current_app.config["PASSWORD_HASH_METHOD"])
    if user is None:
        throttle.failed(attempt)
        return _login_page("用户名或密码不正确", 401)
    throttle.succeeded(attempt)
    session.permanent = True
    login_user(accounts.start_session(user))
    return _remember_device(redirect(safe_next(request.args.get("next"))), attempt)


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
