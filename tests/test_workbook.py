"""The 附件1 workbook, read back with openpyxl (and with LibreOffice when it is installed): sheets, title,
填报单位 and 填报日期, Chinese headers, a totals row, numbers stored as numbers, money with two decimals."""
import csv
import io
import subprocess

import openpyxl

from domain.institutions import problem_list
from domain.tables import table1
from domain.workbook import write_table1
from models import Org
from tests.conftest import OTHER_STREET, STREET
from tests.test_tables import D1, D2, EXPECTED, KEYS, build_district, district  # noqa: F401 (fixture)

HEADERS = ["居委数", "排摸单位数", "其中居民户", "其中单位", "未遇或拒访", "接受过消防培训", "其中疑似冒牌培训",
           "涉及机构数", "兜售产品件数", "涉及金额（元）", "群众举报线索", "已移交部门"]



def workbook(day, street=None):
    out = io.BytesIO()
    write_table1(table1(day, street), problem_list(day, street), out)
    out.seek(0)
    return openpyxl.load_workbook(out)


def values(sheet, row):
    return [cell.value for cell in sheet[row]]


def expected_numbers(figures):
    return [float(figures[k]) if k == "amount" else figures[k] for k in KEYS]


def test_district_workbook_reads_back_with_the_figures(district):
    book = workbook(D1)
    assert book.sheetnames == ["附件1（街镇）", "附件1（居委）", "问题清单"]
    sheet = book["附件1（街镇）"]
    assert sheet["A1"].value == "长宁区消防培训情况排摸统计表"
    assert "A1:M1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A2"].value == "填报单位：长宁区"
    assert any(v and v.startswith("统计日期：2023年3月22日") for v in values(sheet, 2))  # the word on screen
    assert values(sheet, 3) == ["街镇"] + HEADERS
    assert sheet.freeze_panes == "B4"
    assert (sheet.page_setup.orientation, str(sheet.page_setup.paperSize)) == ("landscape", "9")

    rows = {r[0]: list(r[1:]) for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert len(rows) == 11  # ten streets and the totals row
    assert rows["华阳路街道"] == expected_numbers(EXPECTED[D1][STREET])
    assert rows["江苏路街道"] == expected_numbers(EXPECTED[D1][OTHER_STREET])
    assert rows["合计"] == expected_numbers(EXPECTED[D1]["total"])
    assert sheet.max_row == 14 and sheet.cell(14, 1).value == "合计"
    # Numbers are numbers, money shows two decimals.
    for row in sheet.iter_rows(min_row=4, min_col=2):
        for cell in row:
            assert isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool)
    amount = sheet.cell(4 + 0, 2 + KEYS.index("amount"))
    assert amount.number_format == "#,##0.00"
    assert sheet.cell(4, 2).number_format == "0"


def test_community_sheet_has_a_row_per_community_and_totals(district):
    sheet = workbook(D2)["附件1（居委）"]
    assert values(sheet, 3) == ["街镇", "居委"] + HEADERS[1:]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [r[:2] for r in rows] == [("华阳路街道", "华阳一居委"), ("华阳路街道", "华阳二居委"),
                                     ("江苏路街道", "江苏一居委"), ("合计", None)]
    assert list(rows[1][2:]) == [2, 1, 1, 1, 2, 2, 2, 1, 1180.0, 0, 0]
    assert list(rows[-1][2:]) == expected_numbers(EXPECTED[D2]["total"])[1:]


def test_problem_sheet_lists_each_institution(district):
    sheet = workbook(D2)["问题清单"]
    assert values(sheet, 3) == ["机构名称", "机构性质", "培训人员身份", "培训主要内容", "兜售产品种类", "涉及街镇",
                                "涉及单位数", "涉及金额（元）", "线索来源", "处置情况", "移交部门"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert len(rows) == 2
    a, b = rows
    assert a[0].startswith("上海某某消防培训中心（电话 02160000000、13800000001")
    assert a[4:9] == ("灭火器、逃生缓降器", "华阳路街道、江苏路街道", 4, 2450.0, "排摸")
    assert b[5:] == ("华阳路街道", 1, 398.0, "排摸、举报", "已移交", "区公安分局")
    assert sheet.cell(5, 8).number_format == "#,##0.00"


def test_street_workbook_over_http_has_only_its_street(district, actions, client):
    actions.login("street")
    reply = client.get(f"/api/v1/tables/1.xlsx?as_of={D2}")
    assert reply.status_code == 200
    assert reply.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert ".xlsx" in reply.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(reply.data))
    sheet = book["附件1（街镇）"]
    assert sheet["A2"].value == "填报单位：长宁区华阳路街道"
    assert [r[0] for r in sheet.iter_rows(min_row=4, values_only=True)] == ["华阳路街道", "合计"]
    communities = [r[1] for r in book["附件1（居委）"].iter_rows(min_row=4, values_only=True)]
    assert communities == ["华阳一居委", "华阳二居委", None]
    problems = [r[5] for r in book["问题清单"].iter_rows(min_row=4, values_only=True)]
    assert problems == ["华阳路街道", "华阳路街道"]


def test_libreoffice_opens_the_workbook(district, tmp_path):
    path = tmp_path / "table1.xlsx"
    write_table1(table1(D1, Org[STREET]), problem_list(D1, Org[STREET]), str(path))
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=120)
    rows = list(csv.reader(io.StringIO((tmp_path / "table1.csv").read_text(encoding="utf-8"))))
    assert rows[0][0] == "长宁区消防培训情况排摸统计表"
    assert rows[3] == ["华阳路街道", "2", "4", "2", "2", "2", "4", "3", "1", "4", "2,698.00", "2", "0"]
    assert rows[4][0] == "合计"
