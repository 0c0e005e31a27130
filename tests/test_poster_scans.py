"""Poster scans (issue 11 item 8): counted once per client and day, without a database write per view, and
shown to staff as stored plus pending; shared by workers through Redis."""
import logging
import re
import time

import pytest

from domain.public import posters
from models import Poster
from tests.conftest import COMMUNITY


@pytest.fixture
def poster(world):
    return posters.create_poster(None, COMMUNITY, "3号楼门厅")


def view(client, poster, address):
    """A resident opening the poster's page, through one trusted proxy."""
    reply = client.get(f"/r/{poster.code}", headers={"X-Forwarded-For": address},
                       environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert reply.status_code == 200
    return reply


def scans_staff_see(app, poster):
    client = app.test_client()
    client.post("/login", data={"username": "surveyor", "password": "correct-horse-1"})
    page = client.get("/posters/").get_data(as_text=True)
    row = re.search(rf"<strong>{poster.code}</strong>.*?<td class=\"num\">(\d+)</td>", page, re.S)
    return int(row.group(1))


def stored_scans(poster):
    return Poster.get_by_id(poster.id).scans


@pytest.fixture
def poster_updates(caplog):
    """The UPDATE statements on the poster table, as peewee logs them."""
    caplog.set_level(logging.DEBUG, logger="peewee")

    def count():
        return sum(1 for r in caplog.records if r.name == "peewee" and re.match(r"\('UPDATE \"poster\"", r.getMessage()))
    return count


def test_views_from_one_client_count_once_a_day(make_app, poster):
    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    for _ in range(20):
        view(client, poster, "203.0.113.5")
    assert scans_staff_see(app, poster) == 1


def test_many_views_are_counted_without_a_write_per_view(make_app, poster, poster_updates):
    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    for i in range(40):
        view(client, poster, f"198.51.100.{i}")
        view(client, poster, f"198.51.100.{i}")
    assert poster_updates() <= 1
    assert stored_scans(poster) <= 1
    assert scans_staff_see(app, poster) == 40


def test_pending_scans_reach_the_database_once_the_interval_has_passed(make_app, poster, poster_updates):
    app = make_app(TRUSTED_PROXIES=1, SCAN_FLUSH_SECONDS=1)
    client = app.test_client()
    for i in range(5):
        view(client, poster, f"198.51.100.{i}")
    assert stored_scans(poster) == 1  # the first scan was written at once, the next four wait
    time.sleep(1.1)
    view(client, poster, "198.51.100.99")
    assert stored_scans(poster) == 6
    assert poster_updates() == 2
    assert scans_staff_see(app, poster) == 6


def test_workers_share_scans_through_redis(make_app, poster, redis_url):
    worker_a = make_app(TRUSTED_PROXIES=1, RATELIMIT_STORAGE_URI=redis_url)
    worker_b = make_app(TRUSTED_PROXIES=1, RATELIMIT_STORAGE_URI=redis_url)
    for i in range(3):
        view(worker_a.test_client(), poster, f"198.51.100.{i}")
    for i in range(5):  # the first three are the same residents again, on the other worker
        view(worker_b.test_client(), poster, f"198.51.100.{i}")
    assert scans_staff_see(worker_a, poster) == 5
    assert scans_staff_see(worker_b, poster) == 5
    assert stored_scans(poster) <= 5
