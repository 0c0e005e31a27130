"""The statistics tables as workbooks a street office can forward as they are, and as CSV (design section 6).

Both read the table definitions (domain.reporting.tabledef): a sheet per table (附件1 also one row per 居委 and the
问题清单), each with the official title, 填报单位 and 统计日期 above Chinese headers, the rows, and a totals row;
numbers stored as numbers, money with two decimals; frozen header, A4 landscape, one page wide. Wrapped cells
get a row height for their lines (neither Excel nor LibreOffice grows a row by itself when opening a file).
XlsxWriter's constant_memory mode writes each row as it goes, so rows are written strictly top to bottom.
"""
import csv
import io
import math
import unicodedata

import xlsxwriter

from domain.common.money import from_fen
from domain.reporting.tabledef import MONEY, PERCENT, csv_value, number_value, stated_day

SHEET_PROBLEMS = "问题清单"
PROBLEM_HEADERS = ("机构名称", "机构性质", "培训人员身份", "培训主要内容", "兜售产品种类", "涉及街镇", "涉及单位数",
                   "涉及金额（元）", "线索来源", "处置情况", "移交部门")
PROBLEM_WIDTHS = (26, 14, 18, 24, 22, 16, 8, 12, 9, 9, 18)
A4 = 9
LINE_HEIGHT = 14  # points per line of 10-point text (CJK glyphs included)
ROW_PADDING = 4
TOTAL = "合计"


def filled_on(day):
    return stated_day(day)


def date_line(day):
    """The words for the date, the same on screen, in the workbook and in the CSV."""
    return f"统计日期：{stated_day(day)}（数据截至当日24时）"


def text_width(text):
    """Width in Excel's character units: a CJK (wide) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def lines_needed(text, width):
    """Lines a wrapped cell of column width `width` needs for `text`."""
    room = max(1, width - 1)
    return sum(max(1, math.ceil(text_width(part) / room)) for part in str(text).split("\n"))


def row_height(cells):
    """The height (points) for a row of wrapped cells [(text, column width)]; None for a single line."""
    lines = max((lines_needed(text, width) for text, width in cells if text), default=1)
    return None if lines <= 1 else lines * LINE_HEIGHT + ROW_PADDING


class _Formats:
    def __init__(self, book):
        border = {"border": 1, "valign": "vcenter", "font_size": 10}
        self.title = book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
        self.meta = book.add_format({"font_size": 10, "valign": "vcenter"})
        self.meta_right = book.add_format({"font_size": 10, "valign": "vcenter", "align": "right"})
        self.header = book.add_format({**border, "bold": True, "align": "center", "text_wrap": True,
                                       "bg_color": "#E7ECF3"})
        self.text = book.add_format({**border, "text_wrap": True})
        self.total_text = book.add_format({**border, "bold": True, "align": "center", "bg_color": "#F6F7F9"})
        total = {"bold": True, "bg_color": "#F6F7F9"}
        self.numbers = {
            (False, "count"): book.add_format({**border, "num_format": "0"}),
            (False, MONEY): book.add_format({**border, "num_format": "#,##0.00"}),
            (False, PERCENT): book.add_format({**border, "num_format": "0.0"}),
            (True, "count"): book.add_format({**border, **total, "num_format": "0"}),
            (True, MONEY): book.add_format({**border, **total, "num_format": "#,##0.00"}),
            (True, PERCENT): book.add_format({**border, **total, "num_format": "0.0"}),
        }

    def number(self, column_type, total=False):
        return self.numbers[(total, column_type if column_type in (MONEY, PERCENT) else "count")]


def _sheet(book, fmt, name, title, filled_by, as_of, headers, widths, freeze_cols):
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
    sheet.merge_range(1, 0, 1, split - 1, f"填报单位：{filled_by}", fmt.meta)
    sheet.merge_range(1, split, 1, last, date_line(as_of), fmt.meta_right)
    sheet.set_row(2, row_height(list(zip(headers, widths))) or 18)
    for col, header in enumerate(headers):
        sheet.write_string(2, col, header, fmt.header)
    sheet.freeze_panes(3, freeze_cols)
    return sheet


def _write_rows(sheet, fmt, rows, columns, label_count, label_widths, total):
    """The rows (their labels, then one number per column) and the totals row, from sheet row 3 on."""
    at = 3
    for row in rows:
        labels = row.labels[-label_count:]
        height = row_height(list(zip(labels, label_widths)))
        if height:
            sheet.set_row(at, height)
        for col, label in enumerate(labels):
            sheet.write_string(at, col, label, fmt.text)
        _write_numbers(sheet, fmt, at, label_count, columns, row.figures)
        at += 1
    if label_count > 1:
        sheet.merge_range(at, 0, at, label_count - 1, TOTAL, fmt.total_text)
    else:
        sheet.write_string(at, 0, TOTAL, fmt.total_text)
    _write_numbers(sheet, fmt, at, label_count, columns, total, total=True)


def _write_numbers(sheet, fmt, at, first, columns, figures, total=False):
    for offset, column in enumerate(columns):
        value = number_value(column, figures[column.field])
        cell_format = fmt.number(column.type, total)
        if value is None:
            sheet.write_blank(at, first + offset, None, cell_format)
        else:
            sheet.write_number(at, first + offset, value, cell_format)


def write_table(book, fmt, result, problems=None):
    """The sheets of one table (a domain.reporting.tabledef.TableResult): its rows, its detail rows, its 问题清单."""
    table = result.table
    columns = table.columns
    labels = len(table.label_headers)
    widths = list(table.label_widths)
    sheet = _sheet(book, fmt, table.sheet, result.title, result.filled_by, result.as_of,
                   list(table.label_headers) + [c.header for c in columns], widths + [c.width for c in columns],
                   labels)
    _write_rows(sheet, fmt, result.rows, columns, labels, widths, result.total)

    if table.details:
        columns = table.detail_columns
        labels = len(table.detail_label_headers)
        widths = list(table.detail_label_widths)
        sheet = _sheet(book, fmt, table.detail_sheet, result.title + table.detail_title, result.filled_by,
                       result.as_of, list(table.detail_label_headers) + [c.header for c in columns],
                       widths + [c.width for c in columns], labels)
        _write_rows(sheet, fmt, result.details, columns, labels, widths, result.total)

    if problems is not None:
        sheet = _sheet(book, fmt, SHEET_PROBLEMS, result.title + "·问题清单", result.filled_by, result.as_of,
                       PROBLEM_HEADERS, PROBLEM_WIDTHS, 1)
        at = 3
        for item in problems:
            values = problem_row(item)
            height = row_height([(v, w) for v, w in zip(values, PROBLEM_WIDTHS) if isinstance(v, str)])
            if height:
                sheet.set_row(at, height)
            for col, value in enumerate(values):
                if col == 6:
                    sheet.write_number(at, col, value, fmt.number("count"))
                elif col == 7:
                    sheet.write_number(at, col, float(value), fmt.number(MONEY))
                else:
                    sheet.write_string(at, col, value, fmt.text)
            at += 1


def write_workbook(results, out, problems=None, properties=None):
    """Write the tables `results` (TableResults, in order) to `out`, a path or a binary file object; the
    问题清单 `problems` follow 附件1's sheets."""
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False, "strings_to_numbers": False})
    first = results[0]
    book.set_properties({"title": first.title if len(results) == 1 else first.district.name + "专项整治统计表",
                         "company": first.filled_by, **(properties or {})})
    fmt = _Formats(book)
    for result in results:
        write_table(book, fmt, result, problems if result.table.number == 1 else None)
    book.close()


