"""Importing a street's roster (底数清单, design section 11): rows checked and compared with the roster as it is (the
preview), then applied in one transaction or not at all.

An import replaces the roster of each 居委 that appears in it: units in the file and not on the roster are added
(a unit found at the door before, or dropped once, comes back as the same unit), units on the roster and not in the
file are retired from the day of the import, units whose type, name or building changed are updated. Importing the
same file twice changes nothing. The rows come from a spreadsheet (domain.roster.files), the API or the command line
alike: (row number, 居委代码, 居委 name, 地址, 单位类型, 名称, 楼栋).
"""
import datetime
import re
from dataclasses import dataclass, field

from peewee import JOIN, SQL, fn

from domain.common.codes import UNIT_TYPES
from domain.common.fields import Items, OrgCode, Shape, Text
from domain.common.normalise import address_key
from domain.org.permissions import community_codes
from domain.survey import unit_state
from domain.survey.units import off_roster  # the one definition of 清单外
from models import Building, Org, RosterSpan, Survey, Unit, audit, db, is_sqlite, now_local

FIELD_LABELS = {"community": "居委", "address": "地址", "type": "单位类型", "name": "名称", "building": "楼栋"}
MAX_ROWS = 200_000  # a district's roster in one file; the deployment may set ROSTER_MAX_ROWS

# POST /api/v1/roster (design section 8): what is wrong in a row (an unknown 居委, an empty address) is answered
# per row by `plan`; the shape only checks that each value is text of a sensible length.
ROSTER_ROW = Shape("RosterRowInput", {
    "community": OrgCode(description="a 居委 code, or its name within the caller's street"),
    "address": Text("地址", 200),
    "type": Text("单位类型", 20, description="a unit type's code or Chinese label (design section 4); empty: household"),
    "name": Text("名称", 100),
    "building": Text("楼栋", 100, description="empty: the address up to its first 号"),
})
ROSTER = Shape("RosterInput", {"rows": Items(ROSTER_ROW, "行", MAX_ROWS, "每行应为一个对象")})


def rows_of_body(body):
    """(rows as `plan` takes them, numbered from 1, and the shape's errors) of an API body."""
    values, errors = ROSTER.read(body)
    rows = [] if errors else [(number, *_code_or_name(row["community"]), row["address"], row["type"], row["name"],
                                row["building"]) for number, row in enumerate(values["rows"], 1)]
    return rows, errors


def _code_or_name(community):
    """(居委代码, 居委 name): digits are a code, anything else a name."""
    return (community, "") if community.isdigit() else ("", community)
TYPE_OF_LABEL = {label: code for code, label in UNIT_TYPES.items()}
BATCH = 500  # rows a statement (SQLite takes at most 32,766 values a statement)
COMMUNITIES_AT_ONCE = 20  # 居委 whose units a plan holds at once (a 居委 has about a thousand)


@dataclass
class RowError:
    row: int
    field: str  # community | address | type | name | building
    message: str

    def as_dict(self):
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class Plan:
    """What an import would do (the preview), and what `apply` needs to do it."""

    communities: list = field(default_factory=list)  # the 居委 codes the file holds, whose rosters it replaces
    added: list = field(default_factory=list)  # Entry: new units, or units back on the roster
    changed: list = field(default_factory=list)  # (Entry, unit id) on the roster with a new type, name or building
    unchanged: int = 0
    retired: list = field(default_factory=list)  # (span id, unit id, added_on, address) dropped from the roster
    errors: list = field(default_factory=list)  # RowError

    def figures(self):
        """The answer of the API and the command line (design section 8)."""
        return {"added": len(self.added), "unchanged": self.unchanged, "changed": len(self.changed),
                "retired": len(self.retired), "errors": [e.as_dict() for e in self.errors]}


@dataclass(slots=True)  # a district's roster holds 300,000
class Entry:
    row: int
    community: str
    address: str
    key: str
    type: str
    name: str
    building: str
    unit: int = None  # the unit already at this address, if any


