"""Statistics tables as data (style.md, "A table is data"; design section 6).

A table is one `Table`: its number and official name, who fills it in, its rows (and, for 附件1, a second
level of detail rows: the 居委), and its `Column`s, each with a JSON key, a Chinese header, a type and a
`source` that says how the figure is computed or entered. `compute(table, as_of, scope)` gives a
`TableResult`, and the JSON (`as_json`), the pages, the workbooks, the CSV, the frozen submissions and the
work summary all read that result and the columns of its definition, never a list of their own. A new
column is one entry in a table's `columns`.

Sources hand back contributions: (row key, detail key or None, value). A value is a number (summed over a
row, a detail row and the total) or a dict {item: weight} whose distinct items are summed (so that one
institution in two streets counts once in the total). Sources of one kind that read the same query (all of
附件1's per-unit columns, all entered columns) are collected together, in one query, through the context's
`once` cache. A `Derived` column is worked out from the other figures of its row after they are summed.
"""
import datetime
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from domain.common.money import from_fen
from models import Department, Org

COUNT, MONEY, PERCENT = "count", "money", "percent"


# --- definitions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # JSON key (design section 8)
    header: str  # Chinese header on screen, in the workbook and the CSV
    source: object  # a Source (below), or a tuple of them whose contributions add up
    type: str = COUNT  # COUNT (integer), MONEY (kept as integer fen, shown in yuan) or PERCENT
    detail: bool = True  # also shown on the detail rows (附件1's 居委 rows)
    width: int = 9  # workbook column width, in characters

    @property
    def field(self):
        """Where a row keeps this figure: money as integer fen under `<key>_fen`, anything else under `key`."""
        return f"{self.key}_fen" if self.type == MONEY else self.key

    @property
    def sources(self):
        return self.source if isinstance(self.source, tuple) else (self.source,)


@dataclass(frozen=True)
class Table:
    number: int
    name: str  # the official name, after the district's name: 消防培训情况排摸统计表
    filled_by: tuple  # the kinds of scope that fill it in: "street", "department" (the district sees all)
    label_headers: tuple  # the headers of the label columns of a row: ("街镇",)
    rows: object  # rows(scope) -> [Row]
    columns: tuple
    sheet: str  # the workbook sheet's name
    code_header: str = ""  # the CSV's code column ("街镇代码"); none when empty
    details: object = None  # details(rows) -> [Row] of the second level, or None
    detail_label_headers: tuple = ()
    detail_sheet: str = ""
    detail_title: str = ""  # after the table's title: （分居委）
    detail_code_header: str = ""
    json_label: object = None  # json_label(a JSON row) -> its label in words (default: its "name")
    label_widths: tuple = (16,)  # workbook widths of the label columns
    detail_label_widths: tuple = (14, 16)
    # A city's table has a row per district: city_key(row key, lifts) gives the city row a district's row adds to
    # (default: the district of a street or a department; see `Lifts`); `for_city` holds what else differs.
    city_key: object = None
    for_city: tuple = ()
    inputs: tuple = ()  # Columns its Derived columns read that it does not show (in no JSON, page or workbook)  # ((field, value), …) replaced in a city's table: its headers and sheets

    def for_scope(self, scope):
        """This table as it is laid out for `scope`: a city's with its own headers and sheets."""
        return replace(self, **dict(self.for_city)) if scope.kind == "city" and self.for_city else self

    def applies_to(self, scope):
        return scope.kind in ("district", "city") or scope.kind in self.filled_by

    def column(self, key):
        return next((c for c in self.columns if c.key == key), None)

    def with_column(self, column, after=None):
        """This table with one more column (at the end, or after the column `after`)."""
        columns = list(self.columns)
        at = len(columns) if after is None else [c.key for c in columns].index(after) + 1
        columns.insert(at, column)
        return replace(self, columns=tuple(columns))

    def label_of(self, json_row):
        """A JSON row's label in words, for the change view of submissions."""
        return self.json_label(json_row) if self.json_label else str(json_row.get("name", ""))

    @property
    def detail_columns(self):
        return tuple(c for c in self.columns if c.detail)


