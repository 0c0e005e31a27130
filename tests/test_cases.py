"""Cases to closure (issue 9; design sections 8 and 9): one case per institution of the problem list, routed by
the plan's division of duties, referred by the street, worked by the departments, seen by the resident."""
import datetime
import io
import uuid

import pytest
from PIL import Image

from domain.casework import cases, institutions, routing
from domain.common.clock import now_local, today_local
from domain.public import posters
from domain.reporting.tables import table1
from models import AuditLog, Case, Lead, Org, Referral, Report, User, db
from tests.conftest import COMMUNITY, OTHER_COMMUNITY, PASSWORD, STREET

TODAY = today_local()
YESTERDAY = TODAY - datetime.timedelta(days=1)
NAME = "上海安居消防培训中心"
PHONE = "021-6000 1234"


def visited(days_ago):
    return (now_local() - datetime.timedelta(days=days_ago)).replace(microsecond=0).isoformat() + "+08:00"


def survey_with_fee_and_sale(client, community=COMMUNITY, name=NAME, phone=PHONE, identity="institution",
                             address="长宁路1弄1号101室", days_ago=2):
    """A household trained at the door for a fee, who bought a blanket at the training and kept it."""
    body = {"client_uuid": str(uuid.uuid4()), "community": community,
            "unit": {"type": "household", "address": address}, "visited_at": visited(days_ago),
            "outcome": "surveyed",
            "trainings": [{"institution": name, "institution_phone": phone, "trainer_identity": identity,
                           "mode": "door_to_door", "fee": "50", "content": "灭火器使用"}],
            "purchases": [{"product": "fire_blanket", "quantity": 1, "amount": "298", "channel": "training",
                           "training": 0, "sample_available": True}]}
    reply = client.post("/api/v1/surveys", json=body)
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()


def report_from_poster(app, name=NAME, phone=PHONE):
    client = app.test_client()
    with app.app_context():
        poster = posters.create_poster(None, COMMUNITY, "3号楼门厅")
    reply = client.post(f"/r/{poster.code}", data={
        "kinds": ["door_to_door_fee", "sells_products"], "description": "上门收培训费，还卖灭火毯",
        "institution": name, "institution_phone": phone, "amount": "348", "contact": "13912345678"})
    assert reply.status_code == 303
    return Report.get(Report.number == reply.headers["Location"].split("number=")[1].split("&")[0])


