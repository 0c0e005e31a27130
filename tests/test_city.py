"""A city in one deployment (issue 17 item 1; design section 13): 上海市 above 长宁区 and 徐汇区. The city sees every
district and reads; each district's people see their own district only (404 for the rest), its departments are its
own, and the tables of the city have one row per district with a sheet per street."""
import io
import uuid

import openpyxl
import pytest

from domain.casework import cases, institutions
from domain.common.clock import today_local
from domain.org import accounts
from domain.org.org_import import ImportError_, import_orgs
from domain.reporting.campaign import load_campaign_file
from domain.survey.record import parse_record
from domain.survey.store import store_record
from models import Department, Org, User, db
from tests.conftest import COMMUNITY, PASSWORD, make_world
from tests.test_campaign import PLAN
from tests.test_kept_state import file_report

XUHUI, XUHUI_STREET, XUHUI_COMMUNITY = "310104", "310104001", "310104001001"
CITY_CSV = ("code,name,parent_code\n"
            "310000,上海市,\n"
            "310105,长宁区,310000\n"
            f"{XUHUI},徐汇区,310000\n"
            f"{XUHUI_STREET},徐家汇街道,{XUHUI}\n"
            f"{XUHUI_COMMUNITY},徐家汇一居委,{XUHUI_STREET}\n")
DAY = "2023-03-21"


def visit(user, community, address, suspect_name=None, outcome="surveyed"):
    trainings = [{"institution": suspect_name, "mode": "door_to_door", "fee": "100", "products_pitched": True}] \
        if suspect_name else []
    record, errors = parse_record({
        "client_uuid": str(uuid.uuid4()), "community": community, "unit": {"type": "household", "address": address},
        "visited_at": f"{DAY}T10:00:00+08:00", "outcome": outcome, "trainings": trainings})
    assert not errors, errors
    return store_record(user, record)[0]


@pytest.fixture
def city(app, runner):
    """长宁区 (the `world`) and 徐汇区 under 上海市, with people of every role in 徐汇 and the city's own."""
    with app.app_context():
        users = make_world(app)
        db.close()
    result = runner.invoke(args=["import-org", "-"], input=CITY_CSV)
    assert result.exit_code == 0, result.output
    assert "新增各区部门 7 个" in result.output
    method = app.config["PASSWORD_HASH_METHOD"]
    with app.app_context():
        users.update({
            "city": accounts.create_user("city", "city", "310000", PASSWORD, method),
            "xuhui": accounts.create_user("xuhui", "district", XUHUI, PASSWORD, method),
            "xuhui_street": accounts.create_user("xuhui_street", "street", XUHUI_STREET, PASSWORD, method),
            "xuhui_surveyor": accounts.create_user("xuhui_surveyor", "surveyor", XUHUI_COMMUNITY, PASSWORD, method),
            "xuhui_market": accounts.create_user("xuhui_market", "department", f"{XUHUI}-shichang", PASSWORD,
                                                 method),
        })
        visit(users["surveyor"], COMMUNITY, "长宁路1号", "长宁某某消防培训中心")
        visit(users["surveyor"], COMMUNITY, "长宁路2号")
        visit(users["xuhui_surveyor"], XUHUI_COMMUNITY, "漕溪北路1号", "徐汇某某消防培训中心")
        visit(users["xuhui_surveyor"], XUHUI_COMMUNITY, "漕溪北路2号", "长宁某某消防培训中心")  # one institution in two
        visit(users["xuhui_surveyor"], XUHUI_COMMUNITY, "漕溪北路3号", outcome="absent")
        db.close()
    return users


def test_a_city_tree_makes_districts_of_the_districts_and_gives_each_new_one_the_plans_departments(app, city):
    with app.app_context():
        assert {o.code: o.kind for o in Org.select().where(Org.code.in_(["310000", "310105", XUHUI, XUHUI_STREET]))} \
            == {"310000": "city", "310105": "district", XUHUI: "district", XUHUI_STREET: "street"}
        market = Department.get(Department.code == f"{XUHUI}-shichang")
        assert (market.name, market.plan, market.district_id) == ("徐汇区市场监管局", "shichang", XUHUI)
        # 长宁区's departments keep their codes: a deployment of one district that grows into a city is unchanged.
        assert Department.get(Department.code == "shichang").district_id == "310105"
        assert User.get(User.username == "city").org.kind == "city"
        db.close()


def test_a_tree_deeper_than_a_city_is_refused_whole(app, city):
    with app.app_context():
        with pytest.raises(ImportError_, match="层级过深"):
            import_orgs(f"code,name,parent_code\n{XUHUI_COMMUNITY}1,某楼,{XUHUI_COMMUNITY}\n")
        db.close()


