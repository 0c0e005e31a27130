"""The installable app: manifest, service worker, offline page and the cache headers of static files."""
import io
import json
import re

import pytest
from PIL import Image

from tests.conftest import survey_body

# Markup and headers as the server sends them, the same over either database: run once (make test-postgres
# leaves out engine_independent tests).
pytestmark = pytest.mark.engine_independent


def test_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert "排摸通" in manifest["name"] and manifest["short_name"] == "排摸通"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"].startswith("/") and manifest["scope"] == "/"
    assert manifest["theme_color"] == "#c62828"
    icons = {(icon["sizes"], icon["purpose"]): icon["src"] for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(icons)
    for (sizes, _purpose), src in icons.items():
        with client.get(src) as image:
            assert image.status_code == 200 and image.mimetype == "image/png"
            width = int(sizes.split("x")[0])
            assert Image.open(io.BytesIO(image.data)).size == (width, width)


def test_service_worker_is_served_from_the_root_and_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert response.headers["Cache-Control"] == "no-cache"
    code = response.get_data(as_text=True)
    config = json.loads(re.match(r"self\.PAIMO = (.*);\n", code).group(1))
    # It precaches the app shell by versioned URL, and names the pages of the survey it caches.
    assert any(url.startswith("/static/css/app.css?v=") for url in config["shell"])
    assert any(url.startswith("/static/js/outbox.js?v=") for url in config["shell"])
    assert "/offline" in config["shell"]
    assert "/survey/today" in config["pages"]
    # The public report page, the look-up, the API and POSTs are never served by it.
    assert 'request.method !== "GET"' in code and 'path === "/r"' in code and '"/api/"' in code


def test_service_worker_version_follows_the_static_files(app, client, tmp_path):
    first = client.get("/sw.js").get_data(as_text=True)
    assert client.get("/sw.js").get_data(as_text=True) == first
    import blueprints.pwa as pwa

    pwa._hashes.clear()
    js = tmp_path / "static"
    js.mkdir()
    (js / "sw.js").write_text("// test worker\n")
    app.static_folder = str(js)
    assert client.get("/sw.js").get_data(as_text=True) != first


def test_offline_page_tells_the_worker_records_are_kept(client):
    response = client.get("/offline")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "没有网络" in page and "不会丢失" in page


def test_static_files_carry_a_version_and_a_long_max_age(client, world, actions):
    actions.login("surveyor")
    page = client.get("/survey/").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert urls and all("?v=" in url for url in urls)
    for url in urls:
        with client.get(url) as response:
            assert response.status_code == 200
            assert response.cache_control.max_age == 365 * 24 * 3600 and response.cache_control.public
    # Unversioned URLs keep the default, revalidated behaviour.
    with client.get("/static/css/app.css") as response:
        assert response.cache_control.max_age != 365 * 24 * 3600


def test_iphone_finds_the_home_screen_icon_at_the_root(client):
    with client.get("/apple-touch-icon.png") as response:
        assert response.status_code == 200 and response.mimetype == "image/png"


def test_logged_in_pages_link_the_manifest_and_the_outbox(client, world, actions):
    actions.login("surveyor")
    page = client.get("/survey/today").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert "/static/js/outbox.js?v=" in page and 'id="outbox-status"' in page


def test_public_report_page_does_not_load_the_outbox(client):
    response = client.get("/r")
    assert "outbox.js" not in response.get_data(as_text=True)
    assert "manifest" not in response.get_data(as_text=True)


def test_api_confirmation_carries_what_the_outbox_checks(client, world, actions):
    """The outbox lets a record go only on 201/200 with the stored record's id and the same client_uuid."""
    actions.login("surveyor")
    body = survey_body()
    first = actions.post_survey(body)
    again = actions.post_survey(body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.is_json and again.is_json
    assert first.json["client_uuid"] == again.json["client_uuid"] == body["client_uuid"]
    assert first.json["id"] == again.json["id"]


def test_a_page_the_worker_fetches_in_the_background_leaves_the_flashed_message_for_the_person(world, actions):
    # The worker precaches pages right after a log-in; a form sent meanwhile must still show its message.
    client = actions.client
    actions.login("street")
    assert client.get("/roster/").status_code == 200  # as after the log-in: the session holds its CSRF token
    assert client.post("/roster/add", data={}).status_code == 303
    background = client.get("/survey/", headers={"X-Paimo-Background": "1"})
    assert background.status_code == 200 and "没有选中清单外单位" not in background.get_data(as_text=True)
    assert "Set-Cookie" not in background.headers  # nothing of the session is written back by it
    assert "没有选中清单外单位" in client.get("/roster/").get_data(as_text=True)
    # A page that changes nothing in the session writes no cookie: a slow answer cannot undo a flash set meanwhile.
    assert "Set-Cookie" not in client.get("/roster/").headers