def log_in(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def one_institution(app, world):
    """A surveyor records 安居 (door-to-door fee, a sale at the training); a resident reports it too."""
    surveyor = log_in(app, "surveyor")
    survey_with_fee_and_sale(surveyor)
    report = report_from_poster(app)
    return {"report": report}


def the_case(client):
    listed = client.get("/api/v1/cases").get_json()["cases"]
    return [c for c in listed if c["kind"] == "institution"]


def test_a_case_from_survey_and_report_is_referred_worked_and_closed(app, world, one_institution):
    street = log_in(app, "street")
    found = the_case(street)
    assert len(found) == 1, found  # the survey's and the resident's mentions are one institution, one case
    case_id = found[0]["id"]
    case = street.get(f"/api/v1/cases/{case_id}").get_json()
    assert {m["kind"] for m in case["mentions"]} == {"training", "report"}
    assert set(case["flags"]) >= {"door_to_door_fee", "sells_products"}
    proposed = {p["department"]: p for p in case["proposed"]}
    assert [p["department"] for p in case["proposed"]] == ["shichang", "xiaofang"]
    assert proposed["shichang"]["lead"] and not proposed["xiaofang"]["lead"]
    assert "虚假或引人误解的宣传" in proposed["shichang"]["reason"] and "二(一)4" in proposed["shichang"]["reason"]
    assert "抽样送检" in proposed["xiaofang"]["reason"]

    # Before the referral: nothing referred, the problem list says 待核查.
    assert table1(TODAY).as_json()["total"]["referred"] == 0
    due = cases.working_days_after(TODAY, 5).isoformat()
    reply = street.post(f"/api/v1/cases/{case_id}/referrals",
                        json={"departments": ["shichang", "xiaofang"], "lead": "shichang", "due": due,
                              "note": "请依法查处"})
    assert reply.status_code == 201, reply.get_json()
    referrals = {r["department"]: r for r in reply.get_json()["referrals"]}
    assert referrals["shichang"]["lead"] and referrals["shichang"]["due"] == due
    # Referring the same open case to the same department again is refused, with the reason at the field.
    again = street.post(f"/api/v1/cases/{case_id}/referrals", json={"departments": ["shichang"]})
    assert again.status_code == 422 and "departments" in again.get_json()["errors"]

    # Only those departments see it.
    for username, department in (("shichang_user", "shichang"), ("gongan_user", "gongan")):
        from domain.org import accounts

        accounts.create_user(username, "department", department, PASSWORD, app.config["PASSWORD_HASH_METHOD"])
    market = log_in(app, "shichang_user")
    assert [c["id"] for c in market.get("/api/v1/cases").get_json()["cases"]] == [case_id]
    police = log_in(app, "gongan_user")
    assert police.get("/api/v1/cases").get_json()["cases"] == []
    assert police.get(f"/api/v1/cases/{case_id}").status_code == 404
    assert police.patch(f"/api/v1/referrals/{referrals['shichang']['id']}", json={"status": "accepted"}).status_code == 404

    # 市场监管 accepts, then records 已查处 with a case opened and a fine.
    shichang = referrals["shichang"]["id"]
    bad = market.patch(f"/api/v1/referrals/{shichang}", json={"status": "penalised"})
    assert bad.status_code == 422  # not before accepting it
    assert market.patch(f"/api/v1/referrals/{shichang}", json={"status": "accepted"}).status_code == 200
    wrong = market.patch(f"/api/v1/referrals/{shichang}", json={"status": "penalised", "fine": "-5"})
    assert wrong.status_code == 422 and "fine" in wrong.get_json()["errors"]
    done = market.patch(f"/api/v1/referrals/{shichang}", json={"status": "penalised", "case_opened": True,
                                                               "fine": "5000", "note": "内部：已约谈负责人"})
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["status"], done.get_json()["fine"], done.get_json()["case_opened"]) == \
        ("penalised", "5000.00", True)
    assert [h["action"] for h in done.get_json()["history"]] == ["referred", "accepted", "penalised"]

    # The referrer and the district see each step.
    for client in (street, log_in(app, "district")):
        seen = client.get(f"/api/v1/cases/{case_id}").get_json()
        assert {r["department"]: r["status"] for r in seen["referrals"]} == {"shichang": "penalised",
                                                                             "xiaofang": "referred"}
        page = client.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "已查处" in page and "内部：已约谈负责人" in page and "问题台账" in page

    # The resident reads the step in plain words, never the department's notes.
    status = app.test_client().get(f"/r/status?number={one_institution['report'].number}").get_data(as_text=True)
    assert "有关部门已依法查处" in status and "约谈" not in status and "市场监管" not in status

    # 附件1's 已移交部门 and the problem list's 处置情况 change on that date, and not before.
    assert table1(TODAY).as_json()["total"]["referred"] == 1
    assert table1(YESTERDAY).as_json()["total"]["referred"] == 0
    today_item = next(i for i in institutions.problem_list(TODAY) if NAME in i.names)
    yesterday_item = next(i for i in institutions.problem_list(YESTERDAY) if NAME in i.names)
    assert (today_item.status, today_item.departments) == ("已查处", ["区市场监管局", "区消防救援支队"])
    assert (yesterday_item.status, yesterday_item.departments) == ("待核查", [])
    assert AuditLog.select().where(AuditLog.action == "penalised").count() == 1


def test_a_case_shows_the_residents_photos_with_their_report(app, world, one_institution):
    client = app.test_client()
    with app.app_context():
        poster = posters.create_poster(None, COMMUNITY, "5号楼门厅")
    image = io.BytesIO()
    Image.new("RGB", (80, 60), "red").save(image, "JPEG")
    client.post(f"/r/{poster.code}", content_type="multipart/form-data", data={
        "description": "门口贴的广告", "institution": NAME, "photos": (io.BytesIO(image.getvalue()), "a.jpg")})
    street = log_in(app, "street")
    page = street.get(f"/cases/{the_case(street)[0]['id']}").get_data(as_text=True)
    assert "的照片 1" in page and "/photos/" in page


