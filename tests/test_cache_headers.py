"""What browsers and proxies may keep (issue 11 item 7): nothing of a logged-in user's pages or exports
(`no-store`), public pages revalidated (`no-cache`), versioned static files for a year."""
import re

import pytest

from domain.org import accounts
from domain.public import posters
from domain.survey.record import parse_record
from domain.survey.store import store_record
from tests.conftest import COMMUNITY, survey_body

# Markup and headers as the server sends them, the same over either database: run once (make test-postgres
# leaves out engine_independent tests).
pytestmark = pytest.mark.engine_independent


@pytest.fixture
def things(world):
    """A survey record, a poster and a resident's report, for the pages that show them."""
    record, errors = parse_record(survey_body())
    assert not errors
    survey, _ = store_record(world["surveyor"], record)
    poster = posters.create_poster(None, COMMUNITY, "3号楼门厅")
    return {"survey": survey, "poster": poster}


def private_urls(client, things):
    report = client.post(f"/r/{things['poster'].code}", data={"description": "上门推销灭火器"})
    number = report.location.split("number=")[1].split("&")[0]
    return ["/survey/", "/survey/today", f"/survey/records/{things['survey'].id}",
            f"/survey/records/{things['survey'].id}/edit", "/reports/", f"/reports/{number}", "/cases/", "/profile",
            "/posters/", f"/api/v1/surveys/{things['survey'].id}", "/api/v1/me"]


def test_every_page_of_a_logged_in_user_is_no_store(client, actions, things):
    urls = private_urls(client, things)
    actions.login("surveyor")
    for url in urls:
        reply = client.get(url)
        assert reply.status_code == 200, url
        assert reply.headers["Cache-Control"] == "no-store", url


def test_the_page_showing_a_new_token_is_no_store(client, actions, world):
    actions.login("surveyor")
    reply = client.post("/profile/tokens", data={"name": "同步脚本"})
    assert re.search(r'<code id="new-token">pm_', reply.get_data(as_text=True))
    assert reply.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", ["/api/v1/tables/1.xlsx", "/api/v1/tables/1.csv", "/api/v1/tables/1",
                                 "/tables/", "/tables/problems"])
def test_tables_and_exports_are_no_store(client, actions, world, url):
    actions.login("district")
    reply = client.get(url)
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"


def test_an_export_fetched_with_a_token_is_no_store(client, world):
    _, token = accounts.issue_token(world["street"], "script")
    reply = client.get("/api/v1/tables/1.xlsx", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"


def test_public_pages_stay_no_cache(client, things):
    for url in (f"/r/{things['poster'].code}", "/r", "/r/status", "/check", "/login"):
        reply = client.get(url)
        assert reply.status_code == 200, url
        assert reply.headers["Cache-Control"] == "no-cache", url


def test_versioned_static_files_keep_their_long_max_age(client, actions, world):
    page = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/[^"]+\?v=[0-9a-f]+)"', page).group(1)
    actions.login("surveyor")
    with client.get(css) as reply:
        assert reply.status_code == 200
        assert "max-age=31536000" in reply.headers["Cache-Control"] and "no-store" not in reply.headers["Cache-Control"]
