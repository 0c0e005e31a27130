"""排摸通 (Paimo): the application factory. Served as `gunicorn 'app:create_app()'`."""
import os
import secrets
import tempfile

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import Config
from domain.org import accounts
from domain.public import uploads
from domain.supervision import quality
from extensions import csrf, init_counters, limiter, login_manager
from models import bind_database, db

# Every URL an unsafe request may reach without a CSRF token: none, except bearer-token API calls.
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# The same for everyone, so they keep their own caching even for a logged-in user: versioned static files
# (a year), the service worker and manifest (no-cache with an ETag), the home-screen icon.
CACHEABLE_ENDPOINTS = {"static", "pwa.service_worker", "pwa.manifest", "pwa.apple_touch_icon"}
# The load balancers' probe opens the database itself (an unreachable one is its 503, not an error page) and
# never looks at who is asking.
HEALTH_ENDPOINT = "health.healthz"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class JSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        # JSON nested deeper than the recursion limit is invalid JSON to us, not a RecursionError (a 500):
        # request.get_json() then treats it like any other unreadable body.
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class RecordId(IntegerConverter):
    """`<int:…>` in every route: at most 18 digits, below the largest integer SQLite and PostgreSQL store. A longer
    id is a path that matches no route (404), not an overflow in the database driver (a 500 Schemathesis found).
    By the path's pattern, not the converter's `max`: Werkzeug answers 405 to a PUT whose id is over `max`."""

    regex = r"[0-9]{1,18}"


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = RecordId
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)

    if app.config["TRUSTED_PROXIES"]:
        # The client's address, scheme and host as the trusted proxies saw them (X-Forwarded-*), so that rate
        # limits count per real client; headers beyond those hops are the client's own claims and are ignored.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    bind_database(app.config["DATABASE_URL"], pool=app.config["DATABASE_POOL"])
    quality.configure(quality.thresholds_from(app.config))
    csrf.init_app(app)
    limiter.init_app(app)
    init_counters(app)
    uploads.limit_decoding(app.config["IMAGE_DECODE_SLOTS"])
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
    """A random secret kept in instance/secret_key so sessions survive restarts when SECRET_KEY is not set.

    Workers starting together on a fresh instance must agree on it. Each writes a whole key to a private file
    of its own, then links that file to instance/secret_key: link(2), like open(O_CREAT|O_EXCL), fails when
    the name exists, so exactly one key wins, nobody overwrites it, and nobody reads it half-written; a
    loser reads the winner's key."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd, own = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(own, path)
            except FileExistsError:
                pass  # another worker was first: its key is the key
        finally:
            os.unlink(own)
    with open(path) as fh:
        key = fh.read().strip()
    if not key:
        raise RuntimeError(f"{path} 是空的：删除它后重新启动（会生成新的密钥），或设置 SECRET_KEY")
    return key


def _register_blueprints(app):
    from blueprints import (
        api,
        audit,
        auth,
        cases,
        check,
        entries,
        health,
        leads,
        main,
        orders,
        posters,
        pwa,
        quality,
        ranking,
        rechecks,
        report,
        reports,
        roster,
        submissions,
        survey,
        tables,
    )

    for module in (auth, main, survey, api, posters, report, reports, cases, leads, check, tables, entries, submissions,
                   roster, quality, rechecks, ranking, orders, audit, pwa, health):
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
    from blueprints.errors import error_response
    from domain.survey.record import BAD_TEXT

    @app.before_request
    def open_database_and_check_csrf():
        if request.endpoint == HEALTH_ENDPOINT:
            return None
        db.connect(reuse_if_open=True)
        # A path no route has, or a method it does not take, is answered 404 or 405 (with Allow) whoever asks.
        if request.routing_exception is not None:
            return None
        # Browsers cannot send an Authorization header cross-site without CORS, so a bearer-token call
        # needs no CSRF token; every other unsafe request does (forms and the PWA's fetches).
        if request.method in UNSAFE_METHODS and _bearer_token() is None and app.config["WTF_CSRF_ENABLED"]:
            if request.path.startswith("/api/") and not current_user.is_authenticated:
                # No credentials at all: the API's documented 401 (every API route needs a login, so there
                # is nothing a forged request could do here).
                return error_response(401, "请先登录", code="unauthorized")
            csrf.protect()

    @app.before_request
    def refuse_text_no_database_can_store():
        # PostgreSQL's text cannot hold NUL, which a path, a form, a query or a JSON string (\u0000) may carry: refuse
        # the request in words before any field parser or query meets it (a fuzzer found the 500s).
        body = request.get_data(cache=True) if request.is_json else b""
        if "\x00" in request.path or b"\\u0000" in body or any(
                "\x00" in value for source in (request.args, request.form) for _, values in source.lists()
                for value in values):
            return error_response(400, "内容中含有无法保存的字符，请删除后重新提交", code="invalid",
                                  errors={"body": BAD_TEXT})

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
        if request.endpoint not in CACHEABLE_ENDPOINTS | {HEALTH_ENDPOINT} and current_user.is_authenticated:
            # Whatever a logged-in user (session or token) is sent holds personal data or a secret: pages,
            # JSON, exports (send_file says no-cache), photos. Nothing may keep a copy, not even the browser.
            # The service worker's offline copies of survey pages are made with the Cache API, not by HTTP.
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def inject_globals():
        return {"public_hotlines": app.config["PUBLIC_HOTLINES"], "contact_phone": app.config["CAMPAIGN_CONTACT_PHONE"],
                "district_name": app.config["DISTRICT_NAME"]}
