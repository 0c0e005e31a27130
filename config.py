"""Configuration, read from the environment in one place (style.md habit 5)."""
import os

BASE_DIR = os.path.abspath(os.path.dirname(__file__))


def _flag(name, default="0"):
    return os.environ.get(name, default).lower() in ("1", "true", "yes", "on")


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    # SQLite file under instance/ unless DATABASE_URL says otherwise (postgresql://…).
    DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///" + os.path.join(BASE_DIR, "instance", "paimo.db"))
    # Links that leave the app (poster QR codes) start with this.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    # Shown on posters and on the public pages.
    HOTLINE = os.environ.get("PAIMO_HOTLINE", "62259523")
    DISTRICT_NAME = os.environ.get("PAIMO_DISTRICT_NAME", "长宁区")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", os.path.join(BASE_DIR, "instance", "uploads"))
    POSTER_FONT = os.environ.get("POSTER_FONT", "")

    # Sessions (reliability.md): HttpOnly, SameSite=Lax, Secure behind HTTPS, a working day long.
    SESSION_COOKIE_NAME = "paimo_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("COOKIE_SECURE")
    PERMANENT_SESSION_LIFETIME = int(os.environ.get("SESSION_HOURS", "12")) * 3600
    REMEMBER_COOKIE_DURATION = 12 * 3600
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    HSTS = SESSION_COOKIE_SECURE

    # CSRF is checked in one place (app.py), so bearer-token API calls can skip it.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = 12 * 3600
    # pbkdf2 with a million rounds (about 0.2 s here): Werkzeug's default scrypt is below ASVS 5's minimum.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000000")

    # Flask-Limiter: memory:// counts per worker process; use redis://… when running several workers.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute;50 per hour")
    RATELIMIT_LOGIN_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "5 per minute;20 per hour")
    RATELIMIT_PUBLIC = os.environ.get("RATELIMIT_PUBLIC", "10 per minute;60 per hour")
    # Per poster as well as per address: a poster is one lobby, and a flood from it is not residents.
    RATELIMIT_POSTER = os.environ.get("RATELIMIT_POSTER", "20 per hour;100 per day")

    # 报送 (issue 10): the submitted workbook is mailed to SUBMISSION_MAILBOX over SMTP; no mailbox, no mail.
    SUBMISSION_MAILBOX = os.environ.get("SUBMISSION_MAILBOX", "")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_FROM = os.environ.get("SMTP_FROM", "")
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _flag("SMTP_STARTTLS")
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "20"))

    # Reporters' contacts are removed by `flask --app app purge-contacts` from reports older than this.
    CONTACT_RETENTION_DAYS = int(os.environ.get("CONTACT_RETENTION_DAYS", "180"))

    # A referral's due date, by default: this many working days (Monday to Friday) after it is made.
    REFERRAL_DUE_WORKING_DAYS = int(os.environ.get("REFERRAL_DUE_WORKING_DAYS", "10"))

    # A report may carry three photos of up to 8 MB each (domain/uploads.py) plus its text: a body larger
    # than that is refused before it is read.
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
