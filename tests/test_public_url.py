"""Posters point where the app really is (issue 8 item 7): without BASE_URL the QR codes follow the address the
staff page was asked at; with BASE_URL they use it, and gunicorn warns at start-up when it cannot be right."""
import io
import os
import socket
import subprocess
import sys
import time

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from domain.public.public_url import base_url_warning
from models import Poster
from tests.conftest import COMMUNITY, PASSWORD

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVED_AT = "http://127.0.0.1:5077"  # as with `make run PORT=5077`


def decoded(png):
    return [d.data.decode() for d in decode(Image.open(io.BytesIO(png)))]


@pytest.fixture
def unset_client(make_app, world):
    """A surveyor's client of an app without BASE_URL, asking at 127.0.0.1:5077, with one poster made."""
    client = make_app(BASE_URL="").test_client()
    client.post("/login", data={"username": "surveyor", "password": PASSWORD}, base_url=SERVED_AT)
    client.post("/posters/", data={"location": "3号楼门厅"}, base_url=SERVED_AT)
    return client, Poster.get(Poster.community == COMMUNITY)


def test_without_base_url_the_qr_codes_point_where_the_app_is_served(unset_client):
    client, poster = unset_client
    expected = f"{SERVED_AT}/r/{poster.code}"
    assert decoded(client.get(f"/posters/{poster.code}/qr.png", base_url=SERVED_AT).data) == [expected]
    assert decoded(client.get(f"/posters/{poster.code}/share.png", base_url=SERVED_AT).data) == [expected]
    page = client.get(f"/posters/{poster.code}", base_url=SERVED_AT).get_data(as_text=True)
    assert expected in page and f"{SERVED_AT}/check" in page and "127.0.0.1:5000" not in page


def test_base_url_when_set_wins_over_the_request(make_app, world):
    client = make_app(BASE_URL="https://paimo.example.cn").test_client()
    client.post("/login", data={"username": "surveyor", "password": PASSWORD}, base_url=SERVED_AT)
    client.post("/posters/", data={"location": "门厅"}, base_url=SERVED_AT)
    poster = Poster.get(Poster.community == COMMUNITY)
    png = client.get(f"/posters/{poster.code}/qr.png", base_url=SERVED_AT).data
    assert decoded(png) == [f"https://paimo.example.cn/r/{poster.code}"]


def test_base_url_is_unset_unless_the_environment_sets_it():
    env = {k: v for k, v in os.environ.items() if k != "BASE_URL"}
    out = subprocess.run([sys.executable, "-c", "from config import Config; print(repr(Config.BASE_URL))"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "''"


@pytest.mark.parametrize("base_url, listening, warns", [
    ("", ["http://127.0.0.1:5077"], False),                                  # unset: links follow requests
    ("http://127.0.0.1:5000", ["http://127.0.0.1:5077"], True),              # the issue: make run PORT=5077
    ("http://localhost:5077", ["http://127.0.0.1:5077"], False),
    ("http://127.0.0.1:5077/", ["http://127.0.0.1:5077"], False),
    ("http://192.168.1.20:5000", ["http://0.0.0.0:5077"], True),             # an address on the LAN, wrong port
    ("http://192.168.1.20:5077", ["http://0.0.0.0:5077"], False),
    ("https://paimo.example.cn", ["http://127.0.0.1:8000"], False),          # a public name: a proxy in front
    ("https://paimo.example.cn", ["unix:/run/paimo.sock"], False),
    ("paimo.example.cn", ["http://127.0.0.1:8000"], True),                   # no scheme: a broken link
])
def test_base_url_warning(base_url, listening, warns):
    warning = base_url_warning(base_url.rstrip("/"), listening)
    assert bool(warning) is warns, warning
    if warns:
        assert base_url.rstrip("/") in warning


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_warns_at_start_up_when_base_url_disagrees(tmp_path):
    """Started the way `make run` starts it: the warning comes before any request."""
    port = _free_port()
    env = {**os.environ, "BASE_URL": "http://127.0.0.1:5000", "DATABASE_URL": f"sqlite:///{tmp_path}/paimo.db",
           "SECRET_KEY": "test", "UPLOAD_DIR": str(tmp_path / "uploads")}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket",
         "--graceful-timeout", "2", "app:create_app()"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = server.stderr.readline()
            lines.append(line)
            if "BASE_URL" in line or "Booting worker" in line or not line:
                break
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stderr.close()
    log = "".join(lines)
    assert "BASE_URL=http://127.0.0.1:5000" in log and f"127.0.0.1:{port}" in log, log
