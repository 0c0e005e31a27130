"""Triage of residents' reports (issue 3): the queue in scope, flags, photos only for staff in scope,
new → checking → confirmed / unfounded → referred with who and when, and departments seeing their referrals."""
import io

import pytest
from PIL import Image

from domain.casework import cases
from domain.public import posters, reports
from models import AuditLog, Referral, Report, ReportEvent, User
from tests.conftest import COMMUNITY, COMMUNITY_2, OTHER_COMMUNITY, STREET

REPORT = {"kinds": ["door_to_door_fee"], "description": "上门收培训费每户200元", "institution": "某某消防",
          "amount": "200"}


def small_jpeg():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def filed(app, world):
    """Reports from residents: one by a poster in 华阳一居委 with a photo, one in 华阳二居委, one in another
    street, one placed only in the street, one with no place at all."""
    client = app.test_client()
    with app.app_context():
        poster = posters.create_poster(None, COMMUNITY, "3号楼门厅")
    client.post(f"/r/{poster.code}", data={**REPORT, "photos": (io.BytesIO(small_jpeg()), "a.jpg")},
                content_type="multipart/form-data")
    for area in (f"c:{COMMUNITY_2}", f"c:{OTHER_COMMUNITY}", f"s:{STREET}", ""):
        client.post("/r", data={**REPORT, "area": area, "description": f"线索 {area or '无地点'}"})
    found = {}
    for report in Report.select():
        found[report.community_id or (report.street_id and "street") or "none"] = report
    return found


def numbers_seen(client):
    html = client.get("/reports/").get_data(as_text=True)
    return {key for key, number in NUMBERS.items() if number in html}


NUMBERS = {}


@pytest.fixture
def numbers(filed):
    NUMBERS.clear()
    NUMBERS.update({key: r.number for key, r in filed.items()})
    return NUMBERS


@pytest.mark.parametrize("user, expected", [
    ("surveyor", {COMMUNITY}),
    ("surveyor2", {COMMUNITY_2}),
    ("street", {COMMUNITY, COMMUNITY_2, "street"}),
    ("other_street", {OTHER_COMMUNITY}),
    ("district", {COMMUNITY, COMMUNITY_2, OTHER_COMMUNITY, "street", "none"}),
    ("department", set()),
])
def test_each_queue_holds_the_reports_in_its_scope(client, actions, numbers, user, expected):
    actions.login(user)
    assert numbers_seen(client) == expected


