"""The street's and district's lists on a phone (issue 8 item 9): the 问题清单 reads as one card per institution, not
ten columns one character wide; the approved-list page fits the screen and speaks in words, not files."""
import pytest

from domain.public import approved
from models import db
from tests.browser.phone import overflow, shot, small_tap_targets
from tests.conftest import PHONE, log_in
from tests.test_tables import D2, build_district

# What is measured here (sizes, layout, CSS, ARIA, CSP) is the markup, the same over either database: run once.
pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]

NARROWEST_CELL = 120  # CSS px: six Chinese characters side by side


def phone_page(browser):
    return browser.new_context(**PHONE, locale="zh-CN").new_page()


def test_the_problem_list_reads_on_a_phone(live_server, live_world, browser):
    with live_server.app.app_context():
        build_district(live_world)
        db.close()
    page = phone_page(browser)
    log_in(page, live_server.url, "street")
    page.goto(f"{live_server.url}/tables/problems?as_of={D2}")
    cells = page.locator("table.cards tbody td")
    assert cells.count() >= 10
    widths = [box["width"] for box in (cells.nth(i).bounding_box() for i in range(cells.count()))]
    assert min(widths) >= NARROWEST_CELL, widths
    assert page.get_by_text("涉及金额（元）").first.is_visible()  # each value under its column's name
    assert overflow(page) <= 0
    assert not small_tap_targets(page), small_tap_targets(page)
    shot(page, "street-problems")


def test_the_approved_list_page_fits_a_phone(live_server, live_world, browser):
    with live_server.app.app_context():
        approved.import_csv("name,credit_code,address,phone,approval_no,valid_until\n"
                            "上海安泰消防培训有限公司,91310105MA1FL0XX1A,长宁区长宁路1号,021-60000000,沪消培001,2030-12-31\n")
        db.close()
    page = phone_page(browser)
    log_in(page, live_server.url, "district")
    page.goto(f"{live_server.url}/check/approved")
    assert overflow(page) <= 0
    text = page.locator("main").inner_text()
    assert "name,credit_code" not in text and "/check" not in text
    assert not small_tap_targets(page), small_tap_targets(page)
    shot(page, "district-approved")
