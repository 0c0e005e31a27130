"""Real Chromium: a street office picks a day and sees that day's 附件1, with no CSP complaints."""
import pytest

from tests.conftest import log_in
from tests.test_tables import D1, build_district

pytestmark = pytest.mark.browser


def test_street_office_picks_a_day(live_server, live_world, page):
    with live_server.app.app_context():
        from models import db

        build_district(live_world)
        db.close()
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    log_in(page, live_server.url, "street")
    page.get_by_role("link", name="统计表").click()
    page.wait_for_url("**/tables/**")
    page.get_by_label("统计日期").fill(D1.isoformat())
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(f"**as_of={D1}**")
    total = page.locator("table.figures tfoot tr")
    assert total.locator("td").all_inner_texts() == ["4", "2", "2", "2", "4", "3", "1", "4", "2,698.00", "2", "0", "0", "0.0"]
    assert page.locator("svg.chart-bar").count() == 2
    assert not problems, problems