def test_the_queue_filters_by_status_and_community_and_answers_htmx_with_rows(client, actions, filed, numbers):
    actions.login("street")
    html = client.get(f"/reports/?community={COMMUNITY}").get_data(as_text=True)
    assert numbers[COMMUNITY] in html and numbers[COMMUNITY_2] not in html
    assert numbers["street"] in client.get("/reports/?community=none").get_data(as_text=True)
    Report.update(status="checking").where(Report.id == filed[COMMUNITY_2].id).execute()
    html = client.get("/reports/?status=checking").get_data(as_text=True)
    assert numbers[COMMUNITY_2] in html and numbers[COMMUNITY] not in html
    fragment = client.get("/reports/?status=new", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and numbers[COMMUNITY] in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_queue_is_a_page_of_50_with_its_filters_kept_on_the_next_page(client, actions, filed):
    template = filed[COMMUNITY]
    for n in range(55):
        Report.create(number=f"P{n:08d}", community=template.community, street=template.street,
                      district=template.district, description=f"第{n}条", status="checking",
                      created_at=template.created_at)
    actions.login("street")
    first = client.get("/reports/?status=checking").get_data(as_text=True)
    assert first.count('<tr class="report">') == 50 and "共 55 条线索，第 1/2 页" in first
    assert "status=checking&amp;page=2" in first or "page=2&amp;status=checking" in first
    second = client.get("/reports/?status=checking&page=2").get_data(as_text=True)
    assert second.count('<tr class="report">') == 5 and "上一页" in second and "下一页" not in second
    shown = {number for page in (first, second) for number in (f"P{n:08d}" for n in range(55)) if number in page}
    assert len(shown) == 55


def test_a_report_shows_its_flags_and_photo_to_staff_in_scope_only(client, actions, filed):
    report = filed[COMMUNITY]
    photo = report.photos.get()
    actions.login("surveyor")
    html = client.get(f"/reports/{report.number}").get_data(as_text=True)
    assert "上门收费" in html and "凡是上门收费的培训都是假培训" in html and "非批准机构" in html
    assert "3号楼门厅" in html and "匿名" in html
    with client.get(f"/reports/{report.number}/photos/{photo.id}.jpg") as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
        assert "no-store" in image.headers["Cache-Control"]
    actions.logout()

    for outsider in ("surveyor2", "other_street", "department"):
        actions.login(outsider)
        assert client.get(f"/reports/{report.number}").status_code == 404
        assert client.get(f"/reports/{report.number}/photos/{photo.id}.jpg").status_code == 404
        actions.logout()
    assert client.get(f"/reports/{report.number}/photos/{photo.id}.jpg").status_code in (302, 401)


def test_triage_moves_a_report_on_with_who_and_when_and_refers_it(client, actions, filed):
    report = filed[COMMUNITY]
    actions.login("surveyor")
    assert client.post(f"/reports/{report.number}/status", data={"status": "confirmed"}).status_code == 422
    assert client.post(f"/reports/{report.number}/status", data={"status": "checking", "note": "已电话联系"}).status_code == 303
    assert client.post(f"/reports/{report.number}/status", data={"status": "confirmed"}).status_code == 303
    # A 居委 checks and confirms, but does not refer (design section 9): that is for the street, on the case.
    case_id = cases.case_of_report(User.get(User.username == "street"), report).id
    assert client.post(f"/cases/{case_id}/referrals", data={"departments": "xiaofang"}).status_code == 404
    actions.logout()
    actions.login("street")
    assert client.post(f"/cases/{case_id}/referrals", data={"departments": "bogus"}).status_code == 422
    referred = client.post(f"/cases/{case_id}/referrals", data={"departments": "xiaofang", "note": "请查处"})
    assert referred.status_code == 303

    report = Report.get_by_id(report.id)
    assert report.status == "referred"
    surveyor = User.get(User.username == "surveyor")
    street = User.get(User.username == "street")
    events = list(ReportEvent.select().where(ReportEvent.report == report).order_by(ReportEvent.id))
    assert [(e.status, e.user_id) for e in events] == [
        ("new", None), ("checking", surveyor.id), ("confirmed", surveyor.id), ("referred", street.id)]
    assert events[1].note == "已电话联系" and all(e.at for e in events)
    referral = Referral.get(Referral.case == case_id)
    assert (referral.department_id, referral.community_id, referral.referred_by_id) == ("xiaofang", COMMUNITY, street.id)
    assert AuditLog.select().where(AuditLog.action.in_(("status", "refer"))).count() == 3
    page = client.get(f"/reports/{report.number}").get_data(as_text=True)
    assert "已移交" in page and "已电话联系" in page


def test_a_department_sees_the_reports_referred_to_it_and_cannot_change_them(client, actions, filed, numbers):
    report = filed[COMMUNITY]
    district = User.get(User.username == "district")
    reports.change_status(district, report, "checking")
    reports.change_status(district, report, "confirmed")
    view = cases.case_of_report(district, report)
    cases.refer(district, view, ["xiaofang"], "xiaofang", None)
    actions.login("department")
    # A department works from its cases, not the 线索 queue; it sees the reports of the cases referred to it.
    assert client.get("/reports/").status_code == 404
    assert report.number in client.get(f"/cases/{view.id}").get_data(as_text=True)
    page = client.get(f"/reports/{report.number}").get_data(as_text=True)
    assert report.description in page and "开始核查" not in page
    assert client.post(f"/reports/{report.number}/status", data={"status": "checking"}).status_code == 404
    with client.get(f"/reports/{report.number}/photos/{report.photos.get().id}.jpg") as image:
        assert image.status_code == 200


def test_a_report_marked_unfounded_can_be_checked_again(app, filed):
    with app.app_context():
        street = User.get(User.username == "street")
        report = filed["street"]
        reports.change_status(street, report, "unfounded", "重复举报")
        assert report.status == "unfounded"
        with pytest.raises(reports.TriageError):
            reports.change_status(street, report, "confirmed")
        reports.change_status(street, report, "checking")
        assert Report.get_by_id(report.id).status == "checking"
