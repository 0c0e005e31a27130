"""附件1 computed as of a day, checked against figures worked out by hand from the records below
(design section 6). The data set is shared with the API, workbook and problem-list tests."""
import datetime
import uuid

import pytest

from domain.casework import mentions
from domain.reporting.tables import table1
from domain.survey.record import parse_record
from domain.survey.store import store_record
from models import Case, CaseEvent, Org, Referral, Report, ReportEvent
from tests.conftest import COMMUNITY, COMMUNITY_2, OTHER_COMMUNITY, OTHER_STREET, STREET

D1 = datetime.date(2023, 3, 22)  # a Wednesday, the plan's reporting day
D2 = datetime.date(2023, 3, 31)


def training(name="", phone="", mode="door_to_door", fee="0", identity="institution", pitched=False,
             engineering=False, content="灭火器使用"):
    return {"institution": name, "institution_phone": phone, "trainer_identity": identity, "mode": mode,
            "date": "2023-02-14", "fee": fee, "content": content, "products_pitched": pitched,
            "engineering_solicited": engineering}


def purchase(product, quantity, amount, channel, at=None):
    return {"product": product, "quantity": quantity, "amount": amount, "channel": channel, "training": at,
            "ccc_mark": None, "id_label": None, "sample_available": None}


def visit(user, community, address, day, outcome="surveyed", unit_type="household", trainings=(), purchases=()):
    body = {"client_uuid": str(uuid.uuid4()), "community": community,
            "unit": {"type": unit_type, "address": address}, "visited_at": f"{day}T10:00:00+08:00",
            "outcome": outcome, "trainings": list(trainings), "purchases": list(purchases)}
    record, errors = parse_record(body)
    assert not errors, errors
    return store_record(user, record)[0]


def report(community, day, status="new", name="", phone="", amount_fen=0, street=None):
    """A resident's report as the report form stores it: located to a 居委 (and its street), or to a street."""
    from domain.common.normalise import institution_key, phone_digits

    street = street or Org[community].parent_id
    stored = Report.create(number=uuid.uuid4().hex[:10], community=community, street=street,
                           description="上门推销灭火器",
                           institution=name, institution_key=institution_key(name), institution_phone=phone,
                           phone_digits=phone_digits(phone), status=status, amount_fen=amount_fen,
                           created_at=datetime.datetime.fromisoformat(f"{day}T09:00:00"), suspect=True)
    mentions.report_changed(stored)  # the kept mentions, as storing a report keeps them
    return stored


def refer_case(anchor, department, at):
    """A case referred to a department at `at` (in the past), as domain.casework.cases.refer stores it."""
    case = Case.get_or_none(Case.anchor == anchor) or Case.create(anchor=anchor, kind="institution")
    referral = Referral.create(case=case, department=department, referred_at=at, updated_at=at)
    CaseEvent.create(case=case, referral=referral, action="referred", at=at)
    return referral