def building_of(address):
    """楼栋 when the file has none: the address up to its first 号 (仙霞路350弄3号201室 → 仙霞路350弄3号)."""
    found = re.match(r"^(.*?号)", address)
    return found.group(1) if found else ""


def _communities_in_scope(user):
    """{code: Org} and {name: [Org]} of the 居委 the user may import (all of them from the command line: no user)."""
    by_code, by_name = {}, {}
    query = Org.select(Org.code, Org.name, Org.parent).where(Org.kind == "community")
    for org in query.where(Org.code.in_(community_codes(user))) if user is not None else query:
        by_code[org.code] = org
        by_name.setdefault(org.name, []).append(org)
    return by_code, by_name


def _checked(user, rows):
    """(entries, errors) of the rows: each row's 居委 in the user's scope, an address, a known type; the same unit
    twice is an error on its second row."""
    by_code, by_name = _communities_in_scope(user)
    entries, errors, first_row = [], [], {}
    for row, code, community_name, address, type_text, name, building in rows:
        row_errors = []
        org = by_code.get(code) if code else None
        if code and org is None:
            row_errors.append(RowError(row, "community", f"未知居委代码：{code}"))
        elif not code:
            named = by_name.get(community_name, [])
            if not community_name:
                row_errors.append(RowError(row, "community", "居委不能为空：请填写居委代码或居委名称"))
            elif not named:
                row_errors.append(RowError(row, "community", f"未知居委：{community_name}"))
            elif len(named) > 1:
                row_errors.append(RowError(row, "community", f"有多个居委叫「{community_name}」：请填写居委代码"))
            else:
                org = named[0]
        if not address:
            row_errors.append(RowError(row, "address", "地址不能为空"))
        elif len(address) > 200:
            row_errors.append(RowError(row, "address", "地址太长（最多 200 个字）"))
        unit_type = "household" if not type_text else (type_text if type_text in UNIT_TYPES
                                                       else TYPE_OF_LABEL.get(type_text))
        if unit_type is None:
            row_errors.append(RowError(row, "type", f"未知单位类型：{type_text}（可填 {'、'.join(UNIT_TYPES.values())}）"))
        if len(name) > 100:
            row_errors.append(RowError(row, "name", "名称太长（最多 100 个字）"))
        building = building or building_of(address)
        if len(building) > 100:
            row_errors.append(RowError(row, "building", "楼栋太长（最多 100 个字）"))
        if not row_errors:
            key = address_key(address)
            key = address if key == address else key  # one string, not two, for an address already in its key form
            seen = first_row.setdefault((org.code, key), row)
            if seen != row:
                row_errors.append(RowError(row, "address", f"与第 {seen} 行是同一个单位（同一居委、同一地址）"))
            else:
                entries.append(Entry(row, org.code, address, key, unit_type, name, building))
        errors += row_errors
    return entries, errors


def plan(user, rows):
    """The preview of importing `rows` as `user` (a street or the district; None: the command line, any 居委):
    nothing is written."""
    entries, errors = _checked(user, rows)
    result = Plan(communities=sorted({e.community for e in entries}), errors=errors)
    if not result.communities:
        return result
    by_community = {}
    for entry in entries:
        by_community.setdefault(entry.community, []).append(entry)
    retired = []
    # A few 居委 at a time, so that a district's 300,000 units are never all in memory at once.
    for start in range(0, len(result.communities), COMMUNITIES_AT_ONCE):
        chunk = result.communities[start:start + COMMUNITIES_AT_ONCE]
        units, on_roster = {}, {}
        for unit_id, community, key, unit_type, name, building in (
                Unit.select(Unit.id, Unit.community, Unit.address_key, Unit.type, Unit.name, Building.name)
                .join(Building, JOIN.LEFT_OUTER, on=(Unit.building == Building.id))
                .where(Unit.community.in_(chunk)).tuples().iterator()):  # iterator: peewee keeps no copy of every row
            units[(community, key)] = (unit_id, unit_type, name, building or "")
        for span_id, unit_id in (RosterSpan.select(RosterSpan.id, RosterSpan.unit)
                                 .where(RosterSpan.community.in_(chunk) & RosterSpan.retired_on.is_null())
                                 .tuples().iterator()):
            on_roster[unit_id] = span_id
        kept = set()
        for entry in (e for community in chunk for e in by_community[community]):
            unit = units.get((entry.community, entry.key))
            if unit is None:
                result.added.append(entry)
                continue
            entry.unit = unit[0]
            if entry.unit not in on_roster:
                result.added.append(entry)
            elif unit[1:] == (entry.type, entry.name, entry.building):
                result.unchanged += 1
            else:
                result.changed.append(entry)
            kept.add(entry.unit)
        retired += [(span_id, unit_id) for unit_id, span_id in sorted(on_roster.items()) if unit_id not in kept]
    result.retired = _described(retired)
    return result


