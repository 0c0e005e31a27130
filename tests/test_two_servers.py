"""Two app servers behind one address (issue 11; docs/deploy.md): two gunicorn processes on two ports share
the database, Redis and the uploaded photos, set up and started with the commands docs/deploy.md gives.

A browser logged in on one server is logged in on the other (sessions are database rows, cookies are signed with
the shared SECRET_KEY), logging out on one ends the session on both, a resident's rate limit counts on both
(Redis), and a photo sent to one is shown by the other (a shared UPLOAD_DIR). In the PostgreSQL run the servers
share a database of the throwaway cluster; in the SQLite run they share one SQLite file, which is as far as
SQLite goes: several servers on one machine (docs/deploy.md).
"""
import datetime
import http.client
import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.parse
import uuid
from http.cookies import SimpleCookie

import pytest
from PIL import Image

from domain.common.clock import now_local
from tests.conftest import ON_POSTGRES, _admin_sql, _pg_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)  # .venv/bin: flask and gunicorn beside this Python
DEPLOY_MD = os.path.join(ROOT, "docs", "deploy.md")
COMMUNITY = "310105001001"

# The commands of docs/deploy.md, as this test runs them (test_deploy_md_gives_these_commands checks the doc).
SETUP = [
    "flask --app app init-db",
    "flask --app app import-org communities.csv",
    "flask --app app create-user wang --role surveyor --org 310105001001 --password {password}",
    "flask --app app create-poster 310105001001 '1号楼门厅'",
]
SERVE = "gunicorn --workers 2 --threads 4 --bind 127.0.0.1:{port} --no-control-socket 'app:create_app()'"
PASSWORD = "two-servers-pass"


def run_command(line, env, cwd):
    argv = shlex.split(line.format(password=PASSWORD))
    reply = subprocess.run([os.path.join(BIN, argv[0]), *argv[1:]], cwd=cwd, env=env, capture_output=True,
                           text=True, timeout=120)
    assert reply.returncode == 0, f"{line}: {reply.stdout}{reply.stderr}"
    return reply.stdout


