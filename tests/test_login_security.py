"""Logging in under attack (issue 11): no open redirect, no username leak by timing, throttling per real client
that cannot be used to lock the owner out, shared counts in Redis, and answers in the documented words."""

import pytest

from domain.org import accounts
from models import User
from tests.conftest import PASSWORD, survey_body

GOOD = {"username": "surveyor", "password": PASSWORD}


def login_from(client, address, username="surveyor", password=PASSWORD):
    """A login POST as it reaches the app through one trusted reverse proxy, from `address`."""
    return client.post("/login", data={"username": username, "password": password},
                       headers={"X-Forwarded-For": address}, environ_base={"REMOTE_ADDR": "10.9.9.9"})


# --- item 1: the redirect after login stays on this site ------------------------------------------------------

@pytest.mark.parametrize("next_param", [
    "/%09/evil.example.com",      # a tab: browsers drop it and read //evil.example.com
    "/%0D%0A/evil.example.com",   # CR LF: also a header injection attempt
    "/%0A/evil.example.com",
    "/%5C/evil.example.com",      # a backslash: browsers read it as a slash
    "/%5Cevil.example.com",
    "%2F%2Fevil.example.com",
    "https://evil.example.com/",
    "/%20/evil.example.com",
])
def test_next_never_leaves_the_site_and_never_fails(world, client, next_param):
    reply = client.post(f"/login?next={next_param}", data=GOOD)
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/"


def test_next_keeps_a_real_path_of_the_site(world, client):
    reply = client.post("/login?next=/survey/today%3Fx%3D1", data=GOOD)
    assert reply.headers["Location"] == "/survey/today?x=1"


# --- item 3: a wrong password takes as long whoever the user is ------------------------------------------------

def test_unknown_user_is_checked_against_a_hash_of_the_configured_strength(make_app, world, monkeypatch):
    app = make_app(PASSWORD_HASH_METHOD="pbkdf2:sha256:20000")
    checked = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda stored, password: checked.append(stored) or real_check(stored, password))
    assert app.test_client().post("/login", data={"username": "nobody", "password": "x-x-x-x-x"}).status_code == 401
    assert len(checked) == 1 and checked[0].startswith("pbkdf2:sha256:20000$")


def test_an_inactive_user_runs_the_same_hash_check(world, client, monkeypatch):
    User.update(active=False).where(User.username == "surveyor").execute()
    checked = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda stored, password: checked.append(stored) or real_check(stored, password))
    assert client.post("/login", data=GOOD).status_code == 401
    assert checked == [User.get(User.username == "surveyor").password_hash]


def test_wrong_passwords_take_as_long_for_unknown_known_and_inactive_users(make_app, world, monkeypatch):
    # As long by construction, not by a stopwatch (which a busy machine makes lie, and which tests never read):
    # every answer costs exactly one check of a hash of the configured strength, whoever is asked for.
    method = "pbkdf2:sha256:150000"
    app = make_app(PASSWORD_HASH_METHOD=method)
    with app.app_context():
        accounts.create_user("slow", "surveyor", "310105001001", PASSWORD, method)
        accounts.create_user("gone", "surveyor", "310105001001", PASSWORD, method)
        User.update(active=False).where(User.username == "gone").execute()
    client = app.test_client()
    real_check = accounts.check_password_hash
    for username in ("slow", "gone", "nobody-here"):
        checked = []
        monkeypatch.setattr(accounts, "check_password_hash",
                            lambda stored, password: checked.append(stored) or real_check(stored, password))
        assert client.post("/login", data={"username": username, "password": "wrong-1234"}).status_code == 401
        assert len(checked) == 1 and checked[0].startswith(f"{method}$"), (username, checked)


# --- item 2: limits per real client, a throttle that cannot lock the owner out, shared counts ----------------------

def limited_app(make_app, **overrides):
    return make_app(RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1, **overrides)


