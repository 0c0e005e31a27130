"""Configuration, read from the environment in one place (style.md habit 5)."""
import os

BASE_DIR = os.path.abspath(os.path.dirname(__file__))


def _flag(name, default="0"):
    return os.environ.get(name, default).lower() in ("1", "true", "yes", "on")


def _hotlines(text):
    """"12345=市民服务热线,12315=产品质量、消费投诉" as [("12345", "市民服务热线"), ("12315", "产品质量、消费投诉")]."""
    pairs = [item.partition("=") for item in text.split(",") if item.strip()]
    return [(number.strip(), label.strip() or "举报电话") for number, _, label in pairs]


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    # SQLite file under instance/ unless DATABASE_URL says otherwise (postgresql://…).
    DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///" + os.path.join(BASE_DIR, "instance", "paimo.db"))
    # Connections stay open between requests, at most one per server thread (models.make_database).
    DATABASE_POOL = _flag("DATABASE_POOL", "1")
    # The public address links that leave the app start with (poster QR codes), e.g. https://paimo.example.cn.
    # Unset, they are made from the address each request came to; gunicorn.conf.py warns at start-up when a
    # set BASE_URL names this machine but not where it listens.
    BASE_URL = os.environ.get("BASE_URL", "").strip().rstrip("/")
    # The numbers the public is given, on posters and public pages: "number=what it is for", comma-separated.
    PUBLIC_HOTLINES = _hotlines(os.environ.get("PUBLIC_HOTLINES", "12345=市民服务热线,12315=产品质量、消费投诉"))
    # The campaign's contact for officials (the plan: 区消防救援支队, 62259523): staff pages only.
    CAMPAIGN_CONTACT_PHONE = os.environ.get("CAMPAIGN_CONTACT_PHONE", "62259523")
    DISTRICT_NAME = os.environ.get("PAIMO_DISTRICT_NAME", "长宁区")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", os.path.join(BASE_DIR, "instance", "uploads"))
    POSTER_FONT = os.environ.get("POSTER_FONT", "")

    # Sessions (reliability.md): HttpOnly, SameSite=Lax, Secure behind HTTPS, a working day long.
    SESSION_COOKIE_NAME = "paimo_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("COOKIE_SECURE")
    PERMANENT_SESSION_LIFETIME = int(os.environ.get("SESSION_HOURS", "12")) * 3600
    # The cookie is written only when the session changes (the server-side session ends a working day after the
    # login whatever the cookie says): a request answered while a form was being sent must not write back a
    # session without that form's flashed message.
    SESSION_REFRESH_EACH_REQUEST = False
    REMEMBER_COOKIE_DURATION = 12 * 3600
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    HSTS = SESSION_COOKIE_SECURE

    # CSRF is checked in one place (app.py), so bearer-token API calls can skip it.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = 12 * 3600
    # pbkdf2 with a million rounds (about 0.2 s here): Werkzeug's default scrypt is below ASVS 5's minimum.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000000")

    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: none, the TCP peer is
    # the client). Rate limits count per real client only when this matches the deployment: too low and all
    # clients share the proxy's budget, too high and a client can claim any address.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    # Rate limits and Paimo's own counters (login throttle, poster scans): memory:// counts per worker
    # process; with several workers or servers use redis://host:port/db, shared by all.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Failed logins (domain/org/login_throttle.py): per address, per account and client, and per account from
    # clients that never logged in to it (far above one person's mistakes; the owner is never stopped by it).
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute;50 per hour")
    RATELIMIT_LOGIN_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "5 per minute;20 per hour")
    RATELIMIT_LOGIN_CEILING = os.environ.get("RATELIMIT_LOGIN_CEILING", "100 per hour;300 per day")
    # Poster scans are counted once per address and day, and written at most this often per poster.
    SCAN_FLUSH_SECONDS = int(os.environ.get("SCAN_FLUSH_SECONDS", "60"))
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

    # Photos decoded at once per worker process (domain/public/uploads.py): each may take up to ~200 MB while decoded.
    IMAGE_DECODE_SLOTS = int(os.environ.get("IMAGE_DECODE_SLOTS", "1"))

    # A report may carry three photos of up to 8 MB each (domain/public/uploads.py) plus its text: a body larger
    # than that is refused before it is read.
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024

    # Quality signals (design section 12; domain/supervision/signals.py has the defaults): burst = at least
    # QUALITY_BURST_RECORDS records within QUALITY_BURST_MINUTES; backfill = at least QUALITY_BACKFILL_RECORDS
    # received on one day, each more than QUALITY_BACKFILL_HOURS late; night = at least QUALITY_NIGHT_RECORDS between
    # QUALITY_NIGHT_STARTS and QUALITY_NIGHT_ENDS o'clock. Empty: the default.
    QUALITY_BURST_RECORDS = os.environ.get("QUALITY_BURST_RECORDS", "")
    QUALITY_BURST_MINUTES = os.environ.get("QUALITY_BURST_MINUTES", "")
    QUALITY_BACKFILL_RECORDS = os.environ.get("QUALITY_BACKFILL_RECORDS", "")
    QUALITY_BACKFILL_HOURS = os.environ.get("QUALITY_BACKFILL_HOURS", "")
    QUALITY_NIGHT_RECORDS = os.environ.get("QUALITY_NIGHT_RECORDS", "")
    QUALITY_NIGHT_STARTS = os.environ.get("QUALITY_NIGHT_STARTS", "")
    QUALITY_NIGHT_ENDS = os.environ.get("QUALITY_NIGHT_ENDS", "")

    # 回访 (design section 12): a 居委's sample is this per cent of its units surveyed by the day (rounded up), and at
    # least this many (capped at the units there are).
    RECHECK_SAMPLE_PERCENT = os.environ.get("RECHECK_SAMPLE_PERCENT", "5")
    RECHECK_SAMPLE_MINIMUM = int(os.environ.get("RECHECK_SAMPLE_MINIMUM", "3"))

    # The roster (底数清单, design section 11): rows at most in one import (a district's roster in one file).
    ROSTER_MAX_ROWS = int(os.environ.get("ROSTER_MAX_ROWS", "200000"))
