"""The 通报 draft (design section 12): a Word document the district (or the city) edits before it is sent, drafted
from the ranking as of a day (domain.supervision.ranking).

The plan: 加强过程监督 … 对于工作弄虚作假、措施不力、进展缓慢的，要通报批评、督办整改. The draft has a title, the
period, the overall figures, the ranking of the streets (the city's: of the districts) and of the departments with
the best and the weakest named, and every confirmed problem: each quality signal a street reviewed as 确认问题 by the
day (which 居委 and account, what kind, when, how many records, the street's note). Signals nobody has confirmed are
evidence to check, not findings: they appear only as a count. Nothing about a person beyond the account's name,
which the street already sees on its signals, goes into the draft.
"""
import io
from dataclasses import dataclass

from docx.shared import Pt

from domain.common.clock import end_of_day
from domain.reporting.summary import draft_document
from domain.reporting.tabledef import stated_day
from domain.supervision.quality import KIND_LABELS
from domain.supervision.ranking import campaign_start, cell_text, ranking, ranking_rule
from models import Org, QualitySignal, User

TO_FILL = "（请填写）"
PLAN_WORDS = "对于工作弄虚作假、措施不力、进展缓慢的，要通报批评、督办整改"


@dataclass(frozen=True)
class Problem:
    """A confirmed problem as the 通报 names it."""

    street: str
    community: str
    account: str
    kind: str  # its words: 速度异常 …
    day: object
    count: int
    note: str

    @property
    def sentence(self):
        return (f"{self.street}{self.community}，账号“{self.account}”：{self.kind}（{stated_day(self.day)}，"
                f"涉及记录 {self.count} 条）。核实情况：{self.note or '（未写明）'}")


def confirmed_problems(as_of, place, since=None):
    """Every signal of the 居委 under `place` (an Org) filed from `since` (the campaign's first day) to `as_of` and
    reviewed 确认问题 by the end of that day, by street, 居委 and day."""
    community = Org.alias("community")
    street = Org.alias("street")
    query = (QualitySignal.select(QualitySignal, User, community, street)
             .join(User, on=(QualitySignal.user == User.id))
             .switch(QualitySignal).join(community, on=(QualitySignal.community == community.code))
             .join(street, on=(community.parent == street.code))
             .where((QualitySignal.verdict == "confirmed") & (QualitySignal.reviewed_at < end_of_day(as_of))
                    & (QualitySignal.day <= as_of))
             .order_by(street.code, community.code, QualitySignal.day, QualitySignal.id))
    if place.kind != "city":
        query = query.where(QualitySignal.community.in_(place.communities().select(Org.code)))
    if since is not None:
        query = query.where(QualitySignal.day >= since)
    return [Problem(street=s.community.parent.name, community=s.community.name, account=s.user.label,
                    kind=KIND_LABELS.get(s.kind, s.kind), day=s.day, count=s.count, note=s.note) for s in query]


def describe(row, level):
    """A row named with the figures that ranked it: 华阳路街道（覆盖率 92.0%，未走访 8 个，确认问题 0 条）."""
    f = row.figures
    if level.key == "department":
        days = "—" if f["median_days"] is None else f"{f['median_days']} 天"
        return f"{row.name}（逾期未办结 {f['overdue']} 件，办结中位天数 {days}）"
    return (f"{row.name}（覆盖率 {f['coverage']}%，未走访 {f['not_visited']} 个，确认问题 {f['signals_confirmed']} 条，"
            f"待核实信号 {f['signals_open']} 条）")


def best_and_weakest(result):
    """The sentence naming the best and the weakest rows of a ranking."""
    label = result.level.label
    if not result.rows:
        return f"没有参加排名的{label}。"
    best = "、".join(describe(r, result.level) for r in result.best)
    weakest = result.weakest
    if not weakest:
        return f"排名靠前的是{best}。" if len(result.rows) == 1 else f"各{label}考核数据相同，名次并列：{best}。"
    return (f"排名靠前的是{best}；排名靠后的是{'、'.join(describe(r, result.level) for r in weakest)}，"
            f"请查找原因、抓紧整改。")


