"""Real Chromium, phone viewport: the login page works and leads a surveyor to the survey."""
import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_surveyor_logs_in_on_a_phone(live_server, live_world, phone):
    phone.goto(live_server.url + "/login")
    phone.get_by_label("用户名").fill("surveyor")
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url("**/survey/**")
    assert "排摸" in phone.content()
