"""考核排名 (design section 12): per street for a district, per 居委 for a street, per department, and per district for
the city, as of a day D, read from the state Paimo keeps; the one definition of its columns that the JSON, the page,
the workbook and the 通报 draft (domain.supervision.bulletin) all read.

Every figure is an aggregate over kept state, never a pass over the records:
- 底数, 覆盖率, 未走访: the roster's coverage (domain.roster.coverage), summed from the figures kept per 居委 and day;
- 待核实信号, 确认问题: QualitySignal rows filed by D, grouped by 居委. A signal is open as of D when nobody had reviewed it
  by the end of D (and its records still raise it); it is a confirmed problem once reviewed 确认问题 by then;
- 已回访, 回访一致率: Recheck rows checked by the end of D (of samples drawn as of D or before), grouped by 居委:
  一致 ÷ (一致 + 不一致); 未联系上 counts in neither;
- 按时报送: per street or department, the deadlines of kind tables of the campaign running on D (domain.reporting.campaign)
  due by D that a submission answered within its window (after the previous deadline, by the end of its day: the
  windows of domain.reporting.submissions.board); a district's row counts those of its streets and departments;
- a department's referrals (domain.casework.referrals.states as of D): overdue = not ended and due before D; the
  median of the days from a referral to the step that ended it (已查处, 已移送公安, 不属实, 退回).
Signals, 回访 and referrals count from the first day of the campaign running on D (design section 14; the quality page
does the same), everything up to D before any campaign began.

The ranking order (PLACE_ORDER, DEPARTMENT_ORDER) is stated with the ranking, so that a person reading it knows how it was made:
places by 覆盖率 (high first), then fewer confirmed problems, fewer open signals, a higher 回访一致率, a higher
按时报送率; departments by fewer overdue referrals, fewer days to end one, a higher 按时报送率. Rows equal on
every one of those share a rank. A figure that has no base (no 回访 yet, no deadline yet) is "—" and ranks last.
"""
import datetime
import statistics
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import xlsxwriter
from peewee import SQL, Case as SqlCase, NodeList

from domain.casework import referrals
from domain.common.clock import end_of_day
from domain.reporting.campaign import current_campaign, deadlines
from domain.reporting.tabledef import (
    COUNT, PERCENT, Column, json_figures, number_value, percent, stated_day, text_value,
)
from domain.reporting.tables import count_if, coverage_percent
from domain.reporting.workbook import A4, TOTAL, date_line, row_height
from domain.roster.coverage import coverage
from domain.supervision import quality
from models import REFERRAL_ENDED, CaseEvent, Department, Org, QualitySignal, Recheck, Submission, fn

ASC, DESC = "asc", "desc"
# A figure with one decimal, None without a base: tabledef's PERCENT shows, stores and writes it (median days too).
ONE_DECIMAL = PERCENT

# --- the columns: one definition for the JSON, the page, the workbook and the 通报 ---------------------------------

SUBMISSION_COLUMNS = (
    Column("on_time", "按时报送（次）", None),
    Column("on_time_rate", "按时报送率（%）", None, type=PERCENT),
)
PLACE_COLUMNS = (
    Column("roster", "底数", None),
    Column("coverage", "覆盖率（%）", None, type=PERCENT),
    Column("not_visited", "未走访", None),
    Column("signals_open", "待核实信号", None),
    Column("signals_confirmed", "确认问题", None),
    Column("rechecked", "已回访", None),
    Column("match_rate", "回访一致率（%）", None, type=PERCENT),
)
DEPARTMENT_COLUMNS = (
    Column("referrals", "移交案件", None),
    Column("open", "办理中", None),
    Column("overdue", "逾期未办结", None),
    Column("ended", "已办结", None),
    Column("returned", "其中退回", None),
    Column("median_days", "办结中位天数", None, type=ONE_DECIMAL, width=10),
)

PLACE_ORDER = (("coverage", DESC), ("signals_confirmed", ASC), ("signals_open", ASC), ("match_rate", DESC),
               ("on_time_rate", DESC))
