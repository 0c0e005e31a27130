"""排摸通 (Paimo): the application factory. Served as `gunicorn 'app:create_app()'`."""
import os
import secrets

from flask import Flask, current_app, request
from flask_login import current_user

from config import Config
from domain import accounts
from extensions import csrf, limiter, login_manager
from models import bind_database, db

# Every URL an unsafe request may reach without a CSRF token: none, except bearer-token API calls.
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)

    bind_database(app.config["DATABASE_URL"])
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.session_protection = None  # the server-side session row is the protection

    _register_request_hooks(app)
    _register_blueprints(app)

    from blueprints import errors
    errors.register(app)
    from commands import register_commands
    register_commands(app)
    from templating import register_template_helpers
    register_template_helpers(app)
    return app


def _instance_secret(instance_path):
    """A random secret kept in instance/ so sessions survive restarts when SECRET_KEY is not set."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        return fh.read().strip()


def _register_blueprints(app):
    from blueprints import (
        api, audit, auth, cases, check, entries, leads, main, posters, pwa, report, reports, submissions, survey, tables,
    )

    for module in (auth, main, survey, api, posters, report, reports, cases, leads, check, tables, entries, submissions,
                   audit, pwa):
        app.register_blueprint(module.bp)


def _bearer_token():
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


@login_manager.user_loader
def _load_user(session_key):
    # A call with a bearer token is that token's user, whatever cookie rides along (it also skipped CSRF).
    if _bearer_token() is not None:
        return None
    return accounts.user_for_session(session_key, current_app.config["PERMANENT_SESSION_LIFETIME"])


@login_manager.request_loader
def _load_user_from_token(req):
    token = _bearer_token()
    return accounts.user_for_token(token) if token else None


def _register_request_hooks(app):
    @app.before_request
    def open_database_and_check_csrf():
        db.connect(reuse_if_open=True)
        # Browsers cannot send an Authorization header cross-site without CORS, so a bearer-token call
        # needs no CSRF token; every other unsafe request does (forms and the PWA's fetches).
        if request.method in UNSAFE_METHODS and _bearer_token() is None and app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()

    @app.teardown_request
    def close_database(exc):
        if not db.is_closed():
            db.close()

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if app.config["HSTS"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if response.mimetype == "text/html":
            # WeChat's browser otherwise keeps showing stale pages; htmx fragments and pages share URLs.
            response.headers["Cache-Control"] = "no-cache"
            response.vary.add("HX-Request")
        if current_user and getattr(current_user, "is_authenticated", False) and request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def inject_globals():
        return {"config_hotline": app.config["HOTLINE"], "district_name": app.config["DISTRICT_NAME"]}
