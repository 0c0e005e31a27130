"""Residents' personal data (issue 11, Build 2): addresses and reporters' contacts shown only to those who need
them, masked elsewhere; every look at a contact in the audit log; the district's audit page; purge-contacts."""
import datetime

import pytest

from domain.common.clock import now_local
from domain.public import privacy
from models import AuditLog, Referral, Report
from tests.test_cases import log_in, one_institution, the_case  # noqa: F401 (fixture)


@pytest.mark.parametrize("address, masked", [
    ("长宁路1弄12号楼 301室", "长宁路1弄12号楼 ***室"),
    ("长宁路100弄1号楼 402室", "长宁路100弄1号楼 ***室"),
    ("长宁路100号", "长宁路100号"),  # a shop's address is not a home
    ("", ""),
])
def test_a_home_keeps_its_building_and_loses_its_room(address, masked):
    assert privacy.mask_address(address) == masked


@pytest.mark.parametrize("contact, masked", [("13912345678", "139******78"), ("王女士", "***"), ("", "")])
def test_a_contact_keeps_only_its_ends(contact, masked):
    assert privacy.mask_contact(contact) == masked


def test_departments_see_the_building_not_the_home(app, world, one_institution):  # noqa: F811
    district = log_in(app, "district")
    case_id = the_case(district)[0]["id"]
    district.post(f"/api/v1/cases/{case_id}/referrals", json={"departments": ["xiaofang"]})
    full = district.get(f"/api/v1/cases/{case_id}").get_json()
    assert "长宁路1弄1号101室" in {m["place"] for m in full["mentions"]}
    department = log_in(app, "department")
    seen = department.get(f"/api/v1/cases/{case_id}").get_json()
    assert {m["place"] for m in seen["mentions"] if m["kind"] == "training"} == {"长宁路1弄1号***室"}
    page = department.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "长宁路1弄1号***室" in page and "101室" not in page


def test_a_reporters_contact_is_masked_until_staff_ask_and_the_look_is_logged(app, world, one_institution):  # noqa: F811
    number = one_institution["report"].number
    surveyor = log_in(app, "surveyor")
    page = surveyor.get(f"/reports/{number}").get_data(as_text=True)
    assert "139******78" in page and "13912345678" not in page
    shown = surveyor.post(f"/reports/{number}/contact", headers={"HX-Request": "true"})
    assert shown.status_code == 200 and "13912345678" in shown.get_data(as_text=True)
    assert "<html" not in shown.get_data(as_text=True)
    entry = AuditLog.get(AuditLog.action == "view_contact")
    assert (entry.user.username, entry.object_type) == ("surveyor", "report")
    # A department working the case sees the report, not how to reach the resident.
    district = log_in(app, "district")
    case_id = the_case(district)[0]["id"]
    district.post(f"/api/v1/cases/{case_id}/referrals", json={"departments": ["xiaofang"]})
    department = log_in(app, "department")
    page = department.get(f"/reports/{number}").get_data(as_text=True)
    assert "139******78" in page and "查看完整联系方式" not in page
    assert department.post(f"/reports/{number}/contact").status_code == 404
    assert Referral.select().count() == 1


def test_the_district_reads_the_audit_log_filtered(app, world, one_institution):  # noqa: F811
    log_in(app, "surveyor").post(f"/reports/{one_institution['report'].number}/contact")
    district = log_in(app, "district")
    rows = {"HX-Request": "true"}  # the list alone, as the filters ask for it
    page = district.get("/audit?action=view_contact", headers=rows).get_data(as_text=True)
    assert "查看举报人联系方式" in page and "surveyor" in page
    assert "查看举报人联系方式" not in district.get("/audit?action=create", headers=rows).get_data(as_text=True)
    assert district.get("/audit?since=yesterday").status_code == 422
    assert log_in(app, "street").get("/audit").status_code == 404


def test_purge_contacts_removes_old_contacts_only(app, world, runner, one_institution):  # noqa: F811
    old = one_institution["report"]
    Report.update(created_at=now_local() - datetime.timedelta(days=200)).where(Report.id == old.id).execute()
    fresh = Report.create(number="x1", description="新举报", contact="13800000000", created_at=now_local(),
                          updated_at=now_local())
    result = runner.invoke(args=["purge-contacts"])
    assert result.exit_code == 0 and "已清除 1 条" in result.output
    assert Report.get_by_id(old.id).contact == "" and Report.get_by_id(fresh.id).contact == "13800000000"
    assert Report.get_by_id(old.id).description  # the report stays
    assert AuditLog.get(AuditLog.action == "purge_contacts").detail.startswith("1 条")
    assert runner.invoke(args=["purge-contacts", "--days", "-1"]).exit_code != 0
