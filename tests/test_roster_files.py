"""Reading a street's roster spreadsheet (design section 11, issue 18 item 2): real files as Excel, WPS and grid
systems save them, and a clear Chinese message for every file that cannot be a roster."""
import csv
import datetime
import io
import re
import tracemalloc
import zipfile

import openpyxl
import pytest
import xlsxwriter
from PIL import Image

from domain.common.codes import UNIT_TYPES
from domain.roster import files
from domain.roster.files import HEADERS, RosterFileError, cell_text, read_roster, template_workbook

pytestmark = pytest.mark.engine_independent

HEADER = ["居委代码", "居委", "地址", "单位类型", "名称", "楼栋"]
ROWS = [
    ["310105001001", "华阳一居委", "仙霞路350弄3号201室", "居民户", "", "3号"],
    ["310105001001", "华阳一居委", "仙霞路350弄3号202室", "", "", "3号"],
    ["310105001002", "华阳二居委", "长宁路1018号", "沿街商铺", "好运便利店", ""],
]
EXPECTED = [(2, *ROWS[0]), (3, *ROWS[1]), (4, *ROWS[2])]


def csv_bytes(rows, encoding="utf-8", delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, title=None, numbers=()):
    """An .xlsx whose first sheet holds `rows` from row 1 (None: a row left out entirely); with `title`, a title
    merged across the columns above them. Columns in `numbers` are stored as numbers."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("实有房屋")
    at = 0
    if title:
        sheet.merge_range(0, 0, 0, 5, title, book.add_format({"bold": True, "align": "center"}))
        at = 1
    for row in rows:
        for col, value in enumerate(row or ()):
            if col in numbers and at > (1 if title else 0):
                sheet.write_number(at, col, float(value))
            elif value != "":
                sheet.write_string(at, col, value)
        at += 1
    book.close()
    return out.getvalue()


def refused(data, *words, **limits):
    """The message for a file that is refused, checked to contain `words`."""
    with pytest.raises(RosterFileError) as caught:
        read_roster(data, **limits)
    message = str(caught.value)
    for word in words:
        assert word in message, message
    return message


# --- CSV ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_as_excel_and_wps_save_it_in_china(encoding):
    sheet = read_roster(csv_bytes([HEADER] + ROWS, encoding), "底数.csv")
    assert sheet.rows == EXPECTED
    assert sheet.columns == dict(zip(HEADERS, HEADER))


def test_a_bom_is_not_part_of_the_first_header():
    data = csv_bytes([["居委", "地址"], ["华阳一居委", "仙霞路1号"]], "utf-8-sig")
    assert read_roster(data).columns == {"community": "居委", "address": "地址"}


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_files(delimiter):
    assert read_roster(csv_bytes([HEADER] + ROWS, "gb18030", delimiter)).rows == EXPECTED


def test_unicode_text_as_excel_saves_it():
    """Excel's "Unicode 文本" is UTF-16 with a BOM, tab separated."""
    assert read_roster(csv_bytes([HEADER] + ROWS, "utf-16", "\t")).rows == EXPECTED


def test_commas_and_semicolons_inside_addresses_stay_in_their_cell():
    rows = [["居委", "地址"], ["华阳一居委", "长宁路1号;2号"], ["华阳一居委", "仙霞路350弄3号,201室"],
            ["华阳一居委", "延安西路1号;3号"]]
    addresses = [row[3] for row in read_roster(csv_bytes(rows)).rows]
    assert addresses == ["长宁路1号;2号", "仙霞路350弄3号,201室", "延安西路1号;3号"]


def test_csv_row_numbers_count_blank_lines_and_the_title():
    text = ("华阳路街道实有房屋清单,,,,,\r\n" + ",".join(HEADER) + "\r\n" + ",".join(ROWS[0]) + "\r\n"
            "\r\n,,,,,\r\n ,\u3000,,,,\r\n" + ",".join(ROWS[1]) + "\r\n")
    sheet = read_roster(text.encode("gb18030"))
    assert [row[0] for row in sheet.rows] == [3, 7]
    assert sheet.rows[1] == (7, *ROWS[1])


def test_cells_are_trimmed_and_full_width_text_is_kept_as_written():
    rows = [["居委代码", "居委", "地址"],
            [" 310105001001\u3000", "\u3000华阳一居委 ", "仙霞路３５０弄３号２０１室\u3000\u3000"],
            ["310105001001", "华阳一居委", "\xa0Ｃ座 长宁路１号\u200b \t"]]
    sheet = read_roster(csv_bytes(rows, "gb18030"))
    assert [row[1:4] for row in sheet.rows] == [("310105001001", "华阳一居委", "仙霞路３５０弄３号２０１室"),
                                                ("310105001001", "华阳一居委", "Ｃ座 长宁路１号")]