DEPARTMENT_ORDER = (("overdue", ASC), ("median_days", ASC), ("on_time_rate", DESC))


@dataclass(frozen=True)
class Level:
    """What a ranking's rows are: districts, streets, 居委 or departments, with their columns and order."""

    key: str
    label: str  # 街镇
    columns: tuple
    order: tuple  # ((column key, ASC | DESC), …): the ranking order, first key first

    def column(self, key):
        return next((c for c in self.columns if c.key == key), None)

    @property
    def order_words(self):
        """The ranking order in words, for the page, the workbook and the 通报."""
        words = []
        for key, direction in self.order:
            header = self.column(key).header.split("（")[0]
            words.append(f"{header}{'从高到低' if direction == DESC else '从低到高'}")
        return "依次按" + "、".join(words)


LEVELS = {
    "district": Level("district", "区", PLACE_COLUMNS + SUBMISSION_COLUMNS, PLACE_ORDER),
    "street": Level("street", "街镇", PLACE_COLUMNS + SUBMISSION_COLUMNS, PLACE_ORDER),
    "community": Level("community", "居委", PLACE_COLUMNS, PLACE_ORDER[:-1]),  # a 居委 submits nothing
    "department": Level("department", "部门", DEPARTMENT_COLUMNS + SUBMISSION_COLUMNS, DEPARTMENT_ORDER),
}
# Which rows a place ranks, the first being its default: the city ranks its districts (and their streets and
# departments: a city's 5,025 居委 are ranked within a district or a street), a district its streets, 居委 and
# departments, a street its 居委.
LEVELS_OF = {"city": ("district", "street", "department"), "district": ("street", "community", "department"),
             "street": ("community",)}
SORTS = ("rank", "name")  # besides the columns: the ranking order, and the places' statistical order


def levels_of(place):
    return LEVELS_OF.get(place.kind, ())


# --- the result -------------------------------------------------------------------------------------------------


@dataclass
class RankedRow:
    code: str
    name: str
    figures: dict = field(default_factory=dict)  # by Column.field
    rank: int = 0


@dataclass
class Ranking:
    level: Level
    as_of: datetime.date
    place: object  # the Org whose rows these are: a city, a district or a street
    rows: list  # in the ranking order
    total: dict
    deadlines_due: int  # deadlines of kind tables of the campaign, due by as_of (per street or department)
    campaign: object = None

    @property
    def columns(self):
        return self.level.columns

    @property
    def title(self):
        return f"{place_name(self.place)}考核排名（{self.level.label}）"

    @property
    def best(self):
        """The rows ranked first (several when they tie)."""
        return [r for r in self.rows if r.rank == 1] if self.rows else []

    @property
    def weakest(self):
        """The rows ranked last, when they are not also the first (one row, or all tied: nobody is weakest)."""
        if not self.rows or self.rows[-1].rank == 1:
            return []
        return [r for r in self.rows if r.rank == self.rows[-1].rank]

    def as_json(self):
        """design section 8: `GET /api/v1/ranking` — each row's rank, code, name and figures in column order."""
        return {
            "as_of": self.as_of.isoformat(), "level": self.level.key,
            "place": {"code": self.place.code, "name": self.place.name, "kind": self.place.kind},
            "order": [{"key": key, "direction": direction} for key, direction in self.level.order],
            "deadlines_due": self.deadlines_due,
            "rows": [{"rank": r.rank, "code": r.code, "name": r.name, **json_figures(self.columns, r.figures)}
                     for r in self.rows],
            "total": json_figures(self.columns, self.total),
        }

    def sorted_rows(self, sort="rank", direction=None):
        """The rows sorted by a column (or "rank", "name"), `direction` ASC or DESC (default: the column's better
        end first, as the ranking reads it); a figure without a base last either way; ties in ranking order."""
        column = self.level.column(sort)
        if column is None:  # "rank" (or a key this level has not), or "name": the statistical codes' order
            found = sorted(self.rows, key=lambda r: r.code) if sort == "name" else list(self.rows)
            return found[::-1] if direction == DESC else found
        direction = direction or default_direction(self.level, sort)
        with_value = [r for r in self.rows if r.figures[column.field] is not None]
        without = [r for r in self.rows if r.figures[column.field] is None]
        with_value.sort(key=lambda r: (r.figures[column.field], -r.rank) if direction == DESC
                        else (r.figures[column.field], r.rank), reverse=direction == DESC)
        return with_value + without