def test_the_city_role_is_created_from_the_command_line(runner, city):
    result = runner.invoke(args=["create-user", "shi2", "--role", "city", "--org", "310000", "--password",
                                 PASSWORD])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["create-user", "shi3", "--role", "city", "--org", XUHUI, "--password", PASSWORD])
    assert result.exit_code == 1 and "city" in result.output


def test_a_district_sees_its_own_cases_and_404_for_the_other_districts(app, city, actions, client):
    with app.app_context():
        xuhui_only = next(v for v in cases.cases_for(city["xuhui"]) if v.title == "徐汇某某消防培训中心")
        shared = next(v for v in cases.cases_for(city["city"]) if v.title == "长宁某某消防培训中心")
        changning_only = [v.title for v in cases.cases_for(city["district"])]
        db.close()
    assert "徐汇某某消防培训中心" not in changning_only and "长宁某某消防培训中心" in changning_only
    actions.login("district")  # 长宁区
    assert client.get(f"/cases/{xuhui_only.id}").status_code == 404
    assert client.get(f"/api/v1/cases/{xuhui_only.id}").status_code == 404
    # The institution seen in both districts is a case of each, showing each district its own mentions.
    body = client.get(f"/api/v1/cases/{shared.id}").get_json()
    assert {m["community"] for m in body["mentions"]} == {COMMUNITY}
    actions.logout()
    actions.login("xuhui")
    assert client.get(f"/api/v1/cases/{xuhui_only.id}").status_code == 200
    assert {m["community"] for m in client.get(f"/api/v1/cases/{shared.id}").get_json()["mentions"]} \
        == {XUHUI_COMMUNITY}
    actions.logout()
    actions.login("city")  # reads every district's cases
    assert {m["community"] for m in client.get(f"/api/v1/cases/{shared.id}").get_json()["mentions"]} \
        == {COMMUNITY, XUHUI_COMMUNITY}


def test_a_district_refers_only_to_its_own_departments(app, city, actions, client):
    with app.app_context():
        case = next(v for v in cases.cases_for(city["xuhui"]) if v.title == "徐汇某某消防培训中心")
        db.close()
    actions.login("xuhui")
    body = client.get(f"/api/v1/cases/{case.id}").get_json()
    assert body["proposed"] and all(p["department"].startswith(f"{XUHUI}-") for p in body["proposed"])
    refused = client.post(f"/api/v1/cases/{case.id}/referrals", json={"departments": ["shichang"]})
    assert refused.status_code == 422 and "departments" in refused.get_json()["errors"]
    referred = client.post(f"/api/v1/cases/{case.id}/referrals", json={"departments": [f"{XUHUI}-shichang"]})
    assert referred.status_code == 201
    actions.logout()
    actions.login("xuhui_market")  # 徐汇区市场监管局 sees it; 长宁区市场监管局 does not
    assert client.get(f"/api/v1/cases/{case.id}").status_code == 200
    actions.logout()
    with app.app_context():
        accounts.create_user("changning_market", "department", "shichang", PASSWORD, app.config["PASSWORD_HASH_METHOD"])
        db.close()
    actions.login("changning_market")
    assert client.get(f"/api/v1/cases/{case.id}").status_code == 404


def test_the_city_reads_every_district_and_a_district_only_its_own(city, actions, client):
    actions.login("city")
    for path in ("/", "/tables/", "/tables/3", "/cases/", "/tables/submissions/board"):
        assert client.get(path).status_code == 200, path
    for path in ("/reports/", "/survey/", "/posters/", "/leads/new", "/check/approved"):
        assert client.get(path).status_code == 404, path  # the city triages, surveys and refers nothing
    actions.logout()
    actions.login("xuhui")
    assert client.get(f"/tables/?street={XUHUI_STREET}").status_code == 200
    assert client.get("/tables/?street=310105001").status_code == 404  # 长宁区's 华阳路街道
    assert client.get("/api/v1/tables/3?department=shichang").status_code == 404  # 长宁区's department
    assert client.get("/api/v1/tables/1?district=310105").status_code == 404


def table1(client, query=""):
    return client.get(f"/api/v1/tables/1?as_of={DAY}{query}").get_json()


