"""A table is data (style.md): each table is one definition that the JSON, the page, the workbook and the CSV
all read, so a new column is one entry in a definition and nothing else (issue 10 item 1)."""
import csv
import io

import openpyxl
import pytest

from domain.reporting import campaign_tables
from domain.reporting.tabledef import PERCENT, Column, Derived, percent
from domain.reporting.tables import UnitFigure, count_if
from tests.conftest import OTHER_STREET, STREET
from tests.test_spot_checks import entered, shichang  # noqa: F401 (fixtures)
from tests.test_tables import D2, district  # noqa: F401 (fixture)

SHOPS = Column("shops", "其中沿街商铺", UnitFigure(lambda u: count_if(u.surveyed & (u.c.unit_type == "shop"))))
PASSED = Column("passed", "合格批次", Derived(lambda f: f["batches"] - f["failed"]))
PASS_RATE = Column("pass_rate", "合格率（%）", Derived(lambda f: percent(f["batches"] - f["failed"], f["batches"])),
                   type=PERCENT)


def everything(client, number, street=None):
    """The JSON, the page, the workbook's first sheet and the CSV of 附件`number` as of D2."""
    query = f"as_of={D2}" + (f"&street={street}" if street else "")
    page = "/tables/" if number == 1 else f"/tables/{number}"
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/v1/tables/{number}.xlsx?{query}").data))
    return (client.get(f"/api/v1/tables/{number}?{query}").get_json(),
            client.get(f"{page}?{query}").get_data(as_text=True),
            book.worksheets[0],
            list(csv.reader(io.StringIO(client.get(f"/api/v1/tables/{number}.csv?{query}").data.decode("utf-8-sig")))))


def test_a_new_column_of_table1_is_in_the_json_the_page_the_workbook_and_the_csv(district, actions, client,
                                                                                    monkeypatch):
    monkeypatch.setitem(campaign_tables.TABLES, 1, campaign_tables.TABLES[1].with_column(SHOPS, after="organisations"))
    actions.login("district")
    table, page, sheet, rows = everything(client, 1)

    # JSON: after 其中单位, counted from the units' latest records (U3 is 华阳's only shop).
    street = next(r for r in table["rows"] if r["code"] == STREET)
    assert list(street)[4:7] == ["households", "organisations", "shops"]
    assert (street["shops"], next(r for r in table["rows"] if r["code"] == OTHER_STREET)["shops"],
            table["total"]["shops"]) == (1, 0, 1)
    # The page: its header and its figures, and the empty-table row spans it too.
    assert "<th class=\"num\">其中沿街商铺</th>" in page
    header = [c.value for c in sheet[3]]
    assert header[4:6] == ["其中单位", "其中沿街商铺"]
    assert "A1:P1" in {str(r) for r in sheet.merged_cells.ranges}
    sheet_rows = {r[0]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert (sheet_rows["华阳路街道"][5], sheet_rows["合计"][5]) == (1, 1)
    # The CSV: the street part and the 居委 part.
    assert ["街镇代码", "街镇"] + header[1:] in rows
    assert next(r for r in rows if r[:1] == [STREET])[6] == "1"
    community_header = next(r for r in rows if r[:1] == ["居委代码"])
    assert "其中沿街商铺" in community_header


def test_a_new_derived_column_of_table2_is_everywhere_too(entered, actions, client, monkeypatch):
    monkeypatch.setitem(campaign_tables.TABLES, 2,
                        campaign_tables.TABLES[2].with_column(PASSED, after="failed").with_column(PASS_RATE))
    actions.login("district")
    table, page, sheet, rows = everything(client, 2)
    assert table["total"]["passed"] == 15 - 6 and table["total"]["pass_rate"] == "60.0"
    assert list(table["total"]) == ["batches", "failed", "passed", "failure_rate", "cases_opened", "fine", "pass_rate"]
    assert "<th class=\"num\">合格批次</th>" in page and "<th class=\"num\">合格率（%）</th>" in page
    header = [c.value for c in sheet[3]]
    assert header[3:] == ["抽查批次", "不合格批次", "合格批次", "不合格率（%）", "立案查处", "罚没款（元）", "合格率（%）"]
    total = list(sheet.iter_rows(min_row=4, values_only=True))[-1]
    assert (total[5], total[9]) == (9, 60.0)
    assert rows[2][3:] == header[3:] and rows[-1][5] == "9"


@pytest.mark.parametrize("number", [1, 2, 3])
def test_every_column_has_a_key_a_header_a_type_and_a_source(number):
    table = campaign_tables.TABLES[number]
    keys = [c.key for c in table.columns]
    assert len(keys) == len(set(keys))
    for column in table.columns:
        assert column.header and column.type in ("count", "money", "percent") and column.source is not None