def test_a_lead_from_the_api_joins_the_institution_case(app, world, one_institution):
    street = log_in(app, "street")
    before = the_case(street)[0]
    lead = {"client_uuid": str(uuid.uuid4()), "source": "online", "street": STREET,
            "institution": "上海安居消防培训中心有限公司", "institution_phone": "", "url": "https://example.cn/item/1",
            "description": "电商页面招揽上门消防培训，兜售灭火毯", "institution_nature": "enterprise",
            "pitched_products": ["fire_blanket"], "mode": "door_to_door", "fee": "0"}
    reply = street.post("/api/v1/leads", json=lead)
    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["flags"][:1] == ["sells_products"]
    assert street.post("/api/v1/leads", json=lead).status_code == 200  # the same lead again: stored once
    assert street.post("/api/v1/leads", json={**lead, "description": "另一条"}).status_code == 409
    assert Lead.select().count() == 1

    after = the_case(street)
    assert len(after) == 1 and after[0]["id"] == before["id"]
    case = street.get(f"/api/v1/cases/{before['id']}").get_json()
    assert {m["kind"] for m in case["mentions"]} == {"training", "report", "lead"}
    # The lead recorded the nature: the problem list shows it, and routing adds the plan's 二(一)2.
    assert case["nature"] == "enterprise"
    assert next(i for i in institutions.problem_list(TODAY) if NAME in i.names).nature == "企业/个体工商户"
    assert [p["department"] for p in case["proposed"]] == ["shichang", "renshe", "xiaofang"]


def test_leads_are_checked_and_scoped(app, world):
    street = log_in(app, "street")
    base = {"client_uuid": str(uuid.uuid4()), "source": "online", "description": "网上招揽"}
    assert street.post("/api/v1/leads", json={**base, "street": "310105002"}).status_code == 422  # not its street
    bad = street.post("/api/v1/leads", json={**base, "client_uuid": "x", "source": "survey", "url": "ftp://x",
                                              "pitched_products": ["nothing"], "street": STREET})
    assert set(bad.get_json()["errors"]) >= {"client_uuid", "source", "url", "pitched_products"}
    assert log_in(app, "surveyor").post("/api/v1/leads", json={**base, "street": STREET}).status_code == 404
    department = log_in(app, "department")
    reply = department.post("/api/v1/leads", json={**base, "source": "department", "institution": "某警情机构",
                                                   "trainer_identity": "firefighter", "fee": "100"})
    assert reply.status_code == 201 and reply.get_json()["department"] == "xiaofang"
    # A department sees the leads it logged as cases, and nobody else's.
    listed = department.get("/api/v1/cases").get_json()["cases"]
    assert [c["title"] for c in listed] == ["某警情机构"]


def test_an_impersonation_case_proposes_the_police_first(app, world):
    survey_with_fee_and_sale(log_in(app, "surveyor"), name="自称消防队", phone="", identity="firefighter")
    case = the_case(log_in(app, "district"))[0]
    detail = log_in(app, "district").get(f"/api/v1/cases/{case['id']}").get_json()
    assert detail["proposed"][0] == {"department": "gongan", "lead": True,
                                     "reason": detail["proposed"][0]["reason"]}
    assert "招摇撞骗" in detail["proposed"][0]["reason"]
    assert [p["department"] for p in detail["proposed"]][:3] == ["gongan", "renshe", "xiaofang"]


@pytest.mark.parametrize("findings, expected", [
    # design section 9, row by row
    (routing.Findings(flags={"unapproved"}, nature="social_org"), ["minzheng", "renshe"]),
    (routing.Findings(flags={"unapproved"}, nature="individual"), ["shichang", "renshe"]),
    (routing.Findings(flags={"unapproved"}, nature="unknown"), []),
    (routing.Findings(flags={"impersonation"}), ["gongan", "renshe", "xiaofang"]),
    (routing.Findings(nature="claims_official"), ["gongan", "renshe", "xiaofang"]),
    (routing.Findings(flags={"door_to_door_fee"}), ["shichang", "xiaofang"]),
    (routing.Findings(flags={"engineering"}), ["shichang", "jianshe"]),
    (routing.Findings(channels={"online_shop"}), ["shichang"]),
    (routing.Findings(counterfeit=True), ["shichang"]),
    (routing.Findings(samples=True), ["xiaofang"]),
    (routing.Findings(flags={"sells_products"}, unit_types={"school"}), ["shichang", "xiaofang", "jiaoyu"]),
])
def test_routing_follows_the_plans_division_of_duties(findings, expected):
    proposed = routing.propose(findings)
    assert [p.department for p in proposed] == expected
    assert [p.lead for p in proposed] == [i == 0 for i in range(len(expected))]
    assert all("方案" in p.reason for p in proposed)