def build_district(world):
    """The records of two streets, with what each one tests beside it."""
    user = world["district"]
    # 华阳一居委 (COMMUNITY)
    # U1: absent, then surveyed after D1 under a spelling with a space: one unit, not_reached on D1, surveyed on D2.
    visit(user, COMMUNITY, "长宁路1弄1号101室", "2023-03-20", outcome="absent")
    visit(user, COMMUNITY, "长宁路1弄1号 101室", "2023-03-25")
    # U2: institution A by name, fee 200 at the door, 2 extinguishers bought at the training (1120.00);
    # visited again after D1 under full-width digits with the same story: still one unit, counted once.
    a_training = training("上海某某消防培训中心", "021-6000 0000", fee="200.00", identity="firefighter", pitched=True)
    a_bought = purchase("fire_extinguisher", 2, "1120.00", "training", at=0)
    visit(user, COMMUNITY, "长宁路1弄2号", "2023-03-20", trainings=[a_training], purchases=[a_bought])
    visit(user, COMMUNITY, "长宁路１弄２号", "2023-03-27", trainings=[a_training], purchases=[a_bought])
    # U3 (shop): A again by a name variant, with a new phone; engineering solicited, no fee. A blanket bought
    # from a door-to-door seller (counted) and 3 lights from a store (not counted).
    visit(user, COMMUNITY, "长宁路100号", "2023-03-21", unit_type="shop",
          trainings=[training("上海 某某消防培训中心有限公司", "138 0000 0001", mode="gathering", engineering=True)],
          purchases=[purchase("fire_blanket", 1, "298.00", "door_to_door"),
                     purchase("emergency_light", 3, "300.00", "store")])
    # U4: a lawful training: trained, not suspect.
    visit(user, COMMUNITY, "长宁路1弄4号", "2023-03-21",
          trainings=[training("上海消防安全培训学校", "", mode="gathering")])
    # 华阳二居委 (COMMUNITY_2)
    # U5 (enterprise): another name sharing A's second phone (so A, transitively), fee 300 at the door and a
    # descender bought at that training from the door (780.00, counted once).
    visit(user, COMMUNITY_2, "江苏路5号", "2023-03-21", unit_type="enterprise",
          trainings=[training("平安消防服务部", "13800000001", fee="300.00")],
          purchases=[purchase("escape_descender", 1, "780.00", "door_to_door", at=0)])
    # U6: absent, never reached.
    visit(user, COMMUNITY_2, "江苏路6号", "2023-03-21", outcome="absent")
    # U7: after D1, institution B (fee 100), whose phone a report (R1) also names under another name.
    visit(user, COMMUNITY_2, "江苏路7号", "2023-03-29",
          trainings=[training("城南消防公司", "139-0000-0002", fee="100.00")])
    # 江苏一居委 (OTHER_COMMUNITY, the other street)
    # U8: institution A in a second street (fee 50); U9: a suspect training with neither name nor phone (80).
    visit(user, OTHER_COMMUNITY, "愚园路8号", "2023-03-21",
          trainings=[training("上海某某消防培训中心", "", fee="50.00")])
    visit(user, OTHER_COMMUNITY, "愚园路9号", "2023-03-21", trainings=[training("", "", fee="80.00")])

    # Reports: R1 (B's phone) referred on 03-24 (its case: B, with U7 after D1); R2 found unfounded on 03-23;
    # R3 received after D1; R4 placed in the other street without a 居委 (counts for the street, not a 居委).
    report(COMMUNITY, "2023-03-21", name="某某消防", phone="13900000002", amount_fen=29800)
    refer_case("p:13900000002", "gongan", datetime.datetime(2023, 3, 24, 15, 0))
    r2 = report(COMMUNITY_2, "2023-03-21", status="unfounded", name="无关公司")
    ReportEvent.create(report=r2, status="unfounded", at=datetime.datetime(2023, 3, 23, 11, 0))
    mentions.report_changed(r2)
    report(OTHER_COMMUNITY, "2023-03-30")
    report(None, "2023-03-21", street=OTHER_STREET)


def zeros(communities=0):
    return {"communities": communities, "surveyed": 0, "households": 0, "organisations": 0, "not_reached": 0,
            "trained": 0, "suspect": 0, "institutions": 0, "products": 0, "amount": "0.00", "reports": 0,
            "referred": 0, "roster": 0, "coverage": "0.0"}


# Worked out by hand from build_district's comments.
EXPECTED = {
    D1: {
        STREET: {"communities": 2, "surveyed": 4, "households": 2, "organisations": 2, "not_reached": 2,
                 "trained": 4, "suspect": 3, "institutions": 1, "products": 4, "amount": "2698.00",
                 "reports": 2, "referred": 0, "roster": 0, "coverage": "0.0"},
        OTHER_STREET: {"communities": 1, "surveyed": 2, "households": 2, "organisations": 0, "not_reached": 0,
                       "trained": 2, "suspect": 2, "institutions": 1, "products": 0, "amount": "130.00",
                       "reports": 1, "referred": 0, "roster": 0, "coverage": "0.0"},
        "total": {"communities": 3, "surveyed": 6, "households": 4, "organisations": 2, "not_reached": 2,
                  "trained": 6, "suspect": 5, "institutions": 1, "products": 4, "amount": "2828.00",
                  "reports": 3, "referred": 0, "roster": 0, "coverage": "0.0"},
    },
    D2: {
        STREET: {"communities": 2, "surveyed": 6, "households": 4, "organisations": 2, "not_reached": 1,
                 "trained": 5, "suspect": 4, "institutions": 2, "products": 4, "amount": "2798.00",
                 "reports": 1, "referred": 1, "roster": 0, "coverage": "0.0"},
        OTHER_STREET: {"communities": 1, "surveyed": 2, "households": 2, "organisations": 0, "not_reached": 0,
                       "trained": 2, "suspect": 2, "institutions": 1, "products": 0, "amount": "130.00",
                       "reports": 2, "referred": 0, "roster": 0, "coverage": "0.0"},
        "total": {"communities": 3, "surveyed": 8, "households": 6, "organisations": 2, "not_reached": 1,
                  "trained": 7, "suspect": 6, "institutions": 2, "products": 4, "amount": "2928.00",
                  "reports": 3, "referred": 1, "roster": 0, "coverage": "0.0"},
    },
}