def default_direction(level, key):
    """The direction a column sorts in when none is asked: rank and name from the top, a ranked figure as the ranking
    reads it (覆盖率 high first, 确认问题 few first), any other the largest first."""
    if key in SORTS:
        return ASC
    return dict(level.order).get(key, DESC)


def place_name(place):
    """长宁区, 长宁区华阳路街道, 上海市."""
    if place.kind == "street" and place.parent is not None:
        return place.parent.name + place.name
    return place.name


# --- computing it -------------------------------------------------------------------------------------------


def ranking(as_of, place, level=None):
    """The ranking as of the end of day `as_of` of the rows of `level` (a key of LEVELS, among levels_of(place);
    default: the place's first) under `place` (an Org: a city, a district or a street)."""
    level = LEVELS[level or levels_of(place)[0]]
    if level.key not in levels_of(place):
        raise ValueError(f"{place.kind} ranks no {level.key}")
    quality.settle()  # the signals as the records say now
    campaign = current_campaign(as_of)
    since = campaign_start(campaign, as_of)
    ends, due = deadline_windows(campaign, as_of)
    if level.key == "department":
        rows, durations = _department_rows(as_of, place, since)
    else:
        rows, durations = _place_rows(as_of, place, level.key, since), {}
    if "on_time" in [c.key for c in level.columns]:
        _add_submissions(rows, level.key, place, ends, due)
    total = {}
    for row in rows.values():
        for name, value in row.figures.items():
            total[name] = total.get(name, 0) + value
    for figures, days in [(r.figures, durations.get(code, [])) for code, r in rows.items()] + \
            [(total, [d for days in durations.values() for d in days])]:
        _derive(level, figures, days)
    ordered = rank(level, list(rows.values()))
    return Ranking(level=level, as_of=as_of, place=place, rows=ordered, total=total, deadlines_due=due,
                   campaign=campaign)


def _derive(level, figures, days):
    """The figures worked out from the counts of a row (or of the total): rates, the median."""
    keys = [c.key for c in level.columns]
    if "coverage" in keys:
        figures["coverage"] = coverage_percent(figures.get("surveyed", 0), figures.get("roster", 0))
        figures["rechecked"] = figures.get("matched", 0) + figures.get("mismatched", 0)
        figures["match_rate"] = percent(figures.get("matched", 0), figures["rechecked"])
    if "median_days" in keys:
        figures["median_days"] = one_decimal(statistics.median(days)) if days else None
    if "on_time" in keys:
        figures.setdefault("on_time", 0)
        figures["on_time_rate"] = percent(figures.get("on_time", 0), figures.get("due", 0))
    for column in level.columns:
        figures.setdefault(column.field, 0 if column.type == COUNT else None)


def one_decimal(value):
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def rank_key(level, row):
    """The row's place in the ranking order: a figure without a base after every figure."""
    key = []
    for name, direction in level.order:
        value = row.figures[name]
        key.append((1, 0) if value is None else (0, -value if direction == DESC else value))
    return tuple(key)


def rank(level, rows):
    """The rows in the ranking order, each given its rank (rows equal on every ranked figure share one: 1, 1, 3)."""
    rows.sort(key=lambda r: (rank_key(level, r), r.code))
    previous = None
    for position, row in enumerate(rows, 1):
        key = rank_key(level, row)
        row.rank = previous[1] if previous and previous[0] == key else position
        previous = (key, row.rank)
    return rows


