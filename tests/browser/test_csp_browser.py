"""Real Chromium: htmx never writes a style attribute, which the app's CSP (style-src 'self') would block.

htmx settles the attributes in its `attributesToSettle` from the old element to the new one with
setAttribute; with "style" in that list, any element that carries a style attribute when it is swapped (set
through the CSSOM by the browser, an extension, a reader mode, WeChat's font scaling or Playwright's own
screenshots, which hide the caret that way) makes Chromium refuse "Applying inline style" on a real page. The
suite saw it at random whenever a screenshot and a swap overlapped (issue 16).
"""
import pytest
from playwright.sync_api import expect

from tests.conftest import log_in

# What is measured here (sizes, layout, CSS, ARIA, CSP) is the markup, the same over either database: run once.
pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]


def test_a_swap_over_elements_styled_through_the_cssom_breaks_no_csp_rule(live_server, live_world, phone):
    problems = []
    phone.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    log_in(phone, live_server.url, "department")
    phone.goto(live_server.url + "/tables/spot-checks")
    phone.get_by_label("抽查日期").fill("2023-03-20")
    phone.get_by_label("抽查渠道").select_option(label="使用领域")
    phone.get_by_label("产品类别").select_option(label="灭火器")
    phone.get_by_label("抽查批次").fill("4")
    phone.get_by_label("其中不合格批次").fill("6")
    # What a screenshot tool or the browser itself may do to any element: a style set through the CSSOM (allowed
    # by the CSP), left on the element as its style attribute.
    phone.evaluate("document.querySelectorAll('#spot-checks input').forEach(i => { i.style.caretColor = 'red'; })")
    phone.get_by_role("button", name="保存").click()  # the form comes back with its error, swapped in by htmx
    expect(phone.locator("#err-failed")).to_have_text("不合格批次不能多于抽查批次")
    phone.wait_for_timeout(100)  # htmx settles 20 ms after the swap
    assert not problems, problems