# The keys of a 附件1 row in the JSON, in the order of the columns (design section 8).
KEYS = ["communities", "surveyed", "households", "organisations", "not_reached", "trained", "suspect",
        "institutions", "products", "amount", "reports", "referred", "roster", "coverage"]


@pytest.fixture
def district(world):
    build_district(world)
    return world


def row(table, code):
    return next(r for r in table["rows"] if r["code"] == code)


@pytest.mark.parametrize("day", [D1, D2])
def test_district_table_has_the_hand_worked_figures(district, day):
    table = table1(day).as_json()
    assert table["as_of"] == day.isoformat()
    assert [r["code"] for r in table["rows"]] == [o.code for o in Org.select().where(Org.kind == "street")
                                                  .order_by(Org.code)]
    for code in (STREET, OTHER_STREET):
        got = dict(row(table, code))
        assert (got.pop("code"), got.pop("name")) == (code, Org[code].name)
        assert got == EXPECTED[day][code]
    assert all(r == {"code": r["code"], "name": r["name"], **zeros()} for r in table["rows"]
               if r["code"] not in (STREET, OTHER_STREET))
    assert table["total"] == EXPECTED[day]["total"]


def test_the_total_counts_an_institution_of_two_streets_once(district):
    total = table1(D1).as_json()["total"]
    assert total["institutions"] == 1
    assert sum(r["institutions"] for r in table1(D1).as_json()["rows"]) == 2


@pytest.mark.parametrize("day", [D1, D2])
def test_one_street_table_has_only_that_street(district, day):
    table = table1(day, Org[STREET]).as_json()
    assert [r["code"] for r in table["rows"]] == [STREET]
    figures = {k: v for k, v in table["rows"][0].items() if k not in ("code", "name")}
    assert figures == EXPECTED[day][STREET] == table["total"]


def test_per_community_rows_add_up_to_the_street(district):
    table = table1(D2, Org[STREET])
    by_code = {c["code"]: c for c in table.details}
    assert set(by_code) == {COMMUNITY, COMMUNITY_2}
    one, two = by_code[COMMUNITY], by_code[COMMUNITY_2]
    # 华阳一: U1 U2 U3 U4 surveyed; A is its only institution; R1 referred.
    assert (one["surveyed"], one["not_reached"], one["suspect"], one["institutions"], one["amount_fen"],
            one["reports"], one["referred"]) == (4, 0, 2, 1, 161800, 1, 1)
    # 华阳二: U5 U7 surveyed, U6 absent; A (through the shared phone) and B. B's case (R1 with U7) was
    # referred: a case counts in every 居委 it has a mention in.
    assert (two["surveyed"], two["not_reached"], two["suspect"], two["institutions"], two["amount_fen"],
            two["reports"], two["referred"]) == (2, 1, 2, 2, 118000, 0, 1)


def test_a_day_before_any_record_is_all_zero(district):
    table = table1(datetime.date(2023, 3, 1)).as_json()
    assert table["total"] == zeros(communities=3)


def test_a_later_record_replaces_the_earlier_one_even_when_it_drops_a_training(district, world):
    # U3 visited again: the shop now says there was no training at all.
    visit(world["district"], COMMUNITY, "长宁路 100号", "2023-03-30", unit_type="shop")
    street = row(table1(D2).as_json(), STREET)
    # …and without U3's mention, U5's 平安消防服务部 no longer shares a phone with A: three institutions.
    assert (street["surveyed"], street["trained"], street["suspect"], street["institutions"], street["products"],
            street["amount"]) == (6, 4, 3, 3, 3, "2500.00")
    assert row(table1(D1).as_json(), STREET) == {"code": STREET, "name": Org[STREET].name, **EXPECTED[D1][STREET]}


def test_an_institution_referred_from_the_problem_list_is_a_referred_case(district):
    from domain.casework.institutions import problem_list

    refer_case("n:上海某某消防培训中心", "shichang", datetime.datetime(2023, 3, 25, 9, 0))
    table = table1(D2).as_json()
    # A has mentions in both streets; the street also has B (referred through R1).
    assert (row(table, OTHER_STREET)["referred"], row(table, STREET)["referred"], table["total"]["referred"]) == \
        (1, 2, 2)
    assert table1(D1).as_json()["total"]["referred"] == 0
    a = problem_list(D2)[0]
    assert (a.name, a.status, a.departments) == ("上海某某消防培训中心", "已移交，处置中", ["区市场监管局"])