class Browser:
    """A browser behind the load balancer: its cookies go to whichever server answers; the proxy in front says
    who the client is (X-Forwarded-For)."""

    def __init__(self, address):
        self.address = address
        self.cookies = {}

    def request(self, server, method, path, body=None, headers=None):
        host, port = server.split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        sent = {"X-Forwarded-For": self.address, "X-Forwarded-Proto": "http", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            reply = connection.getresponse()
            data = reply.read()
        finally:
            connection.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return reply.status, reply.headers, data

    def get(self, server, path):
        return self.request(server, "GET", path)

    def post_form(self, server, path, fields):
        return self.request(server, "POST", path, urllib.parse.urlencode(fields),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def csrf_token(self, server, path):
        status, _, page = self.get(server, path)
        assert status == 200, (path, status)
        return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: image/jpeg\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def report(browser, server, code, photo=None):
    """A resident's report from the poster's page; (status, 编号 or None)."""
    token = browser.csrf_token(server, f"/r/{code}")
    body, headers = multipart([("csrf_token", token), ("kinds", "door_to_door_fee"),
                               ("description", "有人上门收培训费")], [("photos", "photo.jpg", photo)] if photo else [])
    status, reply_headers, _ = browser.request(server, "POST", f"/r/{code}", body, headers)
    number = re.search(r"number=([^&]+)", reply_headers.get("Location", ""))
    return status, number and number.group(1)


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def shared_database(tmp_path):
    """An empty database both servers use: a new database in the PostgreSQL cluster, or one SQLite file."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path}/paimo.db"
        return
    name = f"paimo_two_servers_{uuid.uuid4().hex[:8]}"
    _admin_sql(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def two_servers(shared_database, redis_url, tmp_path):
    """Set up as docs/deploy.md says, then two servers on two ports; yields their host:port and the poster code."""
    env = {**os.environ, "DATABASE_URL": shared_database, "SECRET_KEY": "the-same-secret-on-every-server",
           "RATELIMIT_STORAGE_URI": redis_url, "UPLOAD_DIR": str(tmp_path / "uploads"), "TRUSTED_PROXIES": "1",
           "RATELIMIT_PUBLIC": "3 per minute", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "BASE_URL": ""}
    # The commands run where the 居委's CSV file is, with the app importable (as from its directory).
    workdir = tmp_path / "setup"
    workdir.mkdir()
    (workdir / "communities.csv").write_text(f"code,name,parent_code\n{COMMUNITY},华阳一居委,310105001\n",
                                             encoding="utf-8")
    setup_env = {**env, "PYTHONPATH": ROOT}
    for line in SETUP[:-1]:
        run_command(line, setup_env, workdir)
    code = run_command(SETUP[-1], setup_env, workdir).strip().splitlines()[-1]

    servers, logs = [], []
    try:
        for _ in range(2):
            port = free_port()
            log = open(tmp_path / f"gunicorn-{port}.log", "w")
            logs.append(log)
            argv = shlex.split(SERVE.format(port=port))
            servers.append((f"127.0.0.1:{port}", subprocess.Popen(
                [os.path.join(BIN, argv[0]), *argv[1:]], cwd=ROOT, env=env, stdout=log, stderr=log)))
        for address, process in servers:
            wait_for_health(address, process)
        yield [address for address, _ in servers], code
    finally:
        for _, process in servers:
            process.terminate()
        for _, process in servers:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def wait_for_health(address, process):
    """Until /healthz answers 200, as a load balancer waits before sending traffic."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn on {address} exited with {process.returncode}"
        try:
            status, _, _ = Browser("127.0.0.1").get(address, "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn on {address} did not answer /healthz within 60 s")


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(out, "JPEG")
    return out.getvalue()


def test_two_servers_share_sessions_limits_and_photos(two_servers):
    (a, b), code = two_servers
    worker = Browser("203.0.113.7")

    # Logged in on A, the same browser is logged in on B, and B accepts A's CSRF token.
    token = worker.csrf_token(a, "/login")
    status, headers, _ = worker.post_form(a, "/login", {"csrf_token": token, "username": "wang",
                                                        "password": PASSWORD})
    assert status == 302 and "/login" not in headers["Location"]
    status, _, page = worker.get(b, "/survey/")
    assert status == 200 and "华阳一居委".encode() in page
    visited_at = (now_local() - datetime.timedelta(minutes=1)).isoformat(timespec="seconds") + "+08:00"
    record = {"client_uuid": str(uuid.uuid4()), "community": COMMUNITY, "outcome": "surveyed", "trainings": [],
              "unit": {"type": "household", "address": "长宁路1弄1号101室"}, "purchases": [], "visited_at": visited_at}
    status, _, body = worker.request(b, "POST", "/api/v1/surveys", json.dumps(record),
                                     {"Content-Type": "application/json", "X-CSRFToken": token})
    assert status == 201, body
    survey_id = json.loads(body)["id"]
    status, _, body = worker.get(a, f"/api/v1/surveys/{survey_id}")
    assert status == 200 and json.loads(body)["client_uuid"] == record["client_uuid"]

    # A resident's photo sent to A is shown to the 居委 worker by B.
    resident = Browser("198.51.100.23")
    status, number = report(resident, a, code, photo=jpeg())
    assert status == 303 and number
    status, _, page = worker.get(b, f"/reports/{number}")
    assert status == 200
    photo_url = re.search(rf'/reports/{number}/photos/\d+\.jpg'.encode(), page).group(0).decode()
    status, headers, data = worker.get(b, photo_url)
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(data)).size == (64, 48)

    # The limit of 3 reports a minute per client counts on both servers: A, B, A, then B refuses.
    assert report(resident, b, code)[0] == 303
    assert report(resident, a, code)[0] == 303
    status, _ = report(resident, b, code)
    assert status == 429
    neighbour = Browser("198.51.100.99")  # another client behind the same proxy is not held by it
    assert report(neighbour, b, code)[0] == 303

    # Logging out on B ends the session on A too, even for a copy of the old cookie.
    copied = dict(worker.cookies)
    status, _, _ = worker.post_form(b, "/logout", {"csrf_token": token})
    assert status == 302 and "paimo_session" not in worker.cookies
    worker.cookies = copied
    status, headers, _ = worker.get(a, "/survey/")
    assert status == 302 and "/login" in headers["Location"]


def test_deploy_md_gives_these_commands():
    """docs/deploy.md shows the commands this test runs, word for word (ports as in the doc)."""
    with open(DEPLOY_MD, encoding="utf-8") as fh:
        doc = fh.read()
    for line in SETUP:
        assert line.format(password="…").split(" --password")[0] in doc, line
    for port in (8001, 8002):
        assert SERVE.format(port=port) in doc
