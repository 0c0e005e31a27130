"""Logging in and out, sessions that really end, API tokens, CSRF, rate limits and security headers."""
import re

from domain.org import accounts
from models import ApiToken, Survey, User
from tests.conftest import PASSWORD, negative_body, survey_body


def csrf_token_from(page):
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_login_with_the_right_password(world, client, actions):
    reply = actions.login("surveyor")
    assert reply.status_code == 302
    assert client.get("/api/v1/me").get_json()["username"] == "surveyor"


def test_wrong_password_says_so_in_chinese(world, actions):
    reply = actions.login("surveyor", "wrong-password")
    assert reply.status_code == 401
    assert "用户名或密码不正确" in reply.get_data(as_text=True)


def test_unknown_user_gets_the_same_answer(world, actions):
    reply = actions.login("nobody", "whatever-1")
    assert reply.status_code == 401
    assert "用户名或密码不正确" in reply.get_data(as_text=True)


def test_passwords_are_stored_hashed(world):
    stored = User.get(User.username == "surveyor").password_hash
    assert PASSWORD not in stored and stored.startswith("pbkdf2:sha256:")


def test_production_hashing_is_strong_enough(app):
    from config import Config

    assert Config.PASSWORD_HASH_METHOD == "pbkdf2:sha256:1000000"


def test_logout_ends_the_session_on_the_server(world, client, actions):
    """A copied session cookie must not keep working after logout (flask-login#480)."""
    actions.login("surveyor")
    stolen = client.get_cookie("paimo_session").value
    actions.logout()
    assert client.get("/api/v1/me").status_code == 401
    client.set_cookie("paimo_session", stolen)
    assert client.get("/api/v1/me").status_code == 401


def test_open_redirect_after_login_is_refused(world, client):
    reply = client.post("/login?next=//evil.example.com/x", data={"username": "surveyor", "password": PASSWORD})
    assert reply.headers["Location"] in ("/", "http://localhost/")


def test_session_cookie_flags(make_app, world):
    app = make_app(SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    reply = client.post("/login", data={"username": "surveyor", "password": PASSWORD})
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_bearer_token_works_without_csrf(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    _, token = accounts.issue_token(world["surveyor"], "script")
    client = app.test_client()
    reply = client.post("/api/v1/surveys", json=negative_body(), headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 201
    assert ApiToken.get().token_hash != token  # only the hash is kept


def test_revoked_token_stops_working_at_once(world, client):
    row, token = accounts.issue_token(world["surveyor"])
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    accounts.revoke_token(world["surveyor"], row.id)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer pm_made_up"}).status_code == 401


def test_profile_page_issues_lists_and_revokes_tokens(world, client, actions):
    actions.login("surveyor")
    page = client.post("/profile/tokens", data={"name": "同步脚本"}).get_data(as_text=True)
    token = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert "同步脚本" in client.get("/profile").get_data(as_text=True)
    token_id = ApiToken.get().id
    client.post(f"/profile/tokens/{token_id}/revoke")
    assert "已作废" in client.get("/profile").get_data(as_text=True)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_user_cannot_revoke_anothers_token(world, client, actions):
    row, token = accounts.issue_token(world["surveyor2"])
    actions.login("surveyor")
    client.post(f"/profile/tokens/{row.id}/revoke")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_forms_and_session_api_calls_need_a_csrf_token(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/login", data={"username": "surveyor", "password": PASSWORD}).status_code == 400
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": "surveyor", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    no_header = client.post("/api/v1/surveys", json=survey_body())
    assert no_header.status_code == 400 and no_header.get_json()["error"] == "csrf"
    fresh = client.get("/api/v1/csrf").get_json()["csrf_token"]
    reply = client.post("/api/v1/surveys", json=survey_body(), headers={"X-CSRFToken": fresh})
    assert reply.status_code == 201
    assert Survey.select().count() == 1


def test_login_is_rate_limited_per_account_with_a_chinese_message(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="100 per minute", RATELIMIT_LOGIN_ACCOUNT="3 per minute")
    client = app.test_client()
    for _ in range(3):
        assert client.post("/login", data={"username": "surveyor", "password": "nope-nope"}).status_code == 401
    blocked = client.post("/login", data={"username": "surveyor", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "操作太频繁" in blocked.get_data(as_text=True)
    # another account from the same address is not blocked by the per-account limit
    assert client.post("/login", data={"username": "surveyor2", "password": PASSWORD}).status_code == 302


def test_login_is_rate_limited_per_address(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="4 per minute")
    client = app.test_client()
    codes = [client.post("/login", data={"username": f"user{i}", "password": "x-x-x-x-x"}).status_code
             for i in range(5)]
    assert codes == [401, 401, 401, 401, 429]


def test_security_headers(client):
    reply = client.get("/login")
    csp = reply.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Referrer-Policy"] == "same-origin"
    assert reply.headers["Cache-Control"] == "no-cache"


def test_no_inline_scripts_or_styles_in_pages(world, client, actions):
    pages = [client.get("/login").get_data(as_text=True)]
    actions.login("surveyor")
    pages.append(client.get("/profile").get_data(as_text=True))
    for page in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
        assert " style=" not in page and "<style" not in page


def test_errors_are_json_for_the_api_and_pages_for_people(world, client):
    assert client.get("/api/v1/nothing-here").get_json()["error"] == "404"
    page = client.get("/nothing-here")
    assert page.status_code == 404 and "找不到" in page.get_data(as_text=True)


def test_a_session_ends_after_a_working_day_on_the_server(world, client, actions):
    import datetime

    from models import UserSession

    actions.login("surveyor")
    assert client.get("/api/v1/me").status_code == 200
    from domain.common.clock import now_local

    UserSession.update(created_at=now_local() - datetime.timedelta(hours=13)).execute()
    assert client.get("/api/v1/me").status_code == 401
