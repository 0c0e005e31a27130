"""The resident's pages (issue 8 item 8): every public URL answers with a public page; the receipt counts the
photos and offers to copy the 编号; /r/status says when, where the report stands and what comes next; /check
publishes the approved list; the guide page; the public hotlines; WeChat on an iPhone."""
import datetime
import io
import re

import pytest
from PIL import Image

from domain.common.clock import today_local
from domain.public import guide, posters, reports
from models import REPORT_STATUSES, Report, User
from tests.conftest import COMMUNITY, PASSWORD

REPORT = {"kinds": ["sells_products"], "description": "上门推销灭火器", "institution": "", "institution_phone": "",
          "happened_on": "", "place": "", "amount": "", "contact": ""}
FUTURE = (today_local() + datetime.timedelta(days=365)).isoformat()
PAST = (today_local() - datetime.timedelta(days=1)).isoformat()
APPROVED = ("name,credit_code,address,phone,approval_no,valid_until\n"
            f"上海安泰消防培训有限公司,91310105MA1FL0XX1A,长宁路1号,021-60000000,沪消培001,{FUTURE}\n"
            f"上海旧日消防培训中心,91310105MA1FL0XX2B,,,沪消培002,{PAST}\n"
            "上海长青消防技能培训学校,,,,沪消培003,\n")
IPHONE_WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Mobile/15E148 MicroMessenger/8.0.38(0x1800262c) NetType/WIFI Language/zh_CN")
IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/16.5 Mobile/15E148 Safari/604.1")
ANDROID_WECHAT = ("Mozilla/5.0 (Linux; Android 13; V2055A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5127 MicroMessenger/8.0.37.2380")


@pytest.fixture
def poster(app, world):
    with app.app_context():
        return posters.create_poster(None, COMMUNITY, "3号楼门厅")


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 60, 60)).save(out, "JPEG")
    return out.getvalue()


def is_public_page(html):
    """The resident's look: the public footer with the guide, nothing that leads to staff pages."""
    return 'href="/r/guide"' in html and "/login" not in html and "退出" not in html


def submit(client, url, photos=0):
    data = {**REPORT, "photos": [(io.BytesIO(jpeg()), f"IMG_{i}.jpg") for i in range(photos)]}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.location


# --- every public URL answers with a public page ----------------------------------------------------------