@dataclass
class Row:
    key: object  # what contributions name it by (a 街镇 code; (department, channel, product) …)
    labels: tuple  # what the label columns show
    identity: dict  # the JSON keys that name it, before the figures
    kind: str = ""  # "street" | "department" | "community" | ""
    code: str = ""  # for the CSV's code column
    parent: object = None  # a detail row's row key
    figures: dict = field(default_factory=dict)  # by Column.field

    def __getitem__(self, name):
        return self.identity[name] if name in self.identity else self.figures[name]

    @property
    def name(self):
        return self.labels[-1]


# --- who a table is for ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose tables: a whole city (an Org, design section 13), a whole district (an Org), one 街镇 (an Org) or one
    department (a Department)."""

    kind: str  # "city" | "district" | "street" | "department"
    org: object = None

    def __post_init__(self):
        if self.kind == "district" and self.org is None:  # the district of a deployment of one district
            object.__setattr__(self, "org", district_org())

    @property
    def code(self):
        return self.org.code if self.org is not None else ""

    @property
    def street(self):
        return self.org if self.kind == "street" else None

    @property
    def department(self):
        return self.org if self.kind == "department" else None

    @property
    def place(self):
        """The street or district whose problem list goes with the tables (None: the whole city)."""
        return self.org if self.kind in ("street", "district") else None

    def filled_by(self, district):
        """填报单位: 长宁区, 长宁区华阳路街道, or 长宁区消防救援支队 for 区消防救援支队 (a city's 徐汇区市场监管局 as it is)."""
        if self.kind == "street":
            return district.name + self.org.name
        if self.kind == "department":
            name = self.org.name
            return name if name.startswith(district.name) else district.name + name.removeprefix("区")
        return district.name

    def heading(self):
        """The org whose name heads the tables: the city's, or the district's of the scope."""
        if self.kind in ("city", "district"):
            return self.org
        if self.kind == "street":
            return self.org.parent
        return self.org.district

    @property
    def name(self):
        return self.org.name if self.org is not None else ""


def district_org():
    """The first district's Org; a nameless stand-in before an org tree is loaded."""
    return (Org.select().where(Org.kind == "district").order_by(Org.code).first()
            or Org(code="", name="", kind="district"))


def streets_in(scope):
    if scope.kind == "street":
        return [scope.org]
    if scope.kind in ("district", "city"):
        return list(scope.org.streets().order_by(Org.code))
    return []


def departments_in(scope):
    if scope.kind == "department":
        return [scope.org]
    if scope.kind == "district":
        return list(Department.select().where(Department.district == scope.org.code).order_by(Department.code))
    if scope.kind == "city":
        return list(Department.select().order_by(Department.code))
    return []


def districts_in(scope):
    if scope.kind == "city":
        return list(Org.select().where(Org.kind == "district").order_by(Org.code))
    return []


def district_rows(scope):
    """A city's rows: one per district."""
    return [Row(key=d.code, labels=(d.name,), identity={"code": d.code, "name": d.name, "kind": "district"},
                kind="district", code=d.code) for d in districts_in(scope)]


class Lifts:
    """What a city's table needs to add a district's rows up: the district of each street and department, and each
    department's plan code."""

    def __init__(self):
        self.district = dict(Org.select(Org.code, Org.parent).where(Org.kind == "street").tuples())
        self.plan = {}
        for code, district, plan in Department.select(Department.code, Department.district, Department.plan).tuples():
            self.district[code] = district
            self.plan[code] = plan or code


# --- sources ----------------------------------------------------------------------------------------------------


class Source:
    """How a column is computed. `collect(ctx, column)` returns [(row key, detail key or None, value)]."""

    distinct = False  # values are {item: weight} dicts, counted once across rows

    def collect(self, ctx, column):
        raise NotImplementedError


class Derived:
    """A figure worked out from the other figures of the same row: `compute(figures) -> value or None`."""

    def __init__(self, compute):
        self.compute = compute


def percent(part, whole):
    """part / whole as a percentage with one decimal (None when whole is 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class Context:
    """What sources see: the table, the day, the scope, the rows, and a cache for shared queries."""

    def __init__(self, table, as_of, scope, rows, details):
        self.table, self.as_of, self.scope, self.rows, self.details = table, as_of, scope, rows, details
        self._cache = {}

    def once(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def columns_with(self, source_type):
        """The columns of this table fed (at least partly) by sources of `source_type`."""
        return [c for c in self.table.columns if not isinstance(c.source, Derived)
                and any(isinstance(s, source_type) for s in c.sources)]


# --- computing a table ----------------------------------------------------------------------------------------


@dataclass
class TableResult:
    table: Table
    as_of: datetime.date
    scope: Scope
    district: object
    rows: list
    details: list
    total: dict

    @property
    def title(self):
        return self.district.name + self.table.name

    @property
    def filled_by(self):
        return self.scope.filled_by(self.district)

    @property
    def number(self):
        return self.table.number

    def as_json(self):
        """The JSON of design section 8: rows (their identity, then the figures in column order) and total."""
        return {"table": self.table.number, "as_of": self.as_of.isoformat(),
                "rows": [{**row.identity, **json_figures(self.table.columns, row.figures)} for row in self.rows],
                "total": json_figures(self.table.columns, self.total)}


def compute(table, as_of, scope):
    """`table` as of the end of day `as_of` for `scope`."""
    table = table.for_scope(scope)
    rows = table.rows(scope)
    details = table.details(rows) if table.details else []
    ctx = Context(table, as_of, scope, rows, details)
    lifts = Lifts() if scope.kind == "city" else None
    by_row = {row.key: row for row in rows}
    by_detail = {(d.parent, d.key): d for d in details}
    total = {}
    for column in table.columns + table.inputs:
        if isinstance(column.source, Derived):
            continue
        distinct = any(s.distinct for s in column.sources)
        empty = dict if distinct else int
        field = column.field  # a city's table adds hundreds of thousands of contributions: no lookups in the loop
        for row in rows:
            row.figures[field] = empty()
        for detail in details:
            detail.figures[field] = empty()
        total[field] = empty()
        for source in column.sources:
            for row_key, detail_key, value in source.collect(ctx, column):
                if lifts is not None:  # a district's row adds to its city row; it is a detail row of the city's
                    row_key, detail_key = (table.city_key(row_key, lifts) if table.city_key
                                           else lifts.district.get(row_key)), row_key
                row = by_row.get(row_key)
                if row is None:
                    continue  # outside the table's scope
                detail = by_detail.get((row_key, detail_key))
                if distinct:
                    row.figures[field].update(value)
                    total[field].update(value)
                    if detail is not None:
                        detail.figures[field].update(value)
                else:
                    row.figures[field] += value
                    total[field] += value
                    if detail is not None:
                        detail.figures[field] += value
        if distinct:
            for figures in [r.figures for r in rows] + [d.figures for d in details] + [total]:
                figures[column.field] = sum(figures[column.field].values())
    for column in table.columns:
        if isinstance(column.source, Derived):
            for figures in [r.figures for r in rows] + [d.figures for d in details] + [total]:
                figures[column.field] = column.source.compute(figures)
    return TableResult(table=table, as_of=as_of, scope=scope, district=scope.heading() or district_org(), rows=rows,
                       details=details, total=total)


# --- showing a figure -------------------------------------------------------------------------------------------


def json_value(column, value):
    """Counts as integers, money as a decimal string with two places, percentages as a string with one."""
    if column.type == MONEY:
        return str(from_fen(value))
    if column.type == PERCENT:
        return None if value is None else str(value)
    return int(value)


def json_figures(columns, figures):
    return {c.key: json_value(c, figures[c.field]) for c in columns}


def text_value(column, value):
    """A figure as a page shows it: 1,234.00 for money, 12.5 for a percentage ("—" when there is none)."""
    if column.type == MONEY:
        return f"{from_fen(value):,.2f}"
    if column.type == PERCENT:
        return "—" if value is None else str(value)
    return str(int(value))


def csv_value(column, value):
    if column.type == MONEY:
        return str(from_fen(value))
    if column.type == PERCENT:
        return "" if value is None else str(value)
    return str(int(value))


def number_value(column, value):
    """A figure as the workbook stores it: a number (None: an empty cell)."""
    if column.type == MONEY:
        return float(from_fen(value))
    if column.type == PERCENT:
        return None if value is None else float(value)
    return int(value)


def stated_day(day):
    return f"{day.year}年{day.month}月{day.day}日"