# --- places: districts, streets, 居委 ---------------------------------------------------------------------------


def campaign_start(campaign, as_of):
    """The first day that counts as of `as_of`: the campaign's (design section 14: signals, 回访 and referrals count
    within the campaign running on D), or None before any campaign began (everything up to D)."""
    return campaign.starts if campaign is not None and campaign.starts <= as_of else None


def _place_rows(as_of, place, level, since):
    """{code: RankedRow} of the districts, streets or 居委 under `place` with their counts (derived figures aside)."""
    streets = list(place.streets().select(Org.code, Org.name, Org.parent).order_by(Org.code))
    district_of = {s.code: s.parent_id for s in streets}
    if level == "district":
        orgs = list(Org.select(Org.code, Org.name).where((Org.kind == "district") & (Org.parent == place.code))
                    .order_by(Org.code))
        rows = {o.code: RankedRow(o.code, o.name) for o in orgs}
    elif level == "street":
        rows = {s.code: RankedRow(s.code, s.name) for s in streets}
    else:
        rows = {c.code: RankedRow(c.code, c.name)
                for c in place.communities().select(Org.code, Org.name).order_by(Org.code)}
    counts = ("roster", "surveyed", "not_visited", "signals_open", "signals_confirmed", "matched", "mismatched")
    for row in rows.values():
        row.figures.update(dict.fromkeys(counts, 0))

    street_of = {}
    for street in coverage(as_of, [s.code for s in streets])["rows"]:
        for community in street["communities"]:
            street_of[community["code"]] = street["code"]
            _add(rows, _row_key(level, community["code"], street["code"], district_of),
                 {name: community[name] for name in ("roster", "surveyed", "not_visited")})
    for community, figures in _signals(as_of, place, since).items():
        if community in street_of:
            _add(rows, _row_key(level, community, street_of[community], district_of), figures)
    for community, figures in _rechecks(as_of, place, since).items():
        if community in street_of:
            _add(rows, _row_key(level, community, street_of[community], district_of), figures)
    return rows


def _row_key(level, community, street, district_of):
    return community if level == "community" else (street if level == "street" else district_of.get(street))


def _add(rows, key, figures):
    row = rows.get(key)
    if row is not None:
        for name, value in figures.items():
            row.figures[name] = row.figures.get(name, 0) + int(value or 0)


def _communities(place):
    """A query of the codes of the 居委 under `place` (None for a city: all of them)."""
    return None if place.kind == "city" else place.communities().select(Org.code)


def _signals(as_of, place, since):
    """{居委: {"signals_open", "signals_confirmed"}} of the signals filed from `since` to `as_of`, as they stood at the
    end of `as_of`: one aggregate over the kept signals."""
    eod = end_of_day(as_of)
    reviewed_after = QualitySignal.reviewed_at.is_null(False) & (QualitySignal.reviewed_at >= eod)
    open_then = (QualitySignal.verdict.is_null() & (QualitySignal.holds == True)) | reviewed_after  # noqa: E712
    confirmed_then = (QualitySignal.verdict == "confirmed") & (QualitySignal.reviewed_at < eod)
    query = (QualitySignal.select(QualitySignal.community, count_if(open_then), count_if(confirmed_then))
             .where(QualitySignal.day <= as_of).group_by(QualitySignal.community))
    communities = _communities(place)
    if communities is not None:
        query = query.where(QualitySignal.community.in_(communities))
    if since is not None:
        query = query.where(QualitySignal.day >= since)
    return {code: {"signals_open": opened, "signals_confirmed": confirmed}
            for code, opened, confirmed in query.tuples()}


def _distinct_records(condition):
    return fn.COUNT(NodeList((SQL("DISTINCT"), SqlCase(None, [(condition, Recheck.survey)], None))))