def test_a_department_lands_on_its_referrals_and_returns_one_with_a_reason(app, world, one_institution):
    district = log_in(app, "district")
    case_id = the_case(district)[0]["id"]
    district.post(f"/cases/{case_id}/referrals", data={"departments": ["xiaofang"], "lead": "xiaofang"})
    department = log_in(app, "department")
    assert department.get("/").headers["Location"].endswith("/cases/")
    page = department.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "移交给本部门" in page and "接收" in page and "退回" in page
    referral = Referral.get()
    assert department.post(f"/cases/referrals/{referral.id}", data={"status": "returned"}).status_code == 422
    reply = department.post(f"/cases/referrals/{referral.id}", data={"status": "returned", "note": "不属本部门职责"})
    assert reply.status_code == 303
    assert Referral.get_by_id(referral.id).status == "returned"
    seen = district.get(f"/api/v1/cases/{case_id}").get_json()
    assert seen["status"] == "returned"
    # Returned: the street or district can refer it again, to the same department too.
    assert district.post(f"/api/v1/cases/{case_id}/referrals", json={"departments": ["xiaofang"]}).status_code == 201


def test_a_department_attaches_a_photo_served_only_in_scope(app, world, one_institution):
    district = log_in(app, "district")
    case_id = the_case(district)[0]["id"]
    district.post(f"/api/v1/cases/{case_id}/referrals", json={"departments": ["xiaofang"]})
    department = log_in(app, "department")
    referral = Referral.get()
    department.post(f"/cases/referrals/{referral.id}", data={"status": "accepted"})
    image = io.BytesIO()
    Image.new("RGB", (80, 60), "blue").save(image, "PNG")
    reply = department.post(f"/cases/referrals/{referral.id}", content_type="multipart/form-data",
                            data={"status": "investigating", "photos": (io.BytesIO(image.getvalue()), "p.png")})
    assert reply.status_code == 303
    page = department.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "附件照片" in page
    from models import CaseFile

    file = CaseFile.get()
    with department.get(f"/cases/files/{file.id}.jpg") as image_reply:
        assert image_reply.status_code == 200 and image_reply.mimetype == "image/jpeg"
    with log_in(app, "other_street").get(f"/cases/files/{file.id}.jpg") as outside:
        assert outside.status_code == 404


def test_overdue_referrals_stand_out_for_the_street_and_the_district(app, world, one_institution):
    street = log_in(app, "street")
    case_id = the_case(street)[0]["id"]
    street.post(f"/api/v1/cases/{case_id}/referrals", json={"departments": ["shichang"]})
    Referral.update(due=YESTERDAY).execute()
    for client in (street, log_in(app, "district")):
        listed = client.get("/api/v1/cases?overdue=1").get_json()["cases"]
        assert [c["id"] for c in listed] == [case_id] and listed[0]["overdue"]
        assert "超期" in client.get("/cases/?overdue=1").get_data(as_text=True)
    Referral.update(due=TODAY).execute()
    assert street.get("/api/v1/cases?overdue=1").get_json()["cases"] == []


def test_important_cases_are_counted_for_the_district_at_once(app, world, one_institution):
    surveyor = log_in(app, "surveyor")
    case_id = the_case(surveyor)[0]["id"]
    assert surveyor.post(f"/cases/{case_id}/important", data={"important": "1"}).status_code == 303
    district = log_in(app, "district")
    assert "重要 1" in district.get("/cases/").get_data(as_text=True)
    assert [c["id"] for c in district.get("/api/v1/cases?important=1").get_json()["cases"]] == [case_id]
    assert "重要 1" not in log_in(app, "street").get("/cases/").get_data(as_text=True)  # the count is the district's


