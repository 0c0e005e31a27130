"""A 居委's units: laying out a building once for all its workers, adding a shop or company by address,
each unit's state by its latest record, and progress counts as SQL aggregates.

A unit's state is its latest record by `visited_at` (ties: the later stored), as design section 6 says;
a unit with no record is 未走访. Nothing here loops over units in Python: the counts are one query each.
"""
import datetime

from peewee import SQL, Case, Select, fn

from domain.common import codes
from domain.common.clock import end_of_day, today_local
from domain.common.fields import RecordErrors, parse_code, parse_text
from domain.common.normalise import address_key
from domain.org.permissions import community_codes
from domain.survey import unit_state
from domain.survey.latest import latest_record_of
from domain.survey.store import corrected_surveys, find_or_add_unit
from models import Building, Org, RosterSpan, Survey, Training, Unit, audit, db

MAX_FLOORS = 99
MAX_PER_FLOOR = 99
MAX_UNITS = 2000  # one layout; a larger estate is laid out building by building
NOT_VISITED = "not_visited"
STATE_LABELS = {**codes.OUTCOMES, NOT_VISITED: "未走访"}


# --- laying out ------------------------------------------------------------------------------------------

def floor_addresses(name, floors, per_floor):
    """The addresses of a building of `floors` floors with `per_floor` units each: 12号楼 101室 … 12号楼 604室."""
    return [f"{name} {floor}{number:02d}室" for floor in range(1, floors + 1) for number in range(1, per_floor + 1)]


def pasted_addresses(text):
    """One address per line, blank lines and repeats (same normalised address) dropped, order kept."""
    seen, addresses = set(), []
    for line in (text or "").splitlines():
        line = line.strip()
        key = address_key(line)
        if key and key not in seen:
            seen.add(key)
            addresses.append(line)
    return addresses


def _parse_count(value, path, errors, label, maximum):
    text = (value or "").strip()
    if not text:
        return 0
    try:
        number = int(text)
    except ValueError:
        errors.add(path, f"{label}应为整数")
        return 0
    if not 1 <= number <= maximum:
        errors.add(path, f"{label}应在 1 到 {maximum} 之间")
        return 0
    return number


def parse_layout(form):
    """(building name, addresses, errors) from the layout form: name plus floors × units, or pasted lines."""
    errors = RecordErrors()
    name = parse_text(form.get("name"), "name", errors, "楼栋名称", 100, required=True)
    pasted = pasted_addresses(form.get("addresses"))
    floors = _parse_count(form.get("floors"), "floors", errors, "楼层数", MAX_FLOORS)
    per_floor = _parse_count(form.get("per_floor"), "per_floor", errors, "每层户数", MAX_PER_FLOOR)
    addresses = pasted
    if not pasted and not errors:
        if floors and per_floor:
            addresses = floor_addresses(name, floors, per_floor)
        elif not floors:
            errors.add("floors", "请填写楼层数和每层户数，或在下面逐行粘贴地址")
        else:
            errors.add("per_floor", "请填写每层户数")
    if len(addresses) > MAX_UNITS:
        errors.add("addresses", f"一次最多 {MAX_UNITS} 个地址，请分楼栋排布")
    for line in addresses:
        if len(line) > 200:
            errors.add("addresses", f"地址最多 200 个字：{line[:20]}…")
    return name, addresses, errors


def lay_out_building(user, community, name, addresses):
    """The building `name` of the 居委 with a unit for each address; returns (building, units added).

    Laying out the same building again adds only the addresses it did not have: an address already known
    to the 居委 (from an earlier layout or from a record) is not duplicated, and joins this building when
    it belonged to none.
    """
    with db.atomic(), unit_state.replayed() as timelines:
        building = Building.get_or_none((Building.community == community) & (Building.name == name))
        if building is None:
            building = Building.create(community=community, name=name)
        keys = [address_key(a) for a in addresses]
        known = {u.address_key: u for u in Unit.select().where(
            (Unit.community == community) & Unit.address_key.in_(keys))}
        position = (Unit.select(fn.MAX(Unit.position)).where(Unit.building == building).scalar() or 0)
        added = 0
        for address, key in zip(addresses, keys):
            unit = known.get(key)
            if unit is not None and unit.building_id is not None:
                continue
            position += 1
            if unit is None:
                timelines.created(Unit.create(community=community, building=building, address=address,
                                              address_key=key, position=position))
                added += 1
            else:
                unit.building, unit.position = building, position
                unit.save(only=[Unit.building, Unit.position])
        audit(user, "layout", building, detail=f"{len(addresses)} 个地址，新增 {added}")
    return building, added