@pytest.mark.parametrize("path, status", [
    ("/r/", 200), ("/r", 200), ("/r/status/", 200), ("/r/guide", 200), ("/r/guide/", 200), ("/check/", 200),
    ("/r/nothing/here", 404), ("/r/ZZZZZZ", 404), ("/check/nothing", 404), ("/r/status?number=230101-XXXXXX", 404),
])
def test_every_public_url_answers_with_a_public_page(client, world, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert is_public_page(response.get_data(as_text=True)), path
    assert response.headers["Cache-Control"] == "no-cache"


def test_a_report_sent_from_the_trailing_slash_page_arrives(client, world):
    assert "/r/status?" in submit(client, "/r/")


def test_errors_on_public_pages_stay_public(make_app, client, world, poster):
    stale = make_app(WTF_CSRF_ENABLED=True).test_client().post(f"/r/{poster.code}", data=REPORT)
    assert stale.status_code == 400 and is_public_page(stale.get_data(as_text=True))  # a page left open too long
    wrong_method = client.delete("/r")
    assert wrong_method.status_code == 405 and is_public_page(wrong_method.get_data(as_text=True))


def test_staff_pages_keep_the_staff_error_page(client, world, actions):
    actions.login("district")
    missing = client.post("/check/approved/999/delete")
    assert missing.status_code == 404
    assert "退出" in missing.get_data(as_text=True) and not is_public_page(missing.get_data(as_text=True))


# --- the receipt and the status page --------------------------------------------------------------------

@pytest.mark.parametrize("photos, says", [(2, "收到 2 张"), (0, "没有附照片")])
def test_the_receipt_says_how_many_photos_arrived_and_offers_to_copy_the_number(client, poster, photos, says):
    receipt = client.get(submit(client, f"/r/{poster.code}", photos)).get_data(as_text=True)
    number = Report.get().number
    assert "已收到您的举报" in receipt and says in receipt
    assert re.search(rf'<p class="number" id="report-number"[^>]*>{number}</p>', receipt)
    assert 'data-copy="report-number"' in receipt and "/static/js/copy.js" in receipt
    assert 'hidden>复制编号</button>' in receipt  # without JavaScript there is no button that does nothing


def test_the_form_itself_needs_no_script(client, poster):
    assert "<script" not in client.get(f"/r/{poster.code}").get_data(as_text=True)


def test_every_status_has_words_for_the_public():
    from models import REFERRAL_STATUSES

    referral_steps = {f"referral.{code}" for code in REFERRAL_STATUSES if code != "referred"}
    assert set(reports.PUBLIC_STEPS) == set(REPORT_STATUSES) | referral_steps


@pytest.mark.parametrize("status", list(REPORT_STATUSES))
def test_status_shows_the_day_received_the_step_and_what_comes_next(client, poster, status):
    submit(client, f"/r/{poster.code}")
    report = Report.get()
    staff = User.get(User.username == "district")
    if status != "new":
        reports.change_status(staff, report, "checking", note="内部备注：联系了物业张经理")
    if status in ("confirmed", "referred"):
        reports.change_status(staff, report, "confirmed")
    if status == "referred":
        from domain.casework import cases

        cases.refer(staff, cases.case_of_report(staff, report), ["shichang"], "shichang", None, "移交备注：请重点查")
    if status == "unfounded":
        reports.change_status(staff, report, "unfounded", note="不属实的内部理由")
    html = client.get(f"/r/status?number={report.number}").get_data(as_text=True)
    step, then = reports.PUBLIC_STEPS[status]
    received = report.created_at.date()
    assert f"{received.year}年{received.month}月{received.day}日" in html
    assert step in html and then in html and REPORT_STATUSES[status] in html
    for secret in ("内部备注", "张经理", "移交备注", "不属实的内部理由", "上门推销灭火器", "区市场监管局"):
        assert secret not in html


# --- the published list of approved institutions ----------------------------------------------------------

@pytest.fixture
def approved_list(app, tmp_path, runner):
    path = tmp_path / "approved.csv"
    path.write_text(APPROVED, encoding="utf-8")
    assert runner.invoke(args=["import-approved", str(path)]).exit_code == 0


def test_check_publishes_the_current_list(client, approved_list):
    html = client.get("/check").get_data(as_text=True)
    assert "共 2 家" in html
    assert "上海安泰消防培训有限公司" in html and "上海长青消防技能培训学校" in html and "沪消培001" in html
    assert "上海旧日消防培训中心" not in html  # expired: no longer published


def test_check_finds_an_institution_by_part_of_its_name(client, approved_list):
    html = client.get("/check", query_string={"q": "安泰"}).get_data(as_text=True)
    assert "上海安泰消防培训有限公司" in html and "上海长青" not in html
    assert "批准名单上没有" not in html  # a part of a name is no verdict of "not on the list"
    html = client.get("/check", query_string={"q": "某某消防科技"}).get_data(as_text=True)
    assert "批准名单上没有「某某消防科技」" in html


# --- the guide ---------------------------------------------------------------------------------------------

def test_the_guide_tells_a_fake_training_and_a_counterfeit_product(client, world):
    html = client.get("/r/guide").get_data(as_text=True)
    for rule in guide.RULES:
        assert rule in html
    for fact in ("3C", "14 位", "中国消防产品信息网", "XF 1205-2014", "灭火贴", "型式检验报告", "3–10 倍", "298 元",
                 "780 元", *guide.NEED_CCC, *guide.ELIMINATED_EXTINGUISHERS, "12315", "12345", "110"):
        assert fact in html, fact


def test_every_report_page_links_to_the_guide(client, poster):
    number = re.search(r"number=([^&]+)", submit(client, f"/r/{poster.code}")).group(1)
    for path in ("/r", f"/r/{poster.code}", "/r/status", f"/r/status?number={number}&received=1", "/check",
                 "/r/ZZZZZZ"):
        assert 'href="/r/guide"' in client.get(path).get_data(as_text=True), path


# --- hotlines -----------------------------------------------------------------------------------------------

def test_the_public_sees_12345_and_12315_and_staff_see_the_campaign_contact(client, poster, actions):
    for path in ("/r", f"/r/{poster.code}", "/check", "/r/guide"):
        html = client.get(path).get_data(as_text=True)
        assert 'href="tel:12345"' in html and 'href="tel:12315"' in html, path
        assert "62259523" not in html, path
    actions.login("street")
    assert "62259523" in client.get("/").get_data(as_text=True)
    assert "62259523" in client.get("/posters/").get_data(as_text=True)


def test_the_public_hotlines_are_configuration(make_app, world):
    client = make_app(PUBLIC_HOTLINES=[("021-12345678", "区举报热线")]).test_client()
    html = client.get("/r").get_data(as_text=True)
    assert 'href="tel:021-12345678"' in html and "区举报热线" in html and 'href="tel:12315"' not in html


# --- WeChat on an iPhone ----------------------------------------------------------------------------------

@pytest.mark.parametrize("agent, advised", [(IPHONE_WECHAT, True), (IPHONE_SAFARI, False), (ANDROID_WECHAT, False)])
def test_a_worker_in_wechat_on_an_iphone_is_told_to_open_safari(client, world, actions, agent, advised):
    login = client.get("/login", headers={"User-Agent": agent}).get_data(as_text=True)
    assert ("请用 Safari 打开排摸通" in login) is advised
    actions.login("surveyor")
    survey = client.get("/survey/", headers={"User-Agent": agent}).get_data(as_text=True)
    assert ("在 Safari 中打开" in survey) is advised


def test_residents_in_wechat_are_not_sent_away(client, poster):
    html = client.get(f"/r/{poster.code}", headers={"User-Agent": IPHONE_WECHAT}).get_data(as_text=True)
    assert "Safari" not in html
