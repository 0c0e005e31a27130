"""Fixtures: a fresh real database per test (SQLite, or PostgreSQL when TEST_DATABASE_URL says so),
the app, a client, a CLI runner and helpers that read as what a user does.

Each test gets its own database copied from a template migrated once per session: a file copy on SQLite,
`CREATE DATABASE … TEMPLATE` on PostgreSQL. Both run the real migrations.
"""
import contextlib
import os
import shutil
import threading
import uuid

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app
from commands import upgrade_database
from models import bind_database, close_database, db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgres")
CHROME_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; production uses a million rounds
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "BASE_URL": "https://paimo.example.cn",
    # Each test binds a database of its own while the previous test's live server may still be finishing a
    # request in one of its threads: closing a pooled SQLite connection in use there crashes the process. The
    # pool itself runs in real gunicorn processes (test_two_servers, test_bench_load), where nothing rebinds.
    "DATABASE_POOL": False,
}


def _pg_url(name):
    base = TEST_DATABASE_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def _admin_sql(sql):
    import psycopg

    with psycopg.connect(_pg_url_for_psycopg("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _pg_url_for_psycopg(name):
    url = _pg_url(name)
    return "postgresql" + url[url.index(":"):]


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Migrate once per session; each test then copies this database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if ON_POSTGRES:
        name = f"paimo_template_{worker}"
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}"')
        _admin_sql(f'CREATE DATABASE "{name}"')
        bind_database(_pg_url(name))
        upgrade_database()
        db.close()
        yield name
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}"')
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        bind_database(f"sqlite:///{path}")
        upgrade_database()
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        yield str(path)


@contextlib.contextmanager
def database_copy(template, directory):
    """A fresh database copied from the migrated template (a file in `directory` on SQLite): its URL."""
    if ON_POSTGRES:
        name = f"paimo_test_{uuid.uuid4().hex[:12]}"
        # FILE_COPY: a small template copied as files takes a quarter of the time of PostgreSQL 15's default
        # (WAL_LOG), paid once per test.
        _admin_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        yield _pg_url(name)
        close_database()
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = directory / "paimo.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        close_database()


@pytest.fixture
def database_url(database_template, tmp_path):
    with database_copy(database_template, tmp_path) as url:
        yield url


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build the app with extra configuration (e.g. CSRF or rate limits switched on)."""
    def build(**overrides):
        config = {**TEST_CONFIG, "DATABASE_URL": database_url, "UPLOAD_DIR": str(tmp_path / "uploads"),
                  **overrides}
        return create_app(config)
    return build


@pytest.fixture
def app(make_app):
    # No app context stays pushed: a request would then reuse it and its `g` (where flask-login keeps the
    # user), so one request's login would leak into the next. Tests that need a context push their own.
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- the people and places of a small street ----------------------------------------------------------

STREET = "310105001"  # 华阳路街道 (shipped default org)
OTHER_STREET = "310105002"  # 江苏路街道
COMMUNITY = "310105001001"
COMMUNITY_2 = "310105001002"
OTHER_COMMUNITY = "310105002001"
PASSWORD = "correct-horse-1"


@pytest.fixture
def world(app):
    """Three 居委 in two streets and a user of every role."""
    return make_world(app)


def make_world(app):
    from domain.org import accounts
    from domain.org.org_import import import_orgs

    import_orgs("code,name,parent_code\n"
                f"{COMMUNITY},华阳一居委,{STREET}\n"
                f"{COMMUNITY_2},华阳二居委,{STREET}\n"
                f"{OTHER_COMMUNITY},江苏一居委,{OTHER_STREET}\n")
    method = app.config["PASSWORD_HASH_METHOD"]
    users = {
        "surveyor": accounts.create_user("surveyor", "surveyor", COMMUNITY, PASSWORD, method),
        "surveyor2": accounts.create_user("surveyor2", "surveyor", COMMUNITY_2, PASSWORD, method),
        "other_surveyor": accounts.create_user("other_surveyor", "surveyor", OTHER_COMMUNITY, PASSWORD, method),
        "street": accounts.create_user("street", "street", STREET, PASSWORD, method),
        "other_street": accounts.create_user("other_street", "street", OTHER_STREET, PASSWORD, method),
        "district": accounts.create_user("district", "district", "310105", PASSWORD, method),
        "department": accounts.create_user("department", "department", "xiaofang", PASSWORD, method),
    }
    return users


class Actions:
    """What a user does, in words: log in, post a survey record."""

    def __init__(self, client):
        self.client = client

    def login(self, username, password=PASSWORD):
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/logout")

    def post_survey(self, body, **kwargs):
        return self.client.post("/api/v1/surveys", json=body, **kwargs)

    def post_json(self, url, body, **kwargs):
        return self.client.post(url, json=body, **kwargs)


@pytest.fixture
def actions(client):
    return Actions(client)


def survey_body(**overrides):
    """A valid positive record as design section 8 shows it."""
    body = {
        "client_uuid": str(uuid.uuid4()),
        "community": COMMUNITY,
        "unit": {"type": "shop", "address": "长宁路100号", "name": "某某便利店"},
        "visited_at": "2023-03-20T10:15:00+08:00",
        "outcome": "surveyed",
        "trainings": [
            {"institution": "上海某某消防培训中心", "institution_phone": "021-6000 0000",
             "trainer_identity": "firefighter", "mode": "door_to_door", "date": "2023-02-14",
             "fee": "200.00", "content": "灭火器使用", "products_pitched": True, "engineering_solicited": False}
        ],
        "purchases": [
            {"product": "fire_extinguisher", "quantity": 2, "amount": "560.00", "channel": "training",
             "training": 0, "ccc_mark": False, "id_label": None, "sample_available": True}
        ],
        "note": "",
    }
    body.update(overrides)
    return body


def negative_body(address="长宁路1弄1号101室", **overrides):
    body = {"client_uuid": str(uuid.uuid4()), "community": COMMUNITY,
            "unit": {"type": "household", "address": address}, "visited_at": "2023-03-20T10:15:00+08:00",
            "outcome": "surveyed", "trainings": [], "purchases": []}
    body.update(overrides)
    return body


# --- browser tests (tests/browser) --------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": shutil.which("chromium") or "/usr/bin/chromium",
            "args": CHROME_ARGS}


class LiveServer:
    def __init__(self, app, server, thread):
        self.app, self.server, self.thread = app, server, thread
        self.url = f"http://127.0.0.1:{server.server_port}"

    def stop(self):
        """Stop serving and wait for every request still being answered: a request that outlived its test would
        run against the next test's database (the `db` proxy is rebound per test), or against a dropped one."""
        self.server.shutdown()
        self.thread.join(5)
        self.server.server_close()  # joins the request threads (block_on_close)