def test_csv_codes_stay_text():
    sheet = read_roster(csv_bytes([["居委代码", "地址"], ["0310105001", "仙霞路1号"], ["310105001001", "仙霞路2号"]]))
    assert [row[1] for row in sheet.rows] == ["0310105001", "310105001001"]


def test_repeated_values_are_one_string_in_memory():
    data = csv_bytes([HEADER] + [["310105001001", "华阳一居委", f"仙霞路{n}号", "居民户", "", "3号"] for n in (1, 2)])
    first, second = read_roster(data).rows
    for column in (1, 2, 4, 6):  # 居委代码, 居委, 单位类型, 楼栋: each parsed on its own, kept once
        assert first[column] is second[column]


# --- headers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("written, field", [
    ("居委代码", "community_code"), ("社区代码", "community_code"), ("居委编码", "community_code"),
    ("居委", "community"), ("居委会", "community"), ("社区", "community"), ("所属居委", "community"),
    ("居委会名称", "community"), ("详细地址", "address"), ("房屋地址", "address"), ("门牌地址", "address"),
    ("住址", "address"), ("类型", "type"), ("房屋类型", "type"), ("类别", "type"), ("单位名称", "name"),
    ("商户名称", "name"), ("楼号", "building"), ("幢", "building"),
    (" 居 委 代 码 ", "community_code"), ("\u3000地址\u3000", "address"), ("地址*", "address"),
    ("*地址", "address"), ("地址：", "address"), ("地址:", "address"), ("地址＊：", "address"),
    ("居委会名称\n", "community"), ("楼\u3000号", "building"),
])
def test_header_variants(written, field):
    others = {"community": ["地址"], "community_code": ["地址"], "address": ["居委"]}.get(field, ["居委", "地址"])
    sheet = read_roster(csv_bytes([[written] + others, ["310105001001"] + ["华阳一居委"] * len(others)]))
    assert sheet.columns[field] == written.strip()


def test_file_with_grid_system_headers():
    rows = [["序号", "社区代码", "居委会名称", "详细地址 *", "房屋类型", "商户名称", "楼号", "备注"],
            ["1", "310105001001", "华阳一居委", "仙霞路350弄3号201室", "居民户", "", "3号", "出租"]]
    sheet = read_roster(csv_bytes(rows, "gb18030"))
    assert sheet.columns == {"community_code": "社区代码", "community": "居委会名称", "address": "详细地址 *",
                             "type": "房屋类型", "name": "商户名称", "building": "楼号"}
    assert sheet.rows == [(2, "310105001001", "华阳一居委", "仙霞路350弄3号201室", "居民户", "", "3号")]


def test_optional_columns_may_be_absent_and_a_row_with_only_a_serial_number_is_not_a_unit():
    rows = [["序号", "居委", "地址"], ["1", "华阳一居委", "仙霞路1号"], ["2", "", ""], ["3", "华阳一居委", ""]]
    sheet = read_roster(csv_bytes(rows))
    assert sheet.columns == {"community": "居委", "address": "地址"}
    # The row with a 居委 and no address stays: the import rejects it by its row number.
    assert sheet.rows == [(2, "", "华阳一居委", "仙霞路1号", "", "", ""), (4, "", "华阳一居委", "", "", "", "")]


def test_wrong_headers_name_the_missing_columns_and_quote_the_headers_found():
    message = refused(csv_bytes([["序号", "小区", "门牌"], ["1", "华阳", "仙霞路1号"]], "gb18030"),
                      "找不到必填列", "「地址」", "「居委代码」或「居委」", "表头为：序号、小区、门牌", "详细地址", "居委会名称")
    assert "华阳" not in message.split("表头为")[1].split("。")[0]


def test_a_missing_address_column_is_named_alone():
    message = refused(csv_bytes([["居委", "门牌号"], ["华阳一居委", "1号"]]),
                      "找不到必填列「地址」", "表头为：居委、门牌号", "请把列名改为「地址」（或 详细地址、房屋地址、门牌地址、住址）")
    assert "「居委代码」或「居委」" not in message


def test_a_missing_community_column_is_named_and_the_title_row_is_not_quoted():
    data = csv_bytes([["华阳路街道实有房屋清单"], ["序号", "地址", "类型"], ["1", "仙霞路1号", "居民户"]])
    message = refused(data, "找不到必填列「居委代码」或「居委」", "表头为：序号、地址、类型",
                      "「居委代码」（或 社区代码、居委编码）或「居委」（或 居委会、社区、所属居委、居委会名称）")
    assert "「地址」" not in message and "清单" not in message