def test_the_citys_table1_has_a_row_per_district_and_counts_an_institution_in_two_districts_once(city, actions,
                                                                                                  client):
    actions.login("city")
    body = table1(client)
    rows = {row["code"]: row for row in body["rows"]}
    assert set(rows) == {"310105", XUHUI}
    assert (rows["310105"]["surveyed"], rows[XUHUI]["surveyed"], rows[XUHUI]["not_reached"]) == (2, 2, 1)
    assert (rows["310105"]["institutions"], rows[XUHUI]["institutions"], body["total"]["institutions"]) == (1, 2, 2)
    assert body["total"]["surveyed"] == 4
    # One district of the city, as its own district user sees it: its streets.
    one = table1(client, f"&district={XUHUI}")
    assert [r["code"] for r in one["rows"]] == [XUHUI_STREET] and one["total"]["surveyed"] == 2
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/v1/tables/1.xlsx?as_of={DAY}").data))
    assert book.sheetnames[:2] == ["附件1（区）", "附件1（街镇）"]
    assert book.worksheets[0]["A1"].value.startswith("上海市消防培训情况排摸统计表")
    streets = [row[1] for row in book.worksheets[1].iter_rows(min_row=4, values_only=True)]
    assert "徐家汇街道" in streets and "华阳路街道" in streets
    actions.logout()
    actions.login("xuhui")
    own = table1(client)
    assert [r["code"] for r in own["rows"]] == [XUHUI_STREET]
    assert own["total"]["surveyed"] == 2 and own["total"]["institutions"] == 2
    actions.logout()
    actions.login("district")  # 长宁区: unchanged, its own streets only
    assert XUHUI_STREET not in {r["code"] for r in table1(client)["rows"]}


def test_each_district_has_its_own_submissions_board_and_the_city_opens_any(app, city, actions, client):
    with app.app_context():
        load_campaign_file(PLAN)
        db.close()
    actions.login("city")
    page = client.get(f"/tables/submissions/board?district={XUHUI}").get_data(as_text=True)
    assert "徐汇区 · 报送情况" in page and "徐家汇街道" in page and "华阳路街道" not in page
    assert "长宁区" in page  # the other district, one tap away
    actions.logout()
    actions.login("xuhui")
    assert client.get("/tables/submissions/board?district=310105").status_code == 404
    page = client.get("/tables/submissions/board").get_data(as_text=True)
    assert "徐家汇街道" in page and "华阳路街道" not in page


def test_a_report_from_the_citys_general_page_names_its_district(city, client):
    page = client.get("/r").get_data(as_text=True)
    assert f'value="d:{XUHUI}"' in page and "徐家汇一居委" not in page  # districts and streets, no 居委 list
    reply = client.post("/r", data={"kinds": ["door_to_door_fee"], "description": "有人上门收费培训",
                                     "area": f"d:{XUHUI}"})
    assert reply.status_code == 303
    number = reply.headers["Location"].split("number=")[1].split("&")[0]
    with client.application.app_context():
        from models import Report

        assert Report.get(Report.number == number).district_id == XUHUI
        db.close()


def test_an_important_case_counts_in_the_navigation_of_its_own_district_and_of_the_city(app, city):
    with app.app_context():
        xuhui = next(v for v in cases.cases_for(city["xuhui"]) if v.title == "徐汇某某消防培训中心")
        cases.set_important(city["xuhui"], xuhui, True)
        counts = {who: cases.important_count(city[who]) for who in ("xuhui", "city", "district")}
        db.close()
    assert counts == {"xuhui": 1, "city": 1, "district": 0}


def test_a_district_matches_its_mentions_through_the_other_districts_as_the_whole_city_does(app, city):
    # 长宁's "甲消防" and its phone alone are one institution only through 徐汇's report naming both; 长宁's "乙消防"
    # and another phone only through the district's merges with 徐汇's "丙消防". A district reads the mentions linked
    # to its own (issue 17), and must find the groups that matching the whole city finds.
    with app.app_context():
        file_report("甲消防", "", COMMUNITY)
        file_report("甲消防", "13900000009", XUHUI_COMMUNITY)
        file_report("", "13900000009", COMMUNITY)
        file_report("乙消防", "", COMMUNITY)
        file_report("丙消防", "", XUHUI_COMMUNITY)
        file_report("", "13900000007", COMMUNITY)
        institutions.merge(city["district"], "n:乙消防", "n:丙消防")
        institutions.merge(city["district"], "n:丙消防", "p:13900000007")
        day = today_local()
        everywhere = institutions.match(institutions.mentions(day))
        for code, column in (("310105", "district"), (XUHUI, "district"), (city["street"].org_id, "street")):
            place = Org[code]
            expected = {}
            for m in everywhere:
                if getattr(m, column) == code:
                    expected.setdefault(m.group, set()).add(m.kept)
            for with_products in (True, False):
                found = {g.key: {m.kept for m in g.mentions}
                         for g in institutions.groups(day, place, with_products=with_products)}
                assert found == expected, (code, with_products)
            listed = institutions.problem_page(day, place, size=100)[0]
            assert {g.key for g in listed} == {key for key in expected if institutions.is_institution(key)}
        changning = {g.key: len(g.mentions) for g in institutions.groups(day, Org["310105"])}
        assert changning["n:甲消防"] == 2 and changning["n:丙消防"] == 2  # the smallest identifier names a group