def test_a_community_escalates_to_its_street_but_cannot_refer(app, world, one_institution):
    surveyor = log_in(app, "surveyor")
    case_id = the_case(surveyor)[0]["id"]
    page = surveyor.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "上报街镇" in page and "确认移交" not in page
    assert surveyor.post(f"/cases/{case_id}/referrals", data={"departments": ["shichang"]}).status_code == 404
    assert surveyor.post(f"/cases/{case_id}/escalate", data={"note": "请街镇处理"}).status_code == 303
    assert surveyor.post(f"/cases/{case_id}/escalate").status_code == 422  # once is enough
    street = log_in(app, "street")
    assert street.get(f"/api/v1/cases/{case_id}").get_json()["escalated"]
    assert "居委上报街镇" in street.get(f"/cases/{case_id}").get_data(as_text=True)
    # Another street's people do not see the case at all.
    assert log_in(app, "other_street").get(f"/cases/{case_id}").status_code == 404


def test_the_district_publishes_a_penalised_case_without_residents_data(app, world, one_institution):
    district = log_in(app, "district")
    case_id = the_case(district)[0]["id"]
    district.post(f"/api/v1/cases/{case_id}/referrals", json={"departments": ["xiaofang"]})
    assert district.post(f"/cases/{case_id}/publish", data={"text": "x"}).status_code == 422  # not penalised yet
    department = log_in(app, "department")
    referral = Referral.get()
    department.patch(f"/api/v1/referrals/{referral.id}", json={"status": "accepted"})
    department.patch(f"/api/v1/referrals/{referral.id}", json={"status": "penalised", "fine": "2000"})
    page = district.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "在曝光台公开" in page and "罚没款 2,000.00 元" in page  # the draft to start from
    draft = cases.draft_publication(cases.case_for(User.get(User.username == "district"), case_id))
    assert NAME in draft and "13912345678" not in draft and "长宁路1弄1号" not in draft
    assert district.post(f"/cases/{case_id}/publish", data={"text": draft}).status_code == 303
    exposed = app.test_client().get("/exposed")
    assert exposed.status_code == 200 and NAME in exposed.get_data(as_text=True)
    assert "曝光" in app.test_client().get("/r").get_data(as_text=True)  # linked from the report pages


def test_merging_two_institutions_carries_their_cases_along(app, world):
    surveyor = log_in(app, "surveyor")
    survey_with_fee_and_sale(surveyor, name="甲消防", phone="", address="长宁路1号")
    survey_with_fee_and_sale(surveyor, name="乙消防", phone="", address="长宁路2号")
    district = log_in(app, "district")
    first, second = sorted(c["id"] for c in the_case(district))
    district.post(f"/api/v1/cases/{first}/referrals", json={"departments": ["shichang"]})
    district.post(f"/api/v1/cases/{second}/referrals", json={"departments": ["xiaofang"]})
    district.post("/tables/problems/merge", data={"key_a": "n:甲消防", "key_b": "n:乙消防"})
    merged = the_case(district)
    assert len(merged) == 1 and merged[0]["id"] == first
    assert {r["department"] for r in merged[0]["referrals"]} == {"shichang", "xiaofang"}
    assert district.get(f"/cases/{second}").status_code == 301  # the other address leads to the merged case
    decision = institutions.decisions()[0]
    district.post(f"/tables/problems/decisions/{decision.id}/undo")
    assert sorted(c["id"] for c in the_case(district)) == [first, second]