class RequestHandler(WSGIRequestHandler):
    # A connection Chromium opened ahead and never used would otherwise hold its thread, and stop(), forever.
    timeout = 10


def start_live_server(app, port=0):
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=RequestHandler)
    server.daemon_threads = False  # kept track of, so that server_close() can wait for them
    server.block_on_close = True
    # Polled often, so that stop() returns at once (the default half second is paid by every live-server test).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return LiveServer(app, server, thread)


@pytest.fixture
def live_server(make_app):
    """The real app over HTTP for Chromium, with CSRF on as in production (rate limits off).

    Every answer says `Connection: close`, so that stopping the server really stops it: Werkzeug's test
    server would otherwise keep serving Chromium's kept-alive connections after shutdown."""
    app = make_app(WTF_CSRF_ENABLED=True, BASE_URL="http://127.0.0.1")

    @app.after_request
    def no_keep_alive(response):
        response.headers["Connection"] = "close"
        return response

    server = start_live_server(app)
    app.config["BASE_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture
def live_world(live_server):
    """The `world` users and 居委 in the live server's database."""
    with live_server.app.app_context():
        from models import db

        users = make_world(live_server.app)
        db.close()
    return users


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/116.0.0.0 Mobile Safari/537.36"}
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 13; V2055A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like "
             "Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5127 MMWEBSDK/20230504 "
             "MMWEBID/1234 MicroMessenger/8.0.37.2380(0x2800253D) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN")


def log_in(page, base_url, username="surveyor", password=PASSWORD):
    """Log in through the login page, as a person does."""
    page.goto(base_url + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


@pytest.fixture
def phone(browser):
    """A page in a phone-sized Chromium context."""
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


# --- a real Redis for the tests of shared counters (several workers) ----------------------------------------

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A throwaway redis-server on a free loopback port for this test session (Debian's binary; installed by
    tools/system-deps.sh). Missing is a failure, not a skip: the shared-counter tests must run."""
    import socket
    import subprocess
    import time

    if not os.path.exists(REDIS_SERVER):
        pytest.fail("redis-server is not installed: run `make system-deps` (apt-get install -y redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None:
                pytest.fail(f"redis-server exited at start (status {process.returncode})")
            time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("redis-server did not answer within 5 s")
    client.close()
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


@pytest.fixture
def redis_url(redis_server):
    """The session's Redis, emptied for this test."""
    import redis

    with redis.Redis.from_url(redis_server) as client:
        client.flushall()
    return redis_server


# --- a real SMTP server on loopback (issue 10: submissions are mailed) --------------------------------------

class MailBox:
    """What an aiosmtpd server received: (envelope, parsed email.message.EmailMessage) per message."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy

        self.received.append((envelope, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """An SMTP server (aiosmtpd) on 127.0.0.1 for the length of a test; `.port`, `.mailbox.received`."""
    from aiosmtpd.controller import Controller

    mailbox = MailBox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.mailbox = mailbox
    yield controller
    controller.stop()
