"""The 未走访清单 of a 居委 (design section 11): its units on the roster as of a day with no record by then, by
building and address — the list a worker takes on the round, as JSON and as a printable workbook."""
import io
import re

import xlsxwriter
from peewee import JOIN, SQL, fn

from domain.common.clock import end_of_day
from domain.common.codes import UNIT_TYPES
from models import Building, RosterSpan, Survey, Unit


def on_roster(as_of):
    """The roster spans that hold on day D: added on or before it, not retired on or before it."""
    return (RosterSpan.added_on <= as_of) & (RosterSpan.retired_on.is_null() | (RosterSpan.retired_on > as_of))


def natural(text):
    """Sort key that puts 3号201室 before 3号1001室 and 2号 before 10号."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text or "")]


def not_visited(community, as_of):
    """[{"building", "address", "type", "name"}] of the 居委's roster as of D not visited by the end of D."""
    visited = Survey.select(SQL("1")).where((Survey.unit == Unit.id) & (Survey.visited_at < end_of_day(as_of)))
    rows = (RosterSpan.select(Building.name, Unit.address, Unit.type, Unit.name)
            .join(Unit, on=(RosterSpan.unit == Unit.id))
            .join(Building, JOIN.LEFT_OUTER, on=(Unit.building == Building.id))
            .where((RosterSpan.community == community) & on_roster(as_of) & ~fn.EXISTS(visited)).tuples())
    found = [{"building": building or "", "address": address, "type": unit_type, "name": name}
             for building, address, unit_type, name in rows]
    return sorted(found, key=lambda u: (natural(u["building"]), natural(u["address"])))


def not_visited_workbook(community_name, as_of, units):
    """The list as an A4 workbook to print: a title, then 序号, 楼栋, 地址, 类型, 名称 and a blank 走访情况 column
    for the worker's pen; the header row repeats on every page."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("未走访清单")
    title = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#EEEEEE"})
    cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    sheet.write(0, 0, f"{community_name} 未走访清单（截至 {as_of.year}年{as_of.month}月{as_of.day}日，共 {len(units)} 户/家）",
                title)
    headers = ("序号", "楼栋", "地址", "单位类型", "名称", "走访情况")
    for column, (header, width) in enumerate(zip(headers, (6, 16, 30, 10, 16, 18))):
        sheet.write(1, column, header, head)
        sheet.set_column(column, column, width)
    for number, unit in enumerate(units, 1):
        sheet.write_row(number + 1, 0, (number, unit["building"], unit["address"], UNIT_TYPES.get(unit["type"], ""),
                                        unit["name"], ""), cell)
    sheet.repeat_rows(1)
    sheet.freeze_panes(2, 0)
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    book.close()
    return out.getvalue()