def _described(retired):
    """(span id, unit id, added_on, address) of the spans to retire (read for these alone: few, as a rule)."""
    found = {}
    for start in range(0, len(retired), BATCH):
        chunk = [span_id for span_id, _ in retired[start:start + BATCH]]
        for span_id, unit_id, added_on, address in (
                RosterSpan.select(RosterSpan.id, RosterSpan.unit, RosterSpan.added_on, Unit.address)
                .join(Unit, on=(RosterSpan.unit == Unit.id)).where(RosterSpan.id.in_(chunk)).tuples()):
            found[span_id] = (span_id, unit_id, added_on, address)
    return [found[span_id] for span_id, _ in retired]


def apply(user, planned, today=None):
    """Write a plan without errors in one transaction: units, buildings, roster spans, and the kept figures of the
    居委 it touches (domain.survey.unit_state, rebuilt for those 居委). Returns its figures."""
    if planned.errors:
        raise ValueError("an import with errors is not applied")
    today = today or now_local().date()
    # Units come onto the roster the day they are added (an import dated in the past: that day's start).
    created = now_local() if today == now_local().date() else datetime.datetime.combine(today, datetime.time())
    with db.atomic():
        if not is_sqlite():  # records of these 居委 written meanwhile wait, then add their changes on top
            db.execute_sql("LOCK TABLE community_day IN SHARE ROW EXCLUSIVE MODE")
        buildings = _buildings(planned)
        known = [e for e in planned.added if e.unit is not None] + planned.changed
        new = [e for e in planned.added if e.unit is None]
        _many("INSERT INTO unit (community_id, address, address_key, type, name, building_id, position, created_at) "
              "VALUES ({})", 8, ((e.community, e.address, e.key, e.type, e.name,
                                  buildings.get((e.community, e.building)), 0, created) for e in new))
        _ids_of(new)
        # Units already known take the roster's type, name and building.
        _many("UPDATE unit SET type = {}, name = {}, building_id = {} WHERE id = {}", 4,
              ((e.type, e.name, buildings.get((e.community, e.building)), e.unit) for e in known))
        _add_spans(planned.added, today)
        _retire(planned.retired, today)
        for start in range(0, len(planned.communities), COMMUNITIES_AT_ONCE):  # SQLite's memory: a few 居委 a query
            unit_state.rebuild(planned.communities[start:start + COMMUNITIES_AT_ONCE])
        figures = planned.figures()
        audit(user, "import_roster", Org.get_by_id(planned.communities[0]) if user is None or not user.org_id
              else user.org,
              f"居委 {len(planned.communities)} 个：新增 {figures['added']}，未变 {figures['unchanged']}，"
              f"变更 {figures['changed']}，移出 {figures['retired']}")
    return figures


