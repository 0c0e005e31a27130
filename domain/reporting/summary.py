"""The work summary (工作总结, design section 10) drafted as a Word document from the figures.

For a street, a department or the district: the figures of each phase of the campaign, read from the three
tables (every column of each table that applies, as of the last day of the phase, with what the phase added),
the problem list's size and outcomes, and the plan's three headings to fill in: 工作成效, 典型做法, 存在不足.
"""
import io
from collections import Counter

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from domain.casework import institutions
from domain.reporting import campaign_tables
from domain.reporting.campaign import phases
from domain.reporting.tabledef import MONEY, PERCENT, compute, district_org, stated_day, text_value

HEADINGS_TO_FILL = ("工作成效", "典型做法", "存在不足")
TO_FILL = "（请填写）"
FONT = "宋体"


def _font(style, size=None):
    style.font.name = FONT
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    if size:
        style.font.size = Pt(size)


def draft_document(title, caveat, margin_cm=2.2):
    """A Word draft in the house style (宋体, a title, then a line saying it is a draft and what to check): the
    工作总结 here and the 通报 (domain.supervision.bulletin)."""
    doc = Document()
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(margin_cm)
    _font(doc.styles["Normal"], 11)
    for level in (1, 2):
        _font(doc.styles[f"Heading {level}"])
    doc.add_heading(title, level=0)
    _font(doc.styles["Title"], 18)
    doc.add_paragraph(caveat)
    return doc


def _figure(column, value, before):
    """A cumulative figure, with what the phase added when there is an earlier one to compare with."""
    text = text_value(column, value)
    if before is None or column.type == PERCENT or value is None:
        return text
    added = value - before
    return f"{text}（+{text_value(column, added)}）" if added > 0 else text


def phase_days(campaign, as_of):
    """[(phase, the day its figures are taken: its last day, or `as_of` while it runs)] of the phases begun."""
    return [(p, min(p.ends, as_of)) for p in phases(campaign) if p.starts <= as_of]


def draft_summary(scope, campaign, as_of):
    """The .docx bytes of the summary draft for `scope` (domain.reporting.tabledef.Scope), with figures up to `as_of`."""
    district = district_org()
    filled_by = scope.filled_by(district)
    name = campaign.name.removeprefix(district.name) if campaign else "专项整治"
    doc = draft_document(f"{filled_by}{name}工作总结", "（草稿：数字由排摸通按截至各阶段末的统计表生成，请核对后补充文字部分。）")
    basis = f"根据{campaign.document}，" if campaign and campaign.document else ""
    doc.add_paragraph(f"{basis}现将{filled_by}专项整治工作情况总结如下。数据截至{stated_day(as_of)}24时。")

    doc.add_heading("一、各阶段工作数据", level=1)
    days = phase_days(campaign, as_of) if campaign else []
    if not days:
        days = [(None, as_of)]
    for definition in campaign_tables.tables_for(scope):
        results = [compute(definition, day, scope) for _, day in days]
        doc.add_heading(f"附件{definition.number} {district.name}{definition.name}", level=2)
        table = doc.add_table(rows=1, cols=1 + len(days))
        table.style = "Table Grid"
        header = table.rows[0].cells
        header[0].text = "项目"
        for cell, (phase, day) in zip(header[1:], days):
            cell.text = (f"{phase.name}阶段" if phase else "累计") + f"\n截至{day.month}月{day.day}日"
        for column in definition.columns:
            cells = table.add_row().cells
            unit = "（元）" if column.type == MONEY and "元" not in column.header else ""
            cells[0].text = column.header + unit
            before = None
            for cell, result in zip(cells[1:], results):
                value = result.total[column.field]
                cell.text = _figure(column, value, before)
                before = value
        doc.add_paragraph("括号内为该阶段新增。")

    doc.add_heading("二、问题清单", level=1)
    doc.add_paragraph(problem_summary(scope, as_of))

    for number, heading in zip(("三", "四", "五"), HEADINGS_TO_FILL):
        doc.add_heading(f"{number}、{heading}", level=1)
        doc.add_paragraph(TO_FILL)

    doc.add_paragraph("")
    doc.add_paragraph(f"{filled_by}\n{stated_day(as_of)}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def problem_summary(scope, as_of):
    """The problem list in a sentence: how many institutions, how they stand, to which departments."""
    found = institutions.problem_list(as_of, scope.place)
    if scope.kind == "department":
        found = [i for i in found if scope.org.name in i.departments]
    if not found:
        return f"截至{stated_day(as_of)}，问题清单中没有机构。"
    statuses = Counter(i.status for i in found)
    departments = Counter(d for i in found for d in i.departments)
    units = sum(i.units for i in found)
    suspect = sum(1 for i in found if i.suspect)
    text = (f"截至{stated_day(as_of)}，问题清单共有机构 {len(found)} 个（疑似冒牌培训机构 {suspect} 个，"
            f"待核实 {len(found) - suspect} 个），涉及单位 {units} 个；处置情况："
            + "，".join(f"{label} {count} 个" for label, count in statuses.most_common()) + "。")
    if departments:
        text += "移交部门：" + "，".join(f"{name} {count} 个" for name, count in departments.most_common()) + "。"
    return text

