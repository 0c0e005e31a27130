"""The public report page (issue 3): /r/<code> from a poster, /r without one, /r/status, spam control."""
import datetime

import pytest

from domain.common.clock import today_local
from domain.public import posters
from models import ApprovedInstitution, Poster, Report, ReportEvent
from tests.conftest import COMMUNITY, STREET

REPORT = {"kinds": ["sells_products", "impersonation"], "description": "自称消防员上门培训，要求每户买灭火器",
          "institution": "上海平安消防培训中心", "institution_phone": "138 0000 1111", "happened_on": (today_local() - datetime.timedelta(days=2)).isoformat(),
          "place": "3号楼门厅", "amount": "298", "contact": ""}


@pytest.fixture
def poster(app, world):
    with app.app_context():
        return posters.create_poster(None, COMMUNITY, "3号楼门厅")


def scan_counter_of(client):
    return client.application.extensions["paimo.scans"]


def received_number(response):
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "/r/status?" in response.location and "received=1" in response.location
    return response.location.split("number=")[1].split("&")[0]


def test_scanning_a_poster_opens_its_form_and_counts_the_scan(client, poster):
    page = client.get(f"/r/{poster.code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "华阳一居委 · 3号楼门厅" in html
    for label in ("推销产品", "上门收费", "接洽消防工程", "冒充消防员或政府人员", "假冒伪劣产品", "其他", "情况描述",
                  "欢迎匿名举报"):
        assert label in html
    assert "<script" not in html and "htmx" not in html  # works with no JavaScript at all
    client.get(f"/r/{poster.code.lower()}")
    # one resident opening the page twice is one scan (issue 11: counted once per client and day)
    assert scan_counter_of(client).pending(poster.id) + Poster.get_by_id(poster.id).scans == 1
    unknown = client.get("/r/ZZZZZZ")
    assert unknown.status_code == 404 and "找不到编码为 ZZZZZZ 的海报" in unknown.get_data(as_text=True)
    assert 'href="/r"' in unknown.get_data(as_text=True)


def test_a_resident_reports_from_a_poster_and_gets_a_number(client, poster):
    number = received_number(client.post(f"/r/{poster.code}", data=REPORT))
    report = Report.get(Report.number == number)
    assert (report.community_id, report.street_id, report.poster_id) == (COMMUNITY, STREET, poster.id)
    assert report.status == "new" and report.amount_fen == 29800 and report.phone_digits == "13800001111"
    assert report.flags.split() == ["sells_products", "impersonation", "unapproved"] and report.suspect
    assert [e.status for e in ReportEvent.select().where(ReportEvent.report == report)] == ["new"]

    receipt = client.get(f"/r/status?number={number}&received=1").get_data(as_text=True)
    assert "已收到您的举报" in receipt and number in receipt and "新线索" in receipt


def test_flags_come_from_the_ticked_kinds_and_the_approved_list(client, poster):
    ApprovedInstitution.create(name="上海平安消防培训中心有限公司", name_key="上海平安消防培训中心")
    number = received_number(client.post(f"/r/{poster.code}", data={**REPORT, "kinds": ["counterfeit"]}))
    report = Report.get(Report.number == number)
    assert report.flags == "" and not report.suspect


def test_a_retired_poster_still_takes_reports_for_its_community(client, app, poster):
    with app.app_context():
        posters.retire(None, poster)
    assert client.get(f"/r/{poster.code}").status_code == 200
    number = received_number(client.post(f"/r/{poster.code}", data=REPORT))
    assert Report.get(Report.number == number).community_id == COMMUNITY


def test_a_report_without_a_description_is_sent_back_with_the_message_at_the_field(client, poster):
    response = client.post(f"/r/{poster.code}", data={**REPORT, "description": " ", "amount": "abc"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="description-error"' in html and "请简单描述发生了什么" in html
    assert "金额应为数字" in html and "上海平安消防培训中心" in html  # what was typed is kept
    assert Report.select().count() == 0


def test_the_honeypot_pretends_success_and_stores_nothing(client, poster):
    page = client.get(f"/r/{poster.code}").get_data(as_text=True)
    assert "请勿填写" in page and 'class="hp"' in page
    response = client.post(f"/r/{poster.code}", data={**REPORT, "website": "http://spam.example"})
    assert response.status_code == 200 and "已收到您的举报" in response.get_data(as_text=True)
    assert Report.select().count() == 0


@pytest.mark.parametrize("area, community, street", [
    (f"c:{COMMUNITY}", COMMUNITY, STREET), (f"s:{STREET}", None, STREET), ("", None, None), ("c:nonsense", None, None),
])
def test_the_general_page_places_a_report_where_the_resident_says(client, world, area, community, street):
    page = client.get("/r").get_data(as_text=True)
    assert "华阳一居委" in page and "不清楚哪个居委" in page
    number = received_number(client.post("/r", data={**REPORT, "area": area}))
    report = Report.get(Report.number == number)
    assert (report.community_id, report.street_id, report.poster_id) == (community, street, None)


def test_status_shows_the_status_and_nothing_else(client, poster):
    number = received_number(client.post(f"/r/{poster.code}", data=REPORT))
    Report.update(status="checking").where(Report.number == number).execute()
    html = client.get(f"/r/status?number={number.lower().replace('-', '')}").get_data(as_text=True)
    assert "核查中" in html and number in html
    assert "灭火器" not in html and "上海平安" not in html and "3号楼" not in html
    missing = client.get("/r/status?number=230101-XXXXXX")
    assert missing.status_code == 404 and "没有找到" in missing.get_data(as_text=True)
    assert client.get("/r/status").status_code == 200


def test_too_many_reports_from_one_address_get_a_clear_chinese_429(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC="2 per minute")
    with app.app_context():
        poster = posters.create_poster(None, COMMUNITY, "门厅")
    client = app.test_client()
    for _ in range(2):
        assert client.post(f"/r/{poster.code}", data=REPORT).status_code == 303
    refused = client.post(f"/r/{poster.code}", data=REPORT)
    assert refused.status_code == 429
    assert "提交太频繁" in refused.get_data(as_text=True)
    assert client.get(f"/r/{poster.code}").status_code == 200  # reading is never limited
    assert Report.select().count() == 2


def test_one_poster_takes_only_so_many_reports_whatever_the_address(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC="100 per minute", RATELIMIT_POSTER="3 per hour")
    with app.app_context():
        poster = posters.create_poster(None, COMMUNITY, "门厅")
        other = posters.create_poster(None, COMMUNITY, "5号楼")
    client = app.test_client()
    for i in range(3):
        sent = client.post(f"/r/{poster.code}", data=REPORT, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
        assert sent.status_code == 303
    refused = client.post(f"/r/{poster.code}", data=REPORT, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert refused.status_code == 429 and "提交太频繁" in refused.get_data(as_text=True)
    assert client.post(f"/r/{other.code}", data=REPORT, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 303