def _rechecks(as_of, place, since):
    """{居委: {"matched", "mismatched"}}: 回访 recorded from `since` to the end of `as_of`, of samples drawn as of then
    or before."""
    # A record in two samples (drawn as of two days) is one 回访: each record counts once (rechecks.figures).
    query = (Recheck.select(Recheck.community,
                            _distinct_records(Recheck.result == "match"),
                            _distinct_records(Recheck.result == "mismatch"))
             .where((Recheck.checked_at < end_of_day(as_of)) & (Recheck.as_of <= as_of)
                    & Recheck.result.in_(("match", "mismatch")))
             .group_by(Recheck.community))
    communities = _communities(place)
    if communities is not None:
        query = query.where(Recheck.community.in_(communities))
    if since is not None:
        query = query.where(Recheck.checked_at >= datetime.datetime.combine(since, datetime.time()))
    return {code: {"matched": matched, "mismatched": mismatched} for code, matched, mismatched in query.tuples()}


# --- departments -------------------------------------------------------------------------------------------------


def departments_of(place):
    if place.kind == "city":
        return Department.select().order_by(Department.code)
    return Department.select().where(Department.district == place.code).order_by(Department.code)


def _department_rows(as_of, place, since):
    """({code: RankedRow}, {code: [days from each ended referral to its end]}) of the departments of `place`, over
    the referrals made from `since` to the end of `as_of`."""
    rows = {d.code: RankedRow(d.code, d.name) for d in departments_of(place)}
    for row in rows.values():
        row.figures.update(referrals=0, open=0, overdue=0, ended=0, returned=0)
    start = datetime.datetime.combine(since, datetime.time()) if since else None
    mine = [s for s in referrals.states(as_of) if s.department in rows and (start is None or s.referred_at >= start)]
    ended_at = _ended_at(as_of, [s.id for s in mine if s.ended])
    durations = {}
    for state in mine:
        figures = rows[state.department].figures
        figures["referrals"] += 1
        if state.ended:
            figures["ended"] += 1
            figures["returned"] += state.status == "returned"
            at = ended_at.get(state.id)
            if at is not None:
                seconds = Decimal(int((at - state.referred_at).total_seconds()))
                durations.setdefault(state.department, []).append(seconds / 86400)
        else:
            figures["open"] += 1
            figures["overdue"] += state.overdue(as_of)
    return rows, durations


def _ended_at(as_of, referral_ids):
    """{referral id: the moment of the step that ended it}, by the end of `as_of` (one aggregate per 500)."""
    found = {}
    for start in range(0, len(referral_ids), 500):
        found.update(CaseEvent.select(CaseEvent.referral, fn.MAX(CaseEvent.at))
                     .where(CaseEvent.referral.in_(referral_ids[start:start + 500])
                            & CaseEvent.action.in_(REFERRAL_ENDED) & (CaseEvent.at < end_of_day(as_of)))
                     .group_by(CaseEvent.referral).tuples())
    return found


# --- submissions on time -----------------------------------------------------------------------------------------


def deadline_windows(campaign, as_of):
    """([the end of each tables deadline's day, in order], how many of them are due by `as_of`)."""
    found = deadlines(campaign, "tables")
    return [end_of_day(d.due) for d in found], sum(1 for d in found if d.due <= as_of)


def on_time(ends, due):
    """{street or department code: deadlines due by D that one of its submissions answered within its window}."""
    if not due:
        return {}
    answered = {}
    for street, department, submitted_at in (Submission.select(Submission.street, Submission.department,
                                                               Submission.submitted_at)
                                             .where(Submission.submitted_at < ends[due - 1]).tuples()):
        window = bisect_right(ends, submitted_at)  # the first deadline whose day ends after it
        if window < due:
            answered.setdefault(street or department, set()).add(window)
    return {code: len(windows) for code, windows in answered.items()}