def test_behind_the_proxy_each_client_has_its_own_login_budget(make_app, world):
    client = limited_app(make_app, RATELIMIT_LOGIN="4 per minute").test_client()
    codes = [login_from(client, "203.0.113.1", f"user{i}", "wrong-1234").status_code for i in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    assert login_from(client, "203.0.113.2").status_code == 302


def test_without_trusted_proxies_a_forwarded_address_is_ignored(make_app, world):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="4 per minute").test_client()
    codes = [client.post("/login", data={"username": f"user{i}", "password": "wrong-1234"},
                         headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(5)]
    assert codes == [401, 401, 401, 401, 429]


def test_only_the_hops_of_trusted_proxies_are_believed(make_app, world):
    """A client that sends its own X-Forwarded-For cannot pick its address: the proxy appends the real one."""
    client = limited_app(make_app, RATELIMIT_LOGIN="4 per minute").test_client()
    codes = [login_from(client, f"198.51.100.{i}, 203.0.113.1", f"user{i}", "wrong-1234").status_code
             for i in range(5)]
    assert codes == [401, 401, 401, 401, 429]


def test_reports_are_limited_per_real_client_behind_the_proxy(make_app, world):
    client = limited_app(make_app, RATELIMIT_PUBLIC="1 per minute").test_client()
    form = {"description": "有人上门推销灭火器", "kinds": "sells_products"}

    def report(address):
        return client.post("/r", data=form, headers={"X-Forwarded-For": address},
                           environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code

    assert [report("203.0.113.1"), report("203.0.113.1"), report("203.0.113.2")] == [303, 429, 303]


def test_wrong_logins_from_one_address_over_many_accounts_lock_nobody_else_out(make_app, world):
    client = limited_app(make_app).test_client()
    for i in range(20):
        login_from(client, "203.0.113.66", f"user{i % 200}", "wrong-1234")
    for username, address in (("surveyor", "203.0.113.7"), ("street", "203.0.113.8")):
        assert login_from(client, address, username).status_code == 302
        client.post("/logout")


def test_successful_logins_from_one_office_address_are_not_limited(make_app, world):
    client = limited_app(make_app, RATELIMIT_LOGIN="3 per minute").test_client()
    for _ in range(6):
        assert login_from(client, "203.0.113.9").status_code == 302
        client.post("/logout")


def test_two_hundred_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(make_app, world):
    app = limited_app(make_app)
    owner, attacker = app.test_client(), app.test_client()
    assert login_from(owner, "203.0.113.7").status_code == 302  # she works from here every day
    owner.post("/logout")
    refused = 0
    for i in range(200):
        reply = login_from(attacker, f"198.51.{i // 100}.{i % 100}", "surveyor", f"guess-{i}")
        assert reply.status_code in (401, 429)
        refused += reply.status_code == 429
    assert refused > 0  # the ceiling stopped the botnet
    assert login_from(owner, "203.0.113.7").status_code == 302  # at once: the throttle holds no one, it refuses
    owner.post("/logout")
    # on a new address (a phone's mobile network) her browser's device cookie vouches for her
    assert login_from(owner, "192.0.2.200").status_code == 302
    owner.post("/logout")
    # a cookie-less browser at her usual address too: the address logged in to this account before
    assert login_from(app.test_client(), "203.0.113.7").status_code == 302
    # while a new address without the cookie is stopped by the ceiling
    assert login_from(app.test_client(), "192.0.2.201").status_code == 429


def test_guessing_from_one_address_is_stopped_but_not_at_the_owners_address(make_app, world):
    app = limited_app(make_app, RATELIMIT_LOGIN_ACCOUNT="3 per minute")
    attacker = app.test_client()
    codes = [login_from(attacker, "198.51.100.1", "surveyor", "guess-1234").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert login_from(app.test_client(), "203.0.113.7").status_code == 302


def test_login_throttle_counts_are_shared_by_workers_through_redis(make_app, world, redis_url):
    worker_a = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_LOGIN_ACCOUNT="3 per minute")
    worker_b = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_LOGIN_ACCOUNT="3 per minute")
    for _ in range(3):
        assert worker_a.test_client().post("/login", data={**GOOD, "password": "wrong-1234"}).status_code == 401
    assert worker_b.test_client().post("/login", data=GOOD).status_code == 429


def test_report_limits_survive_a_new_worker_through_redis(make_app, world, redis_url):
    form = {"description": "有人上门推销灭火器", "kinds": "sells_products"}
    first = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_PUBLIC="1 per minute")
    assert first.test_client().post("/r", data=form).status_code == 303
    second = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_PUBLIC="1 per minute")
    assert second.test_client().post("/r", data=form).status_code == 429


# --- item 9: the documented words -------------------------------------------------------------------------------

def test_an_api_call_without_credentials_is_401_even_with_csrf_on(make_app, world):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    reply = client.post("/api/v1/surveys", json=survey_body())
    assert reply.status_code == 401
    assert reply.get_json()["error"] == "unauthorized"


def test_a_logged_in_api_call_without_csrf_token_is_still_refused(make_app, world):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={**GOOD, "csrf_token": token})
    reply = client.post("/api/v1/surveys", json=survey_body())
    assert reply.status_code == 400 and reply.get_json()["error"] == "csrf"


def test_the_429_message_is_chinese_only(make_app, world, poster_for_limits):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC="1 per minute", RATELIMIT_POSTER="100 per hour")
    client = app.test_client()
    client.get("/r/status?number=230320-AAAAAA")
    for reply in (client.get("/r/status?number=230320-AAAAAA"),
                  client.get("/r/status?number=230320-AAAAAA", headers={"Accept": "application/json"})):
        assert reply.status_code == 429
        text = reply.get_data(as_text=True)
        assert "per" not in text and "minute" not in text
    for _ in range(12):
        reply = client.post("/login", data={"username": "surveyor", "password": "wrong-1234"})
    text = reply.get_data(as_text=True)
    assert reply.status_code == 429 and "后再试" in text and "per" not in text and "minute" not in text
    assert int(reply.headers["Retry-After"]) > 0


@pytest.fixture
def poster_for_limits(world):
    from domain.public.posters import create_poster

    return create_poster(world["surveyor"], "310105001001", "1号楼门厅")