def parse_single_unit(form):
    """(unit dict, errors) for a shop or company added by address."""
    errors = RecordErrors()
    unit = {
        "type": parse_code(form.get("type"), codes.UNIT_TYPES, "type", errors, "单位类型"),
        "address": parse_text(form.get("address"), "address", errors, "地址", 200, required=True),
        "name": parse_text(form.get("name"), "name", errors, "单位名称", 100),
    }
    return unit, errors


def add_single_unit(user, community, unit):
    """A shop or company at an address (no building); an address the 居委 already has is reused."""
    with db.atomic(), unit_state.replayed() as timelines:
        found = find_or_add_unit(community, unit, timelines)
        audit(user, "add_unit", found, detail=found.address)
    return found


# --- state and progress ----------------------------------------------------------------------------------

def _latest(column):
    """A column of the unit's latest record, as a correlated subquery on Unit (NULL: not visited)."""
    return latest_record_of(Unit.id, column)


def latest_outcome():
    """The outcome of the unit's latest record, as a correlated subquery on Unit (NULL: not visited)."""
    return _latest("outcome")


def off_roster():
    """Whether a unit is 清单外 (design section 11): its 居委 has a roster today and the unit is not on it."""
    own = RosterSpan.alias("own")
    listed = RosterSpan.alias("listed")
    return (~fn.EXISTS(own.select(SQL("1")).where((own.unit == Unit.id) & own.retired_on.is_null()))
            & fn.EXISTS(listed.select(SQL("1")).where((listed.community == Unit.community)
                                                      & listed.retired_on.is_null())))


def units_with_state():
    """Units, each with `.state` (its latest outcome or NULL), `.latest_id` (that record's id or NULL) and
    `.off_roster` (清单外)."""
    return Unit.select(Unit, latest_outcome().alias("state"), _latest("id").alias("latest_id"),
                       off_roster().alias("off_roster"))


# What a building can be narrowed to: units never visited, and those to visit again (design section 6).
FILTERS = {"not_visited": "未走访", "not_reached": "未遇或拒访"}


def building_units(building, show=None):
    """The building's units in their order; `show` narrows them to a FILTERS key (None: all)."""
    query = units_with_state().where(Unit.building == building)
    state = fn.COALESCE(latest_outcome(), NOT_VISITED)
    if show == "not_visited":
        query = query.where(state == NOT_VISITED)
    elif show == "not_reached":
        query = query.where(state.in_(("absent", "refused")))
    return query.order_by(Unit.position, Unit.id)  # floor by floor, as a worker walks it


def loose_units(community):
    """Shops, companies and other addresses of the 居委 that belong to no building."""
    return (units_with_state().where((Unit.community == community) & Unit.building.is_null())
            .order_by(Unit.address_key))


def unit_with_state(unit_id, community_codes):
    return units_with_state().where((Unit.id == unit_id) & Unit.community.in_(community_codes)).first()


def unit_flags(rows):
    """{unit id: {"suspect": bool, "flags": [codes]}} from the trainings of each unit's latest record, for the
    rows of units_with_state(), in one query whatever the number of rows."""
    unit_of = {row.latest_id: row.id for row in rows if row.latest_id}
    found = {}
    for training in (Training.select(Training.survey, Training.flags, Training.suspect)
                     .where(Training.survey.in_(list(unit_of))).order_by(Training.survey, Training.position)):
        shown = found.setdefault(unit_of[training.survey_id], {"suspect": False, "flags": []})
        shown["suspect"] = shown["suspect"] or training.suspect
        shown["flags"] += [code for code in training.flags.split() if code not in shown["flags"]]
    return found


def next_not_visited(rows, after_id):
    """The first unit after unit `after_id` among `rows` (in their order, wrapping round) that was never
    visited: the door to knock on next. None when every unit was visited."""
    ids = [row.id for row in rows]
    start = ids.index(after_id) + 1 if after_id in ids else 0
    for row in rows[start:] + rows[:start]:
        if row.state is None and row.id != after_id:
            return row
    return None


def state_label(state):
    return STATE_LABELS.get(state or NOT_VISITED, "未走访")