def _add_submissions(rows, level, place, ends, due):
    """Each row's submissions on time and due: a street's or department's own, a district's its streets' and
    departments'."""
    counts = on_time(ends, due)
    if level == "district":
        submitters = {}
        for code, district in Org.select(Org.code, Org.parent).where(Org.kind == "street").tuples():
            submitters.setdefault(district, []).append(code)
        for code, district in Department.select(Department.code, Department.district).tuples():
            submitters.setdefault(district, []).append(code)
    else:
        submitters = {code: [code] for code in rows}
    for code, row in rows.items():
        mine = submitters.get(code, [])
        row.figures["on_time"] = sum(counts.get(c, 0) for c in mine)
        row.figures["due"] = due * len(mine)


# --- the workbook ----------------------------------------------------------------------------------------------


def write_workbook(result, out, rows=None):
    """The ranking as a workbook (`rows`: in the order shown, default the ranking's): the title, 填报单位 and 统计日期,
    名次 and the name, one number per column, the totals row; numbers as numbers, A4 landscape, one page wide."""
    rows = result.rows if rows is None else rows
    columns = result.columns
    headers = ["名次", result.level.label] + [c.header for c in columns]
    widths = [6, 18] + [c.width for c in columns]
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False, "strings_to_numbers": False})
    book.set_properties({"title": result.title, "company": place_name(result.place)})
    border = {"border": 1, "valign": "vcenter", "font_size": 10}
    title = book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    meta = book.add_format({"font_size": 10, "valign": "vcenter"})
    header = book.add_format({**border, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#E7ECF3"})
    text = book.add_format({**border, "text_wrap": True})
    total_text = book.add_format({**border, "bold": True, "align": "center", "bg_color": "#F6F7F9"})
    formats = {(total, kind): book.add_format({**border, **({"bold": True, "bg_color": "#F6F7F9"} if total else {}),
                                               "num_format": "0.0" if kind == PERCENT else "0"})
               for total in (False, True) for kind in (COUNT, PERCENT)}
    sheet = book.add_worksheet(f"考核排名（{result.level.label}）")
    last = len(headers) - 1
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0, 3)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.set_row(0, 30)
    sheet.merge_range(0, 0, 0, last, result.title, title)
    split = max(1, len(headers) // 2)
    sheet.merge_range(1, 0, 1, split - 1, f"填报单位：{place_name(result.place)}", meta)
    sheet.merge_range(1, split, 1, last, date_line(result.as_of), meta)
    sheet.merge_range(2, 0, 2, last, "排名规则：" + ranking_rule(result), meta)
    sheet.set_row(3, row_height(list(zip(headers, widths))) or 18)
    for col, name in enumerate(headers):
        sheet.write_string(3, col, name, header)
    sheet.freeze_panes(4, 2)
    at = 4
    for row in rows:
        sheet.write_number(at, 0, row.rank, formats[(False, COUNT)])
        sheet.write_string(at, 1, row.name, text)
        _numbers(sheet, formats, at, columns, row.figures, False)
        at += 1
    sheet.merge_range(at, 0, at, 1, TOTAL, total_text)
    _numbers(sheet, formats, at, columns, result.total, True)
    book.close()


def _numbers(sheet, formats, at, columns, figures, total):
    for offset, column in enumerate(columns):
        value = number_value(column, figures[column.field])
        cell = formats[(total, PERCENT if column.type == PERCENT else COUNT)]
        if value is None:
            sheet.write_blank(at, 2 + offset, None, cell)
        else:
            sheet.write_number(at, 2 + offset, value, cell)


def ranking_rule(result):
    """How the rows were ranked, in words (the page, the workbook and the 通报 say the same)."""
    keys = [c.key for c in result.columns]
    without = (["尚无办结的移交"] if "median_days" in keys else ["尚无回访"]) + (["尚无到期的报送节点"] if "on_time" in keys else [])
    due = f"按时报送：截至{stated_day(result.as_of)}已到期的报送节点 {result.deadlines_due} 个。" if "on_time" in keys else ""
    return (f"名次{result.level.order_words}排列，各项相同的名次并列；没有基数的数字（{'、'.join(without)}）记为“—”，"
            f"排在最后。{due}")


def cell_text(column, figures):
    return text_value(column, figures[column.field])
