"""附件1 as a workbook a street office can forward as it is, and as CSV (design section 6).

Sheet 1 the street rows and a totals row, sheet 2 the 居委 rows, sheet 3 the 问题清单. Each sheet has the
official title, 填报单位 and 填报日期 above Chinese headers; numbers are stored as numbers, money with two
decimals; frozen header, A4 landscape, one page wide. XlsxWriter's constant_memory mode writes each row
as it goes, so rows are written strictly top to bottom.
"""
import csv
import io

import xlsxwriter

from domain.survey_store import from_fen
from domain.tables import COLUMNS, HEADERS

SHEET_STREETS = "附件1（街镇）"
SHEET_COMMUNITIES = "附件1（居委）"
SHEET_PROBLEMS = "问题清单"
PROBLEM_HEADERS = ("机构名称", "机构性质", "培训人员身份", "培训主要内容", "兜售产品种类", "涉及街镇", "涉及单位数",
                   "涉及金额（元）", "线索来源", "处置情况", "移交部门")
COMMUNITY_COLUMNS = tuple(key for key, _ in COLUMNS if key != "communities")
A4 = 9


def filled_on(day):
    return f"{day.year}年{day.month}月{day.day}日"


class _Formats:
    def __init__(self, book):
        border = {"border": 1, "valign": "vcenter", "font_size": 10}
        self.title = book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
        self.meta = book.add_format({"font_size": 10, "valign": "vcenter"})
        self.meta_right = book.add_format({"font_size": 10, "valign": "vcenter", "align": "right"})
        self.header = book.add_format({**border, "bold": True, "align": "center", "text_wrap": True,
                                       "bg_color": "#E7ECF3"})
        self.text = book.add_format({**border, "text_wrap": True})
        self.count = book.add_format({**border, "num_format": "0"})
        self.money = book.add_format({**border, "num_format": "#,##0.00"})
        self.total_text = book.add_format({**border, "bold": True, "align": "center", "bg_color": "#F6F7F9"})
        self.total_count = book.add_format({**border, "bold": True, "num_format": "0", "bg_color": "#F6F7F9"})
        self.total_money = book.add_format({**border, "bold": True, "num_format": "#,##0.00", "bg_color": "#F6F7F9"})


def _sheet(book, fmt, name, title, table, headers, widths, freeze_cols):
    sheet = book.add_worksheet(name)
    last = len(headers) - 1
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.repeat_rows(0, 2)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.set_row(0, 30)
    sheet.merge_range(0, 0, 0, last, title, fmt.title)
    split = max(1, len(headers) // 2)
    sheet.merge_range(1, 0, 1, split - 1, f"填报单位：{table.filled_by}", fmt.meta)
    sheet.merge_range(1, split, 1, last, f"填报日期：{filled_on(table.as_of)}（数据截至当日24时）", fmt.meta_right)
    sheet.set_row(2, 32)
    for col, header in enumerate(headers):
        sheet.write_string(2, col, header, fmt.header)
    sheet.freeze_panes(3, freeze_cols)
    return sheet


def _write_figures(sheet, row, col, figures, keys, fmt, total=False):
    for offset, key in enumerate(keys):
        if key == "amount":
            sheet.write_number(row, col + offset, float(from_fen(figures["amount_fen"])),
                               fmt.total_money if total else fmt.money)
        else:
            sheet.write_number(row, col + offset, figures[key], fmt.total_count if total else fmt.count)


def write_table1(table, problems, out):
    """Write the workbook of `table` (domain.tables.Table1) and `problems` (the problem list) to `out`,
    a path or a binary file object."""
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False, "strings_to_numbers": False})
    book.set_properties({"title": table.title, "company": table.filled_by})
    fmt = _Formats(book)
    keys = [key for key, _ in COLUMNS]

    streets = _sheet(book, fmt, SHEET_STREETS, table.title, table, ["街镇"] + [HEADERS[k] for k in keys],
                     [16] + [9] * len(keys), 1)
    row = 3
    for street in table.rows:
        streets.write_string(row, 0, street["name"], fmt.text)
        _write_figures(streets, row, 1, street, keys, fmt)
        row += 1
    streets.write_string(row, 0, "合计", fmt.total_text)
    _write_figures(streets, row, 1, table.total, keys, fmt, total=True)

    communities = _sheet(book, fmt, SHEET_COMMUNITIES, table.title + "（分居委）", table,
                         ["街镇", "居委"] + [HEADERS[k] for k in COMMUNITY_COLUMNS],
                         [14, 16] + [9] * len(COMMUNITY_COLUMNS), 2)
    row = 3
    for community in table.communities:
        communities.write_string(row, 0, community["street_name"], fmt.text)
        communities.write_string(row, 1, community["name"], fmt.text)
        _write_figures(communities, row, 2, community, COMMUNITY_COLUMNS, fmt)
        row += 1
    communities.merge_range(row, 0, row, 1, "合计", fmt.total_text)
    _write_figures(communities, row, 2, table.total, COMMUNITY_COLUMNS, fmt, total=True)

    sheet = _sheet(book, fmt, SHEET_PROBLEMS, table.title + "·问题清单", table, PROBLEM_HEADERS,
                   [26, 14, 18, 24, 22, 16, 8, 12, 9, 9, 18], 1)
    row = 3
    for item in problems:
        for col, value in enumerate(problem_row(item)):
            if col == 6:
                sheet.write_number(row, col, value, fmt.count)
            elif col == 7:
                sheet.write_number(row, col, float(value), fmt.money)
            else:
                sheet.write_string(row, col, value, fmt.text)
        row += 1
    book.close()


def problem_row(item):
    """The 问题清单 columns of one institution (domain.institutions.Institution)."""
    name = item.name + (f"（电话 {'、'.join(item.phones)}）" if item.phones else "")
    return [name, item.nature, "、".join(item.identities), "；".join(item.contents), "、".join(item.products),
            "、".join(item.streets), item.units, from_fen(item.amount_fen), "、".join(item.sources),
            item.status, "、".join(item.departments)]


def table1_csv(table):
    """The street rows and the totals row as CSV (header first, for scripts too), UTF-8 with a BOM so that
    Excel reads the Chinese."""
    keys = [key for key, _ in COLUMNS]
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["街镇代码", "街镇"] + [HEADERS[k] for k in keys])
    for street in table.rows:
        writer.writerow([street["code"], street["name"]] + _csv_figures(street, keys))
    writer.writerow(["", "合计"] + _csv_figures(table.total, keys))
    return buffer.getvalue().encode("utf-8")


def _csv_figures(figures, keys):
    return [str(from_fen(figures["amount_fen"])) if key == "amount" else figures[key] for key in keys]

