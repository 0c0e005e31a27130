"""长辈模式 (大字版, issue 12 item 2) on the server: one link at the top of every public page sets a cookie and
comes back; the pages are then marked for the large style, say that they depend on the cookie, and the report
form shows what is essential first with the rest folded below. No JavaScript involved."""
import re

import pytest

from blueprints.report import LARGE_MODE_COOKIE
from domain.public import posters
from tests.conftest import COMMUNITY

PUBLIC_PAGES = ("/r", "/r/status", "/r/guide", "/check", "/exposed", "/r/NOPE42")


@pytest.fixture
def poster(app, world):
    with app.app_context():
        return posters.create_poster(None, COMMUNITY, "3号楼门厅")


def turn_on(client, next_path="/r"):
    return client.get("/r/mode", query_string={"large": "1", "next": next_path})


def html_classes(page):
    return re.search(r'<html lang="zh-CN"(?: class="([^"]*)")?>', page).group(1) or ""


def test_the_switch_is_at_the_top_of_every_public_page(client, poster):
    for path in PUBLIC_PAGES + (f"/r/{poster.code}",):
        page = client.get(path).get_data(as_text=True)
        header = page[page.index("<header"):page.index("</header>")]
        assert f'href="/r/mode?large=1&amp;next={path}"' in header, path
        assert "长辈模式" in header
        assert "large" not in html_classes(page)


def test_one_tap_turns_it_on_remembers_it_and_comes_back(client, poster):
    reply = turn_on(client, f"/r/{poster.code}")
    assert reply.status_code == 303 and reply.headers["Location"] == f"/r/{poster.code}"
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith(f"{LARGE_MODE_COOKIE}=1;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie  # a year: the resident chose it once
    for path in PUBLIC_PAGES + (f"/r/{poster.code}",):
        page = client.get(path).get_data(as_text=True)
        assert html_classes(page) == "large", path
        assert 'href="/r/mode?large=0&amp;next=' in page and "退出长辈模式" in page
    off = client.get("/r/mode", query_string={"large": "0", "next": "/check"})
    assert off.headers["Location"] == "/check" and f"{LARGE_MODE_COOKIE}=;" in off.headers["Set-Cookie"]
    assert "large" not in html_classes(client.get("/check").get_data(as_text=True))


def test_the_way_back_keeps_the_query_and_never_leaves_the_site(client):
    page = client.get("/r/status?number=230320-K7QX3M").get_data(as_text=True)
    assert 'next=/r/status?number%3D230320-K7QX3M"' in page
    assert turn_on(client, "/r/status?number=230320-K7QX3M").headers["Location"] == "/r/status?number=230320-K7QX3M"
    for elsewhere in ("https://evil.example/r", "//evil.example/r", "/\\evil.example", "/\t/evil.example", ""):
        assert turn_on(client, elsewhere).headers["Location"] == "/r", elsewhere


def test_pages_in_either_mode_say_they_depend_on_the_cookie(client, poster):
    """The same URL is two pages: no cache may hand one mode's page to the other (public pages are no-cache, and
    Vary: Cookie says so to anything between)."""
    for path in PUBLIC_PAGES + (f"/r/{poster.code}",):
        reply = client.get(path)
        assert "Cookie" in reply.headers.get("Vary", ""), path
        assert reply.headers["Cache-Control"] == "no-cache"


def fields_in_order(page):
    return re.findall(r'<(?:input|textarea|select)[^>]* name="(\w+)"|<(summary)>|<button type="submit"', page)


def test_the_form_shows_what_is_essential_first_and_folds_the_rest(client, poster):
    normal = client.get(f"/r/{poster.code}").get_data(as_text=True)
    assert "<details" not in normal
    turn_on(client)
    page = client.get(f"/r/{poster.code}").get_data(as_text=True)
    before, folded = page.split('<details class="more">')
    essentials = [n for n, _ in fields_in_order(before[before.index("<form"):]) if n not in ("csrf_token", "website")]
    assert essentials == ["kinds"] * 6 + ["description", "photos", ""]  # "" is the submit button
    assert before.rstrip().endswith('<button type="submit" class="primary">提交举报</button>')
    rest = [n for n, s in fields_in_order(folded[:folded.index("</details>")]) if n]
    assert rest == ["institution", "institution_phone", "happened_on", "place", "amount", "contact"]
    assert "<summary>补充更多情况（可不填）</summary>" in folded
    general = client.get("/r").get_data(as_text=True)
    assert 'name="area"' in general.split('<details class="more">')[1]  # /r asks where; folded too


def test_an_error_in_a_folded_field_opens_it_and_takes_the_focus(client, poster):
    turn_on(client)
    page = client.post(f"/r/{poster.code}", data={"kinds": ["sells_products"], "description": "上门推销灭火器",
                                                  "amount": "两百"}).get_data(as_text=True)
    assert '<details class="more" open>' in page
    amount = re.search(r"<input id=\"amount\"[^>]*>", page).group(0)
    assert 'value="两百"' in amount  # what was typed, to correct
    assert 'aria-invalid="true"' in amount and 'aria-describedby="amount-error"' in amount and "autofocus" in amount
    assert page.count("autofocus") == 1
