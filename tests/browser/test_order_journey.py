"""督办 on phones in real Chromium (issue 19 parts 4 and 5): the district orders 华阳路街道 about 华阳一居委's coverage;
the street finds it on its home page with the count in the navigation, answers with 整改情况; the district closes it.
Every button and link on the way is at least 44×44 CSS px and no page is wider than the screen."""
import pytest
from playwright.sync_api import expect

from models import SupervisionOrder, db
from tests.browser.phone import overflow, shot, small_tap_targets
from tests.conftest import PHONE, log_in

pytestmark = pytest.mark.browser


def fits_a_phone(page):
    assert overflow(page) <= 0, f"{page.url} is {overflow(page)} px wider than the screen"
    assert not small_tap_targets(page), small_tap_targets(page)


def test_the_district_orders_a_street_which_answers_and_the_district_closes_it(live_server, live_world, browser):
    url = live_server.url

    # The district issues the order from its phone.
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, url, "district")
    page.get_by_role("link", name="下发督办").click()
    expect(page.get_by_role("heading", name="下发督办")).to_be_visible()
    page.get_by_label("督办对象").select_option(label="华阳路街道")
    page.get_by_label("督办事项").select_option(label="居委排摸覆盖")
    expect(page.get_by_label("案件或质量信号的编号")).to_be_hidden()  # only the field this subject needs
    page.get_by_label("居委", exact=True).select_option(label="华阳一居委")
    page.get_by_label("督办要求").fill("华阳一居委未走访单位较多，请本周内组织补访并反馈名单")
    fits_a_phone(page)
    shot(page, "order-1-district-new")
    page.get_by_role("button", name="下发督办").click()
    expect(page.get_by_text("已下发督办")).to_be_visible()
    expect(page.get_by_role("heading", name="督办：华阳一居委的排摸覆盖")).to_be_visible()
    expect(page.locator(".badge.order-open")).to_have_text("待反馈")
    fits_a_phone(page)
    shot(page, "order-2-district-issued")
    with live_server.app.app_context():
        number = SupervisionOrder.get().id
        db.close()
    context.close()

    # The street finds it on its home page, with the count in the navigation, and answers.
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, url, "street")
    expect(page.get_by_role("link", name="督办 1")).to_be_visible()
    block = page.locator("#orders-home")
    expect(block).to_contain_text("1 件督办待本单位反馈整改情况")
    fits_a_phone(page)
    shot(page, "order-3-street-home")
    block.get_by_role("link", name="华阳一居委的排摸覆盖").click()
    expect(page.get_by_text("华阳一居委未走访单位较多")).to_be_visible()
    expect(page.get_by_role("button", name="办结")).to_have_count(0)  # a recipient never closes its own order
    page.get_by_label("整改情况").fill("已组织楼组长补访 32 户，名单见附表")
    fits_a_phone(page)
    page.get_by_role("button", name="提交整改情况").click()
    expect(page.get_by_text("已提交整改情况")).to_be_visible()
    expect(page.locator(".badge.order-answered")).to_have_text("已反馈，待办结")
    expect(page.get_by_role("link", name="督办 1")).to_have_count(0)  # nothing waits for the street any more
    fits_a_phone(page)
    shot(page, "order-4-street-answered")
    context.close()

    # The district reads the answer and closes the order.
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, url, "district")
    expect(page.locator("#orders-home")).to_contain_text("1 件已反馈，待本单位办结或退回")
    page.locator("#orders-home").get_by_role("link", name="华阳一居委的排摸覆盖").click()
    expect(page.get_by_text("已组织楼组长补访 32 户").first).to_be_visible()
    for name in ("办结", "退回"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (name, box)
    fits_a_phone(page)
    shot(page, "order-5-district-decides")
    page.get_by_label("说明（退回时必填，写明还要做什么）").fill("补访到位，同意办结")
    page.get_by_role("button", name="办结", exact=True).click()
    expect(page.get_by_text("已办结").first).to_be_visible()
    expect(page.locator(".badge.order-closed")).to_have_text("已办结")
    expect(page.locator(".order-steps li")).to_have_count(3)
    fits_a_phone(page)
    shot(page, "order-6-district-closed")
    assert page.url.endswith(f"/orders/{number}")
    context.close()