def test_headers_further_down_than_ten_rows_are_not_looked_for():
    rows = [[f"说明{n}"] for n in range(10)] + [["居委", "地址"], ["华阳一居委", "仙霞路1号"]]
    refused(csv_bytes(rows), "找不到必填列", "表头为：说明0")


def test_header_only_file_has_no_data_rows():
    refused(csv_bytes([HEADER, [""] * 6]), "没有数据行")


# --- .xlsx --------------------------------------------------------------------------------------------------


def test_xlsx_with_a_merged_title_row_and_blank_rows():
    rows = [HEADER, ROWS[0], None, [" ", "\u3000"], ["", "", "", "", "", "", "备注"], ROWS[1], None, ROWS[2]]
    sheet = read_roster(xlsx_bytes(rows, title="华阳路街道实有房屋清单"), "清单.xlsx")
    assert sheet.columns == dict(zip(HEADERS, HEADER))
    assert sheet.rows == [(3, *ROWS[0]), (7, *ROWS[1]), (9, *ROWS[2])]


def rewritten(data, part, change):
    """The .xlsx `data` with its `part` (a path in the zip) passed through `change` (bytes → bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry)
            target.writestr(entry.filename, change(content) if entry.filename == part else content)
    return out.getvalue()


def test_xlsx_codes_stored_as_numbers_and_as_text():
    rows = [HEADER, ROWS[0], ROWS[2]]
    as_numbers = xlsx_bytes(rows, numbers={0})
    assert [row[1] for row in read_roster(as_numbers).rows] == ["310105001001", "310105001002"]
    assert read_roster(as_numbers).rows == read_roster(xlsx_bytes(rows)).rows

    # Some programs store a whole number as 310105001001.0 or 3.10105001001E11: still the same code.
    as_floats = rewritten(as_numbers, "xl/worksheets/sheet1.xml",
                          lambda xml: xml.replace(b"<v>310105001001</v>", b"<v>310105001001.0</v>")
                          .replace(b"<v>310105001002</v>", b"<v>3.10105001002E11</v>"))
    assert b"310105001001.0" in zipfile.ZipFile(io.BytesIO(as_floats)).read("xl/worksheets/sheet1.xml")
    assert read_roster(as_floats).rows == read_roster(as_numbers).rows

    # Text keeps its leading zero; a building stored as a number reads as its digits.
    book = openpyxl.Workbook()
    book.active.append(["居委代码", "地址", "楼栋"])
    book.active.append(["0310105001", "仙霞路1号", 3])
    out = io.BytesIO()
    book.save(out)
    assert read_roster(out.getvalue()).rows == [(2, "0310105001", "", "仙霞路1号", "", "", "3")]


def test_xlsx_full_width_text_and_trailing_spaces():
    rows = [["居委", "详细地址"], ["华阳一居委\u3000", "仙霞路３５０弄３号２０１室  \u3000"]]
    assert read_roster(xlsx_bytes(rows)).rows == [(2, "", "华阳一居委", "仙霞路３５０弄３号２０１室", "", "", "")]


def test_what_openpyxl_warns_about_does_not_stop_reading():
    """A stylesheet without named styles and a date out of range each make openpyxl warn; the cells are still
    read (the tests turn warnings into errors, which would refuse a good file)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["居委", "地址", "名称"])
    sheet.write_row(1, 0, ["华阳一居委", "仙霞路1号"])
    sheet.write_number(1, 2, 9.9e12, book.add_format({"num_format": "yyyy-mm-dd"}))
    book.close()
    bare = rewritten(out.getvalue(), "xl/styles.xml",
                     lambda xml: re.sub(rb"<cellStyles .*?</cellStyles>", b"", xml, flags=re.S))
    with pytest.warns(UserWarning, match="no default style"):
        openpyxl.load_workbook(io.BytesIO(bare), read_only=True).close()
    assert read_roster(bare).rows == [(2, "", "华阳一居委", "仙霞路1号", "", "#VALUE!", "")]


def test_cell_values_read_as_a_person_sees_them():
    assert cell_text(310105001001.0) == "310105001001"
    assert cell_text(310105001001) == "310105001001"
    assert cell_text(0.1 + 0.2) == "0.3"
    assert cell_text(datetime.datetime(2024, 5, 1)) == "2024-05-01"
    assert cell_text(None) == "" and cell_text(" \u3000\xa0") == ""


