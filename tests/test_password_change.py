"""Changing one's password on the profile page (issue 8 item 6): the current password and the new one twice,
Chinese messages at the field, hashed with the configured method, the user's other sessions ended."""
import re

import pytest

from models import AuditLog, User
from tests.conftest import PASSWORD

NEW = "new-horse-battery-9"


def change(client, current=PASSWORD, new=NEW, again=None):
    return client.post("/profile/password", data={"current_password": current, "new_password": new,
                                                 "new_password_again": NEW if again is None else again})


def error_at(html, name):
    match = re.search(r'id="err-%s">([^<]*)<' % name, html)
    return match.group(1) if match else None


def test_a_worker_changes_the_password_and_other_phones_are_logged_out(world, app, actions, client):
    other_phone = app.test_client()
    other_phone.post("/login", data={"username": "surveyor", "password": PASSWORD})
    actions.login("surveyor")
    assert "修改密码" in client.get("/profile").get_data(as_text=True)

    response = change(client)
    assert response.status_code == 303
    assert "密码已修改" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 200  # this phone stays logged in
    assert other_phone.get("/api/v1/me").status_code == 401  # the other one is logged out

    stored = User.get(User.username == "surveyor").password_hash
    assert stored.startswith(app.config["PASSWORD_HASH_METHOD"] + "$") and NEW not in stored
    assert AuditLog.select().where(AuditLog.action == "change_password").count() == 1
    actions.logout()
    assert actions.login("surveyor", PASSWORD).status_code == 401
    assert actions.login("surveyor", NEW).status_code == 302


@pytest.mark.parametrize("current, new, again, field, message", [
    ("wrong-password", NEW, NEW, "current_password", "当前密码不正确"),
    (PASSWORD, "short", "short", "new_password", "新密码至少 8 位"),
    (PASSWORD, PASSWORD, PASSWORD, "new_password", "新密码不能与当前密码相同"),
    (PASSWORD, NEW, NEW + "x", "new_password_again", "两次输入的新密码不一致"),
])
def test_a_wrong_change_says_why_at_the_field(world, actions, client, current, new, again, field, message):
    actions.login("surveyor")
    response = change(client, current, new, again)
    assert response.status_code == 422
    assert error_at(response.get_data(as_text=True), field) == message
    actions.logout()
    assert actions.login("surveyor", PASSWORD).status_code == 302


def test_changing_the_password_needs_a_login(world, client):
    assert change(client).status_code in (302, 401)