def test_a_case_list_filters_by_status_kind_and_street(app, world, one_institution):
    log_in(app, "surveyor").post("/api/v1/surveys", json={
        "client_uuid": str(uuid.uuid4()), "community": COMMUNITY, "unit": {"type": "household", "address": "无名1号"},
        "visited_at": visited(1), "outcome": "surveyed",
        "trainings": [{"institution": "", "institution_phone": "", "trainer_identity": "unknown",
                       "mode": "door_to_door", "fee": "30"}], "purchases": []})
    district = log_in(app, "district")
    kinds = {c["kind"] for c in district.get("/api/v1/cases").get_json()["cases"]}
    assert kinds == {"institution", "survey"}  # a suspect training without a name or phone is a case of its own
    assert {c["kind"] for c in district.get("/api/v1/cases?kind=survey").get_json()["cases"]} == {"survey"}
    assert district.get(f"/api/v1/cases?street=310105002").get_json()["cases"] == []
    assert len(district.get("/api/v1/cases?status=pending").get_json()["cases"]) == 2
    assert district.get("/api/v1/cases?status=closed").get_json()["cases"] == []
    html = district.get("/cases/?kind=survey", headers={"HX-Request": "true"})
    assert "<html" not in html.get_data(as_text=True) and "HX-Request" in html.headers.get("Vary", "")


def test_the_street_lands_on_what_needs_it_among_its_cases(app, world, one_institution):
    street = log_in(app, "street")
    home = street.get("/").get_data(as_text=True)
    assert "1</strong> 个案件待移交部门" in home
    case_id = the_case(street)[0]["id"]
    log_in(app, "surveyor").post(f"/cases/{case_id}/escalate")
    assert "个居委上报，请街镇处理" in street.get("/").get_data(as_text=True)
    assert [c["id"] for c in street.get("/api/v1/cases?escalated=1").get_json()["cases"]] == [case_id]
    street.post(f"/api/v1/cases/{case_id}/referrals", json={"departments": ["shichang"]})
    Referral.update(due=YESTERDAY).execute()
    home = street.get("/").get_data(as_text=True)
    assert "0</strong> 个案件待移交部门" in home and "1</strong> 个超期未办结" in home


def test_the_case_list_comes_a_page_at_a_time_on_a_phone(app, world, actions, client):
    # Nobody reads 600 cases on a phone (issue 17): 50 a page, with the way to the next; the API keeps them all.
    from domain.public import reports as public_reports

    with app.app_context():
        for n in range(55):
            values, _ = public_reports.parse_report({"kinds": ["door_to_door_fee"], "description": f"上门收费 {n}",
                                                     "institution": f"第{n}消防培训中心"})
            public_reports.create_report(values, community=Org.get(Org.code == COMMUNITY))
        db.close()
    actions.login("district")
    first = client.get("/cases/").get_data(as_text=True)
    assert first.count('<li class="case') == 50 and "共 55 个案件，第 1/2 页" in first and "下一页" in first
    second = client.get("/cases/?page=2").get_data(as_text=True)
    assert second.count('<li class="case') == 5 and "上一页" in second and "下一页" not in second
    assert client.get("/cases/?page=99").get_data(as_text=True).count('<li class="case') == 50  # the first page
    assert len(client.get("/api/v1/cases").get_json()["cases"]) == 55


@pytest.mark.parametrize("filters", [{}, {"status": "pending"}, {"status": "in_progress"}, {"kind": "institution"},
                                     {"kind": "report"}, {"important": True}, {"street": "310105002"},
                                     {"overdue": True}, {"escalated": True}])
def test_a_page_of_the_case_list_is_what_the_whole_list_filtered_says(app, world, filters):
    # One aggregate orders and filters the cases (issue 17); the views of every case, filtered, say the same.
    from tests.test_tables import build_district

    with app.app_context():
        build_district(world)
        district = world["district"]
        everything = cases.cases_for(district)
        cases.set_important(district, everything[-1], True)
        for role in ("district", "street", "department"):
            user = world[role]
            expected = [v.id for v in cases.filter_cases(cases.cases_for(user), **filters)]
            page, number, total = cases.listed(user, filters, 1, size=3)
            assert [v.id for v in page] == expected[:3] and total == len(expected), role
        assert cases.attention(district) == {
            "pending": sum(v.status == "pending" for v in cases.cases_for(district)),
            "escalated": sum(v.escalated and v.status in ("pending", "returned") for v in cases.cases_for(district)),
            "returned": sum(v.status == "returned" for v in cases.cases_for(district)),
            "overdue": sum(v.overdue(today_local()) for v in cases.cases_for(district)),
            "important": sum(v.important and v.status != "closed" for v in cases.cases_for(district))}
        db.close()