def _states(where):
    """A derived table of (community, building, state) for the units matching `where`."""
    return Unit.select(Unit.community.alias("community"), Unit.building.alias("building"), Unit.type.alias("type"),
                       latest_outcome().alias("state")).where(where).alias("states")


def _counts(states):
    def count_of(*outcomes):
        return fn.COALESCE(fn.SUM(Case(None, [(states.c.state.in_(outcomes), 1)], 0)), 0)

    return [fn.COUNT(1).alias("total"),
            fn.COALESCE(fn.SUM(Case(None, [(states.c.type == "household", 1)], 0)), 0).alias("households"),
            count_of("surveyed").alias("surveyed"),
            count_of("absent", "refused").alias("not_reached"),
            fn.COALESCE(fn.SUM(Case(None, [(states.c.state.is_null(), 1)], 0)), 0).alias("not_visited")]


COUNTS = ("total", "households", "surveyed", "not_reached", "not_visited")


def building_counts(building):
    """{total, households, surveyed, not_reached, not_visited} of one building's units, in one query."""
    states = _states(Unit.building == building)
    row = Select([states], _counts(states)).bind(db).dicts().first() or {}
    return {key: int(row.get(key) or 0) for key in COUNTS}


def building_progress(community):
    """Buildings of the 居委 in name order, each with total, surveyed, not_reached, not_visited."""
    states = _states(Unit.community == community)
    counts = (Select([states], [states.c.building, *_counts(states)]).group_by(states.c.building)
              .bind(db).dicts())
    by_building = {row["building"]: row for row in counts}
    empty = dict.fromkeys(COUNTS, 0)
    found = [{"building": b, **{k: int(v) for k, v in by_building.get(b.id, empty).items() if k != "building"}}
             for b in Building.select().where(Building.community == community).order_by(Building.name)]
    return sorted(found, key=lambda row: not row["not_visited"])  # buildings with doors still to knock first


def community_progress(community_codes):
    """One row per 居委 of `community_codes` (a query or list of codes): its name and unit counts today, from the
    figures kept as records arrive (domain.survey.unit_state)."""
    kept = unit_state.figures_as_of(today_local(), community_codes)
    rows = []
    for org in Org.select().where((Org.kind == "community") & Org.code.in_(community_codes)).order_by(Org.code):
        figures = kept.get(org.code) or dict.fromkeys(unit_state.FIGURES, 0)
        rows.append({"community": org, "total": figures["units"], "households": figures["household_units"],
                     "surveyed": figures["surveyed"], "not_reached": figures["not_reached"],
                     "not_visited": figures["units"] - figures["visited"],
                     "roster": figures["roster"], "roster_surveyed": figures["roster_surveyed"]})
    return rows


def by_street(rows):
    """community_progress rows added up per 街镇, each row's `community` its street (an Org)."""
    streets = {o.code: o for o in Org.select().where(Org.code.in_({row["community"].parent_id for row in rows}))}
    found = {}
    for row in rows:
        code = row["community"].parent_id
        total = found.setdefault(code, {"community": streets[code], **{k: 0 for k in row if k != "community"}})
        for key, value in row.items():
            if key != "community":
                total[key] += value
    return [found[code] for code in sorted(found)]


def institution_suggestions(community, limit=50):
    """Institution names this 居委 has already recorded, most mentioned first, for a <datalist>."""
    return [row.institution for row in (
        Training.select(Training.institution)
        .join(Survey).where((Survey.community == community) & (Training.institution != ""))
        .group_by(Training.institution).order_by(fn.COUNT(Training.id).desc(), Training.institution)
        .limit(limit))]



def records_of_day(user, day):
    """The records `user` made of visits on `day`, latest first, {survey id: [flag codes]} among them, and the
    ids of those that were corrected."""
    records = list(Survey.select(Survey, Unit).join(Unit)
                   .where((Survey.surveyor == user.id) & Survey.community.in_(community_codes(user))
                          & (Survey.visited_at >= datetime.datetime.combine(day, datetime.time()))
                          & (Survey.visited_at < end_of_day(day)))
                   .order_by(Survey.visited_at.desc(), Survey.id.desc()))
    flags = {}
    for training in (Training.select(Training.survey, Training.flags)
                     .where(Training.survey.in_([r.id for r in records])).order_by(Training.position)):
        shown = flags.setdefault(training.survey_id, [])
        shown += [code for code in training.flags.split() if code not in shown]
    return records, flags, corrected_surveys([r.id for r in records])
