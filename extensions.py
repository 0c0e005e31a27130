"""Flask extensions, created here and bound to the app in create_app() (microblog's pattern)."""
import os

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from limits.storage import storage_from_string

from domain.org.login_throttle import LoginThrottle
from domain.public.scans import ScanCounter

csrf = CSRFProtect()
login_manager = LoginManager()
# Keyed on request.remote_addr: the real client once ProxyFix has read TRUSTED_PROXIES hops (app.py).
limiter = Limiter(key_func=get_remote_address)


def init_counters(app):
    """Paimo's own counters (login throttle, poster scans) in the rate-limit storage: one per app, so that
    RATELIMIT_STORAGE_URI=redis://… shares them between workers and servers as it does the rate limits."""
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    # Said once per worker when served by gunicorn (its arbiter sets SERVER_SOFTWARE), not on every CLI command.
    served_by_gunicorn = os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn")
    if app.config["RATELIMIT_STORAGE_URI"].startswith("memory") and served_by_gunicorn:
        app.logger.warning("RATELIMIT_STORAGE_URI=memory://: rate limits, the login throttle and poster scans "
                           "count per worker process; with several workers or servers use redis://…")
    app.extensions["paimo.counters"] = storage
    app.extensions["paimo.login_throttle"] = LoginThrottle(
        storage, app.config["RATELIMIT_LOGIN"], app.config["RATELIMIT_LOGIN_ACCOUNT"],
        app.config["RATELIMIT_LOGIN_CEILING"], enabled=app.config.get("RATELIMIT_ENABLED", True))
    app.extensions["paimo.scans"] = ScanCounter(storage, app.config["SCAN_FLUSH_SECONDS"], salt=app.secret_key)


def counters():
    return current_app.extensions["paimo.counters"]


def login_throttle():
    return current_app.extensions["paimo.login_throttle"]


def scan_counter():
    return current_app.extensions["paimo.scans"]
