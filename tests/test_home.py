"""Where each role lands (issue 8 item 9): a street or district office on what needs it — the new 线索 and the
progress per 居委 (street) or per 街镇 (district); and the district's approved-list page in words, not files."""
import io
import logging
import re

import pytest

from domain.public import reports
from domain.public.approved import csv_template
from domain.survey.units import floor_addresses, lay_out_building
from models import ApprovedInstitution, Org, User
from tests.conftest import COMMUNITY, COMMUNITY_2, OTHER_COMMUNITY, OTHER_STREET, STREET
from tests.test_tables import visit


def a_report(community=None, street=None, status="new"):
    values, errors = reports.parse_report({"kinds": ["door_to_door_fee"], "description": "上门收费"})
    assert not errors
    org = Org.get(Org.code == community) if community else None
    report = reports.create_report(values, community=org, street=Org.get(Org.code == street) if street else None)
    if status != "new":
        reports.change_status(User.get(User.username == "district"), report, status)
    return report


@pytest.fixture
def campaign(app, world):
    """Two 居委 of the street with buildings and visits, one 居委 of another street, and reports around them."""
    lay_out_building(None, Org.get(Org.code == COMMUNITY), "1号楼", floor_addresses("1号楼", 2, 2))  # 4 units
    visit(world["district"], COMMUNITY, "1号楼101室", "2023-03-20")
    visit(world["district"], COMMUNITY, "1号楼102室", "2023-03-20", outcome="absent")
    visit(world["district"], OTHER_COMMUNITY, "愚园路1号", "2023-03-20")
    a_report(COMMUNITY), a_report(COMMUNITY), a_report(COMMUNITY_2, status="checking")
    a_report(street=STREET)                                  # the street's, no 居委 named
    a_report(OTHER_COMMUNITY), a_report(OTHER_COMMUNITY, status="checking")


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_street_office_lands_on_its_new_reports_and_progress(client, campaign, actions):
    actions.login("street")
    page = client.get("/")
    assert page.status_code == 200
    html, words = page.get_data(as_text=True), text(page.get_data(as_text=True))
    assert "3 条新线索" in words and "1 条核查中" in words  # its own street only
    assert 'href="/reports/?status=new"' in html
    assert "其中 1 条新线索举报人没有说清在哪个居委" in words
    assert "华阳一居委 新线索 2" in words
    assert "已排摸 1 · 未遇或拒访 1 · 未走访 2（共 4 个单位）" in words
    assert "江苏一居委" not in words
    assert 'href="/tables/"' in html and 'href="/tables/problems"' in html


def test_the_district_lands_on_every_street(client, campaign, actions):
    actions.login("district")
    words = text(client.get("/").get_data(as_text=True))
    assert "4 条新线索" in words and "2 条核查中" in words
    assert "华阳路街道 新线索 3" in words and "江苏路街道 新线索 1" in words
    assert "各街镇" in words and "华阳一居委" not in words


@pytest.mark.parametrize("role, lands_on", [("surveyor", "/survey/"), ("department", "/cases/")])
def test_others_land_where_their_work_is(client, world, actions, role, lands_on):
    actions.login(role)
    response = client.get("/")
    assert response.status_code == 302 and response.location.endswith(lands_on)


def test_nobody_lands_on_the_login_page_twice(client, world):
    assert client.get("/").location.endswith("/login")


def test_the_home_page_asks_the_database_a_fixed_number_of_questions(client, world, actions, caplog):
    """No query per 居委 or per street: ten more 居委 cost nothing more (peewee logs each query at DEBUG)."""
    def queries_for_home():
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="peewee"):
            assert client.get("/").status_code == 200
        return len([r for r in caplog.records if r.name == "peewee"])

    actions.login("district")
    before = queries_for_home()
    assert before > 3
    for i in range(10):
        Org.create(code=f"{STREET}{100 + i}", name=f"新居委{i}", kind="community", parent=STREET)
        Org.create(code=f"{OTHER_STREET}{100 + i}", name=f"又一居委{i}", kind="community", parent=OTHER_STREET)
    assert queries_for_home() == before


# --- the approved-list page of the district -----------------------------------------------------------------

def test_the_approved_list_page_speaks_in_words_not_files(client, world, actions):
    actions.login("district")
    html = client.get("/check/approved").get_data(as_text=True)
    assert "name,credit_code" not in html and ">/check<" not in html
    assert "机构名称、统一社会信用代码、地址、电话、批准文号、有效期至" in html
    template = client.get("/check/approved/template.csv")
    assert template.mimetype == "text/csv" and template.get_data(as_text=True) == csv_template()


def test_the_downloaded_template_imports_once_filled_in(client, world, actions):
    actions.login("district")
    filled = csv_template() + "上海安泰消防培训有限公司,91310105MA1FL0XX1A,长宁路1号,021-60000000,沪消培001,\r\n"
    response = client.post("/check/approved/import", data={"file": (io.BytesIO(filled.encode()), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    assert ApprovedInstitution.get().approval_no == "沪消培001"
    bad = client.post("/check/approved/import", data={"file": (io.BytesIO(b"a,b\n1,2\n"), "b.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "表头应为 机构名称,统一社会信用代码" in bad.get_data(as_text=True)