def write_table1(table, problems, out):
    """附件1's workbook: its street rows, its 居委 rows and the 问题清单."""
    write_workbook([table], out, problems)


def problem_row(item):
    """The 问题清单 columns of one institution (domain.casework.institutions.Institution)."""
    name = item.name + (f"（电话 {'、'.join(item.phones)}）" if item.phones else "")
    return [name, item.nature, "、".join(item.identities), "；".join(item.contents), "、".join(item.products),
            "、".join(item.streets), item.units, from_fen(item.amount_fen), "、".join(item.sources),
            item.status, "、".join(item.departments)]


# --- CSV ----------------------------------------------------------------------------------------------------


def table_csv(result):
    """The table as CSV, laid out like its workbook: the title, 填报单位 and 统计日期, the headers (with a code
    column for scripts), the rows and the totals row; then the detail rows (附件1: one per 居委) the same way.
    UTF-8 with a BOM so that Excel reads the Chinese."""
    table = result.table
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    _csv_section(writer, result, result.title, table.code_header, table.label_headers, table.columns, result.rows)
    if table.details:
        writer.writerow([])
        _csv_section(writer, result, result.title + table.detail_title, table.detail_code_header,
                     table.detail_label_headers, table.detail_columns, result.details)
    return buffer.getvalue().encode("utf-8")


def _csv_section(writer, result, title, code_header, label_headers, columns, rows):
    code = [code_header] if code_header else []
    writer.writerow([title])
    writer.writerow([f"填报单位：{result.filled_by}", date_line(result.as_of)])
    writer.writerow(code + list(label_headers) + [c.header for c in columns])
    for row in rows:
        writer.writerow(([row.code] if code else []) + list(row.labels[-len(label_headers):])
                        + [csv_value(c, row.figures[c.field]) for c in columns])
    blanks = [""] * (len(code) + len(label_headers) - 1)
    writer.writerow(blanks + [TOTAL] + [csv_value(c, result.total[c.field]) for c in columns])


def table1_csv(table):
    return table_csv(table)
