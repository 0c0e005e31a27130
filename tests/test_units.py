"""Laying out a 居委's units and counting its progress (domain/survey/units.py), on the real database."""
import uuid

import pytest
from werkzeug.datastructures import MultiDict

from domain.org.permissions import community_codes
from domain.survey import units
from domain.survey.record import parse_record
from domain.survey.store import store_record
from models import Building, Org, Unit
from tests.conftest import COMMUNITY, COMMUNITY_2, negative_body


def layout(**fields):
    return units.parse_layout(MultiDict(fields))


@pytest.mark.parametrize("floors, per_floor, expected", [
    (1, 1, ["12号楼 101室"]),
    (2, 3, ["12号楼 101室", "12号楼 102室", "12号楼 103室", "12号楼 201室", "12号楼 202室", "12号楼 203室"]),
])
def test_floors_times_units_give_room_numbers(floors, per_floor, expected):
    assert units.floor_addresses("12号楼", floors, per_floor) == expected


def test_pasted_addresses_keep_order_and_drop_blanks_and_repeats():
    text = "长宁路1弄1号\n\n  长宁路1弄2号 \n长宁路1弄 1号\n长宁路1弄3号\r\n"
    assert units.pasted_addresses(text) == ["长宁路1弄1号", "长宁路1弄2号", "长宁路1弄3号"]


@pytest.mark.parametrize("fields, path, message", [
    ({"name": "", "floors": "6", "per_floor": "2"}, "name", "请填写楼栋名称"),
    ({"name": "12号楼", "floors": "abc", "per_floor": "2"}, "floors", "楼层数应为整数"),
    ({"name": "12号楼", "floors": "0", "per_floor": "2"}, "floors", "楼层数应在 1 到 99 之间"),
    ({"name": "12号楼", "floors": "6", "per_floor": "100"}, "per_floor", "每层户数应在 1 到 99 之间"),
    ({"name": "12号楼", "floors": "", "per_floor": ""}, "floors", "请填写楼层数和每层户数，或在下面逐行粘贴地址"),
    ({"name": "12号楼", "floors": "6", "per_floor": ""}, "per_floor", "请填写每层户数"),
])
def test_a_bad_layout_says_what_is_wrong_in_chinese(fields, path, message):
    _name, _addresses, errors = layout(**fields)
    assert errors[path] == message


def test_pasted_lines_win_over_floor_counts():
    name, addresses, errors = layout(name="3号楼", floors="", per_floor="", addresses="3号楼101\n3号楼102")
    assert not errors and name == "3号楼" and addresses == ["3号楼101", "3号楼102"]


def test_laying_out_twice_adds_no_unit_twice(world):
    community = Org.get(Org.code == COMMUNITY)
    user = world["surveyor"]
    building, added = units.lay_out_building(user, community, "12号楼", units.floor_addresses("12号楼", 2, 2))
    assert added == 4
    again, added_again = units.lay_out_building(user, community, "12号楼", units.floor_addresses("12号楼", 3, 2))
    assert again.id == building.id and added_again == 2
    assert [u.address for u in units.building_units(building)] == [
        "12号楼 101室", "12号楼 102室", "12号楼 201室", "12号楼 202室", "12号楼 301室", "12号楼 302室"]
    assert Building.select().count() == 1


def test_an_address_already_recorded_joins_the_building_instead_of_a_copy(world):
    user = world["surveyor"]
    record, _ = parse_record(negative_body(address="12号楼 101室"))
    store_record(user, record)
    community = Org.get(Org.code == COMMUNITY)
    building, added = units.lay_out_building(user, community, "12号楼", units.floor_addresses("12号楼", 1, 2))
    assert added == 1
    assert Unit.select().where(Unit.community == community).count() == 2
    assert [u.state for u in units.building_units(building)] == ["surveyed", None]


def record(user, address, outcome, at, community=COMMUNITY):
    body = negative_body(address=address, outcome=outcome, visited_at=at, community=community,
                         client_uuid=str(uuid.uuid4()))
    parsed, errors = parse_record(body)
    assert not errors, errors
    return store_record(user, parsed)[0]


def test_progress_reads_each_units_latest_record(world):
    user = world["surveyor"]
    community = Org.get(Org.code == COMMUNITY)
    units.lay_out_building(user, community, "1号楼", units.floor_addresses("1号楼", 1, 4))
    record(user, "1号楼 101室", "absent", "2023-03-20T09:00:00+08:00")
    record(user, "1号楼 101室", "surveyed", "2023-03-21T09:00:00+08:00")  # absent, then surveyed: surveyed
    record(user, "1号楼 102室", "surveyed", "2023-03-20T09:00:00+08:00")
    record(user, "1号楼 102室", "refused", "2023-03-22T09:00:00+08:00")  # latest is refused
    record(user, "1号楼 103室", "absent", "2023-03-20T09:00:00+08:00")
    record(user, "长宁路100号", "surveyed", "2023-03-20T09:00:00+08:00")  # a shop outside any building

    [row] = units.building_progress(community)
    assert (row["building"].name, row["total"], row["surveyed"], row["not_reached"], row["not_visited"]) == \
        ("1号楼", 4, 1, 2, 1)
    rows = units.community_progress([COMMUNITY, COMMUNITY_2])
    assert [(r["community"].code, r["total"], r["surveyed"], r["not_reached"], r["not_visited"]) for r in rows] == [
        (COMMUNITY, 5, 2, 2, 1), (COMMUNITY_2, 0, 0, 0, 0)]
    assert [u.address for u in units.loose_units(community)] == ["长宁路100号"]


def test_progress_of_a_street_comes_from_its_query_of_communities(world):
    user = world["street"]
    rows = units.community_progress(community_codes(user))
    assert [r["community"].code for r in rows] == [COMMUNITY, COMMUNITY_2]
