"""Warning posters (issue 3): codes, QR codes a real decoder reads, print pages, the shareable image, scope."""
import io

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from domain.public import posters
from models import AuditLog, Poster
from tests.conftest import COMMUNITY, COMMUNITY_2, OTHER_COMMUNITY

BASE_URL = "https://paimo.example.cn"  # conftest TEST_CONFIG


def make_poster(client, community=COMMUNITY, location="3号楼门厅"):
    response = client.post("/posters/", data={"community": community, "location": location})
    assert response.status_code == 303, response.get_data(as_text=True)
    return Poster.select().order_by(Poster.id.desc()).first()


def test_codes_are_short_and_easy_to_read_aloud():
    codes = {posters.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 6 and not set(code) & set("01OIL") and code != "STATUS"
    assert posters.normalise_code(" k7q x3m ") == "K7QX3M"


def test_a_surveyor_makes_a_poster_whose_qr_code_decodes_to_the_report_url(client, world, actions):
    actions.login("surveyor")
    poster = make_poster(client)
    assert poster.community_id == COMMUNITY and poster.location == "3号楼门厅"

    png = client.get(f"/posters/{poster.code}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    decoded = decode(Image.open(io.BytesIO(png.data)))
    assert [d.data.decode() for d in decoded] == [f"{BASE_URL}/r/{poster.code}"]

    svg = client.get(f"/posters/{poster.code}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")


def test_the_shareable_image_decodes_too_and_is_a_phone_sized_png(client, world, actions):
    actions.login("surveyor")
    poster = make_poster(client)
    response = client.get(f"/posters/{poster.code}/share.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.width == 1080 and image.height > image.width
    assert [d.data.decode() for d in decode(image)] == [f"{BASE_URL}/r/{poster.code}"]


def test_without_a_chinese_font_the_shareable_image_says_so(make_app, world, tmp_path):
    app = make_app(POSTER_FONT=str(tmp_path / "missing.ttc"))
    client = app.test_client()
    client.post("/login", data={"username": "surveyor", "password": "correct-horse-1"})
    poster = make_poster(client)
    response = client.get(f"/posters/{poster.code}/share.png")
    assert response.status_code == 503
    assert "POSTER_FONT" in response.get_data(as_text=True)
    with pytest.raises(posters.FontMissing):
        posters.find_font(str(tmp_path / "missing.ttc"))


def test_the_print_page_carries_the_warnings_hotline_short_url_and_check(client, world, actions, app):
    actions.login("surveyor")
    poster = make_poster(client)
    page = client.get(f"/posters/{poster.code}").get_data(as_text=True)
    for warning in posters.WARNINGS:
        assert warning in page
    for number, _ in app.config["PUBLIC_HOTLINES"]:
        assert number in page
    assert app.config["CAMPAIGN_CONTACT_PHONE"] not in page  # the officials' number stays off the wall
    assert f"{BASE_URL}/r/{poster.code}" in page
    assert f"/posters/{poster.code}/qr.svg" in page
    assert f"{BASE_URL}/check" in page
    with client.get("/static/css/public.css") as css:
        assert "@media print" in css.get_data(as_text=True)


def test_a_community_prints_all_its_current_posters_at_once(client, world, actions):
    actions.login("street")
    first = make_poster(client, COMMUNITY, "1号楼门厅")
    second = make_poster(client, COMMUNITY, "2号楼门厅")
    retired = make_poster(client, COMMUNITY, "旧活动室")
    elsewhere = make_poster(client, COMMUNITY_2, "5号楼")
    client.post(f"/posters/{retired.code}/retire")
    page = client.get(f"/posters/print?community={COMMUNITY}").get_data(as_text=True)
    assert page.count('class="poster"') == 2
    assert first.code in page and second.code in page
    assert retired.code not in page and elsewhere.code not in page


def test_retiring_keeps_the_poster_and_its_report_page(client, world, actions):
    actions.login("surveyor")
    poster = make_poster(client)
    assert client.post(f"/posters/{poster.code}/retire").status_code == 303
    assert Poster.get_by_id(poster.id).retired_at is not None
    assert "已撤下" in client.get("/posters/").get_data(as_text=True)
    actions.logout()
    page = client.get(f"/r/{poster.code}")
    assert page.status_code == 200 and "3号楼门厅" in page.get_data(as_text=True)
    assert AuditLog.select().where((AuditLog.action == "retire") & (AuditLog.object_type == "poster")).exists()


def test_posters_are_out_of_reach_outside_scope(client, world, actions):
    actions.login("surveyor")
    poster = make_poster(client)
    actions.logout()
    actions.login("other_surveyor")
    for path in ("", "/qr.png", "/qr.svg", "/share.png"):
        assert client.get(f"/posters/{poster.code}{path}").status_code == 404
    assert client.post(f"/posters/{poster.code}/retire").status_code == 404
    assert poster.code not in client.get("/posters/").get_data(as_text=True)
    assert client.get(f"/posters/print?community={COMMUNITY}").status_code == 404
    # and a surveyor cannot make posters for another 居委
    response = client.post("/posters/", data={"community": COMMUNITY, "location": "门厅"})
    assert response.status_code == 303
    assert Poster.select().order_by(Poster.id.desc()).first().community_id == OTHER_COMMUNITY


def test_a_poster_needs_a_location(client, world, actions):
    actions.login("street")
    response = client.post("/posters/", data={"community": COMMUNITY, "location": "  "})
    assert response.status_code == 422 and "请填写张贴位置" in response.get_data(as_text=True)
    response = client.post("/posters/", data={"community": OTHER_COMMUNITY, "location": "门厅"})
    assert response.status_code == 422 and "不在您负责的范围内" in response.get_data(as_text=True)


def test_create_poster_command_prints_the_code_last(runner, world):
    result = runner.invoke(args=["create-poster", COMMUNITY, "3号楼门厅"])
    assert result.exit_code == 0, result.output
    code = result.output.strip().splitlines()[-1]
    poster = Poster.get(Poster.code == code)
    assert (poster.community_id, poster.location) == (COMMUNITY, "3号楼门厅")
    assert f"{BASE_URL}/r/{code}" in result.output
    bad = runner.invoke(args=["create-poster", "999", "门厅"])
    assert bad.exit_code != 0 and "没有这个居委" in bad.output
