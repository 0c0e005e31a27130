"""/check and the approved list (issue 3, design section 5): variant spellings match, expired entries don't."""
import datetime

import pytest

from domain.common.clock import today_local
from domain.public import approved
from models import ApprovedInstitution, AuditLog

FUTURE = (today_local() + datetime.timedelta(days=365)).isoformat()
PAST = (today_local() - datetime.timedelta(days=1)).isoformat()
CSV = ("name,credit_code,address,phone,approval_no,valid_until\n"
       f"上海安泰消防培训有限公司,91310105MA1FL0XX1A,长宁路1号,021-60000000,沪消培001,{FUTURE}\n"
       f"上海旧日消防培训中心,91310105MA1FL0XX2B,,,沪消培002,{PAST}\n"
       "上海长青消防技能培训学校,,,,沪消培003,\n")


@pytest.fixture
def approved_list(app, tmp_path, runner):
    path = tmp_path / "approved.csv"
    path.write_text("\ufeff" + CSV, encoding="utf-8")
    result = runner.invoke(args=["import-approved", str(path)])
    assert result.exit_code == 0, result.output
    assert "新增 3" in result.output
    return path


@pytest.mark.parametrize("typed", [
    "上海安泰消防培训有限公司",
    "上海安泰消防培训",                       # suffix left off
    "上海 安泰 消防培训 公司",                # spaces, and 公司 instead of 有限公司
    "上海安泰消防培训（有限公司）",            # full-width brackets around the suffix
    "上海安泰·消防培训有限责任公司",          # punctuation, and 有限责任公司
    "９１３１０１０５ＭＡ１ＦＬ０ＸＸ１Ａ",       # the credit code in full-width characters
    "91310105ma1fl0xx1a",
])
def test_check_finds_an_approved_institution_from_a_variant_spelling(client, approved_list, typed):
    html = client.get("/check", query_string={"q": typed}).get_data(as_text=True)
    assert "在批准名单上：上海安泰消防培训有限公司" in html and "沪消培001" in html
    assert "<script" not in html


def test_check_says_plainly_when_a_name_is_not_on_the_list(client, approved_list):
    html = client.get("/check", query_string={"q": "上海某某消防科技"}).get_data(as_text=True)
    assert "批准名单上没有「上海某某消防科技」" in html and "可能是冒牌培训" in html
    assert 'href="/r"' in html


def test_an_expired_entry_no_longer_counts(client, approved_list):
    html = client.get("/check", query_string={"q": "上海旧日消防培训中心"}).get_data(as_text=True)
    assert "批准已过期" in html and "在批准名单上" not in html
    assert "可能是冒牌培训" in html
    html = client.get("/check", query_string={"q": "上海长青消防技能培训学校"}).get_data(as_text=True)
    assert "在批准名单上" in html and "长期" in html  # no valid_until: no end date


def test_importing_again_updates_instead_of_duplicating(app, approved_list, runner):
    approved_list.write_text(CSV.replace("长宁路1号", "长宁路2号"), encoding="utf-8")
    result = runner.invoke(args=["import-approved", str(approved_list)])
    assert "新增 0，更新 1" in result.output
    assert ApprovedInstitution.select().count() == 3


def test_a_bad_file_changes_nothing_and_names_its_line(runner, app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(CSV + "某机构,123,,,,2024-13-01\n", encoding="utf-8")
    result = runner.invoke(args=["import-approved", str(path)])
    assert result.exit_code != 0 and "第 5 行" in result.output
    assert ApprovedInstitution.select().count() == 0


def test_the_district_manages_the_list_in_the_ui(client, world, actions, approved_list):
    actions.login("district")
    page = client.get("/check/approved").get_data(as_text=True)
    assert "上海安泰消防培训有限公司" in page

    added = client.post("/check/approved", data={"name": "上海新立消防培训有限公司", "credit_code": "",
                                                 "valid_until": FUTURE})
    assert added.status_code == 303
    assert "在批准名单上" in client.get("/check?q=上海新立消防培训").get_data(as_text=True)
    duplicate = client.post("/check/approved", data={"name": "上海新立消防培训公司"})
    assert duplicate.status_code == 422 and "名单上已有" in duplicate.get_data(as_text=True)

    entry = ApprovedInstitution.get(ApprovedInstitution.name == "上海新立消防培训有限公司")
    assert client.post(f"/check/approved/{entry.id}", data={"valid_until": PAST}).status_code == 303
    assert "批准已过期" in client.get("/check?q=上海新立消防培训").get_data(as_text=True)
    assert client.post(f"/check/approved/{entry.id}/delete").status_code == 303
    assert "批准名单上没有" in client.get("/check?q=上海新立消防培训").get_data(as_text=True)
    assert AuditLog.select().where(AuditLog.object_type == "approvedinstitution").count() >= 3


def test_only_the_district_manages_the_list(client, world, actions, approved_list):
    entry = ApprovedInstitution.select().first()
    actions.login("street")
    assert client.get("/check/approved").status_code == 404
    assert client.post("/check/approved", data={"name": "某机构"}).status_code == 404
    assert client.post(f"/check/approved/{entry.id}/delete").status_code == 404
    assert ApprovedInstitution.select().count() == 3


def test_lookup_matches_by_name_key_or_credit_code(app, approved_list):
    current, expired = approved.lookup("上海旧日消防培训中心")
    assert current == [] and [e.approval_no for e in expired] == ["沪消培002"]
    assert approved.lookup("  ") == ([], [])