def _many(statement, width, rows):
    """Run one statement for each of many rows (an iterable of `width` values each) through the driver's
    executemany: a district's roster is 300,000 rows, and building each statement in Python would take most of a
    minute. `{}` stands for the parameters (all of them after VALUES, else one each)."""
    marks = [db.param] * width
    sql = statement.format(", ".join(marks)) if "VALUES" in statement else statement.format(*marks)
    cursor = db.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _buildings(planned):
    """{(居委, building name): id}, the buildings the import names added first."""
    wanted = {(e.community, e.building) for e in planned.added + planned.changed if e.building}
    rows = [{"community": c, "name": b, "created_at": now_local()} for c, b in sorted(wanted)]
    for start in range(0, len(rows), BATCH):
        Building.insert_many(rows[start:start + BATCH]).on_conflict_ignore().execute()
    found = {}
    for start in range(0, len(planned.communities), BATCH):
        for building_id, community, name in (Building.select(Building.id, Building.community, Building.name)
                                             .where(Building.community.in_(planned.communities[start:start + BATCH]))
                                             .tuples()):
            found[(community, name)] = building_id
    return found


def _ids_of(entries):
    """Give new entries the ids of the units just inserted."""
    by_community = {}
    for entry in entries:
        by_community.setdefault(entry.community, {})[entry.key] = entry
    for community, keyed in by_community.items():
        keys = list(keyed)
        for start in range(0, len(keys), BATCH):
            for unit_id, key in (Unit.select(Unit.id, Unit.address_key)
                                 .where((Unit.community == community) & Unit.address_key.in_(keys[start:start + BATCH]))
                                 .tuples()):
                keyed[key].unit = unit_id


def _add_spans(entries, today):
    """A span from today for each unit back on or new to the roster; a span retired today reopens instead (an
    import undone the same day leaves no trace in the figures)."""
    units = [e.unit for e in entries]
    reopened = set()
    for start in range(0, len(units), BATCH):
        chunk = units[start:start + BATCH]
        today_spans = list(RosterSpan.select(RosterSpan.id, RosterSpan.unit)
                           .where(RosterSpan.unit.in_(chunk) & (RosterSpan.retired_on == today)).tuples())
        if today_spans:
            RosterSpan.update(retired_on=None).where(RosterSpan.id.in_([s for s, _ in today_spans])).execute()
            reopened.update(u for _, u in today_spans)
    _many("INSERT INTO roster_span (unit_id, community_id, added_on) VALUES ({})", 3,
          ((e.unit, e.community, today) for e in entries if e.unit not in reopened))


def _retire(retired, today):
    """Close the spans of units dropped from the roster; a span added today goes (it never counted a day)."""
    gone = [span_id for span_id, _, added_on, _ in retired if str(added_on) == str(today)]
    closed = [span_id for span_id, _, added_on, _ in retired if str(added_on) != str(today)]
    for start in range(0, len(gone), BATCH):
        RosterSpan.delete().where(RosterSpan.id.in_(gone[start:start + BATCH])).execute()
    for start in range(0, len(closed), BATCH):
        RosterSpan.update(retired_on=today).where(RosterSpan.id.in_(closed[start:start + BATCH])).execute()


# --- 清单外: units found at the door and missing from the roster ----------------------------------------------


def off_roster_units(user, limit=200):
    """Units of the user's 居委 that have a record and are not on the roster today, in 居委 that have a roster
    (a 居委 without one has every unit 清单外: it imports its roster instead)."""
    visited = Survey.select(SQL("1")).where(Survey.unit == Unit.id)
    return list(Unit.select(Unit.id, Unit.address, Unit.type, Unit.name, Unit.community, Org.name.alias("community_name"))
                .join(Org, on=(Unit.community == Org.code))
                .where(Unit.community.in_(community_codes(user)) & off_roster() & fn.EXISTS(visited))
                .order_by(Unit.community, Unit.address_key).limit(limit).objects())


def add_to_roster(user, unit_ids, today=None):
    """Put these 清单外 units (of the user's 居委) on the roster from today, in one step; returns how many."""
    today = today or now_local().date()
    found = [unit for unit in off_roster_units(user, limit=None) if unit.id in set(unit_ids)]
    if not found:
        return 0
    with db.atomic():
        RosterSpan.insert_many([{"unit": u.id, "community": u.community_id, "added_on": today} for u in found]).execute()
        communities = sorted({u.community_id for u in found})
        unit_state.rebuild(communities)
        audit(user, "add_to_roster", Org.get_by_id(communities[0]), f"清单外单位加入底数清单 {len(found)} 个")
    return len(found)