def _ranking_table(doc, result):
    columns = result.columns
    table = doc.add_table(rows=1, cols=2 + len(columns))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["名次", result.level.label] + [c.header for c in columns]):
        cell.text = text
    for row in result.rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = str(row.rank), row.name
        for cell, column in zip(cells[2:], columns):
            cell.text = cell_text(column, row.figures)
    cells = table.add_row().cells
    cells[0].text, cells[1].text = "", "合计"
    for cell, column in zip(cells[2:], columns):
        cell.text = cell_text(column, result.total)
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)
    return table


def _overall(result, place):
    t = result.total
    rate = "尚无回访" if t["match_rate"] is None else f"一致率 {t['match_rate']}%"
    text = (f"截至{stated_day(result.as_of)}，{place.name}底数 {t['roster']} 个单位，覆盖率 {t['coverage']}%，"
            f"未走访 {t['not_visited']} 个；质量信号待核实 {t['signals_open']} 条，经核实确认问题 "
            f"{t['signals_confirmed']} 条；回访 {t['rechecked']} 户，{rate}")
    if "on_time" in t:
        text += "；尚无到期的报送节点" if t["on_time_rate"] is None else \
            f"；按时报送 {t['on_time']} 次，按时报送率 {t['on_time_rate']}%"
    return text + "。"


def draft_bulletin(as_of, place):
    """The .docx bytes of the 通报 draft of `place` (a district: its streets and departments; a city: its
    districts) as of the end of day `as_of`."""
    levels = ("street", "department") if place.kind == "district" else ("district",)
    results = [ranking(as_of, place, level) for level in levels]
    campaign = results[0].campaign
    name = campaign.name.removeprefix(place.name) if campaign else "专项整治"
    doc = draft_document(f"{place.name}关于{name}工作考核情况的通报",
                         "（草稿：排名和数字由排摸通按截至统计日的数据生成，请核对、修改后印发。）", margin_cm=2.0)
    starts = campaign_start(campaign, as_of)
    period = f"{stated_day(starts)}至{stated_day(as_of)}" if starts else f"截至{stated_day(as_of)}"
    doc.add_paragraph(f"考核期间：{period}（数据截至{stated_day(as_of)}24时）。")
    basis = f"根据{campaign.document}“{PLAN_WORDS}”的要求，" if campaign and campaign.document \
        else f"按照“{PLAN_WORDS}”的要求，"
    doc.add_paragraph(f"{basis}现将{place.name}专项整治工作考核情况通报如下。")

    numbers = iter(("一", "二", "三", "四", "五", "六"))
    doc.add_heading(f"{next(numbers)}、总体情况", level=1)
    doc.add_paragraph(_overall(results[0], place))
    for result in results:
        what = "办理情况" if result.level.key == "department" else "考核排名"
        doc.add_heading(f"{next(numbers)}、各{result.level.label}{what}", level=1)
        doc.add_paragraph(best_and_weakest(result))
        _ranking_table(doc, result)
        doc.add_paragraph(ranking_rule(result))

    doc.add_heading(f"{next(numbers)}、核实确认的问题", level=1)
    problems = confirmed_problems(as_of, place, starts)
    if problems:
        doc.add_paragraph("以下问题由街镇核实确认，属于需要整改的问题，请有关街镇督促所属居委逐项整改（质量信号是需要核实的"
                          "线索，未经核实确认的不列入本通报）：")
        for number, problem in enumerate(problems, 1):
            doc.add_paragraph(f"{number}. {problem.sentence}")
    else:
        doc.add_paragraph(f"截至{stated_day(as_of)}，没有经核实确认的问题。")

    doc.add_heading(f"{next(numbers)}、整改要求", level=1)
    doc.add_paragraph(f"请排名靠后的单位和存在上述问题的街镇对照通报逐项整改，于{TO_FILL}前将整改情况报送"
                      f"{place.name}安委会办公室。")
    doc.add_paragraph(TO_FILL)
    doc.add_paragraph("")
    doc.add_paragraph(f"{place.name}安委会办公室\n{stated_day(as_of)}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