# --- files that are not a roster ------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n   \r\n", b",,,,\r\n,,\r\n\r\n", "\u3000\r\n".encode("gb18030")])
def test_empty_files(data):
    refused(data, "文件是空的")


def test_empty_workbook():
    out = io.BytesIO()
    xlsxwriter.Workbook(out, {"in_memory": True}).close()
    refused(out.getvalue(), "文件是空的")


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("data", [
    png_bytes(), bytes(range(256)) * 8, bytes(range(1, 256)) * 8, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
    b"PK\x03\x04" + b"\x14\x00broken zip" * 50,
])
def test_not_a_spreadsheet(data):
    refused(data, "文件不是 .xlsx 或 CSV 表格", "另存为")


def test_a_zip_that_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "居委,地址")
    refused(out.getvalue(), "文件不是 .xlsx 或 CSV 表格")


def test_a_workbook_damaged_half_way():
    rows = [HEADER] + [["310105001001", "华阳一居委", f"仙霞路{n}号", "", "", ""] for n in range(50)]
    damaged = rewritten(xlsx_bytes(rows), "xl/worksheets/sheet1.xml", lambda xml: xml[:len(xml) // 2])
    refused(damaged, "文件不是 .xlsx 或 CSV 表格")


def test_old_xls():
    refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "旧版 .xls 文件不能直接导入", "另存为 .xlsx 或 CSV")


def test_a_web_page_saved_as_xls():
    refused("<html><body><table><tr><td>居委</td><td>地址</td></tr></table>".encode("gb18030"), "网页", "另存为")


def zip_bomb(unzipped):
    """An .xlsx whose sheet expands to `unzipped` bytes of spaces (a few kilobytes compressed)."""
    whole = io.BytesIO(xlsx_bytes([HEADER, ROWS[0]]))
    bomb = io.BytesIO()
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            if entry.filename == "xl/worksheets/sheet1.xml":
                with target.open(entry.filename, "w") as sheet:
                    for _ in range(unzipped // (1 << 20)):
                        sheet.write(b" " * (1 << 20))
            else:
                target.writestr(entry.filename, source.read(entry))
    return bomb.getvalue()


def test_a_zip_bomb_is_refused_without_expanding_it(monkeypatch):
    data = zip_bomb(20 * 1024 * 1024)
    assert len(data) < 200 * 1024
    monkeypatch.setattr(files.openpyxl, "load_workbook", lambda *a, **k: pytest.fail("the bomb was opened"))
    tracemalloc.start()
    try:
        refused(data, "文件解压后过大", "20 MB", "上限 5 MB", max_unzipped=5 * 1024 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024


def test_more_rows_than_the_limit():
    rows = [HEADER] + [["310105001001", "华阳一居委", f"仙霞路{n}号", "", "", ""] for n in range(11)]
    assert len(read_roster(csv_bytes(rows[:11]), max_rows=10).rows) == 10
    refused(csv_bytes(rows), "行数超过上限 10 行", max_rows=10)
    refused(xlsx_bytes(rows), "行数超过上限 10 行", max_rows=10)


def test_reading_stops_at_the_limit_without_reading_the_rest():
    """A field past the limit that CSV cannot read is never reached."""
    rows = [HEADER] + [["310105001001", "华阳一居委", f"仙霞路{n}号", "", "", ""] for n in range(11)]
    broken = csv_bytes(rows) + b'310105001001,"' + b"x" * 200_000 + b'"\r\n'
    refused(broken, "无法按 CSV 读取")
    refused(broken, "行数超过上限 10 行", max_rows=10)


def test_the_limit_is_written_as_people_read_numbers():
    rows = [HEADER] + [["310105001001", "华阳一居委", f"仙霞路{n}号", "", "", ""] for n in range(1001)]
    refused(csv_bytes(rows), "行数超过上限 1,000 行", max_rows=1000)


# --- the template -------------------------------------------------------------------------------------------


def test_the_template_a_street_fills():
    data = template_workbook()
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    assert sheet.title == "底数清单"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("居委代码", "居委", "地址", "单位类型", "名称", "楼栋")
    assert values[1] == ("310105001001", "华阳一居委", "仙霞路350弄3号201室", "居民户", None, "3号")
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "list" and str(validation.sqref) == "D2:D200001"
    assert validation.formula1 == '"' + ",".join(UNIT_TYPES.values()) + '"'
    assert sheet.column_dimensions["C"].width > 20

    # What a street sends back unchanged reads as the example row.
    assert read_roster(data).rows == [(2, "310105001001", "华阳一居委", "仙霞路350弄3号201室", "居民户", "", "3号")]
