"""附件3 区专项整治行动情况统计表 (design sections 6 and 8): one row per street and per department; the columns
Paimo knows fill themselves from the records, posters and 附件2, the rest are entered per day."""
import datetime
import uuid

import pytest

from domain.casework import institutions
from domain.public import posters
from domain.reporting.campaign_tables import result
from domain.reporting.tabledef import Scope
from domain.reporting.tables import table1
from models import ActionEntry, Case, CaseEvent, Department, Org, Poster, Referral
from tests.conftest import COMMUNITY, COMMUNITY_2, OTHER_COMMUNITY, OTHER_STREET, STREET
from tests.test_tables import D1, D2, build_district, refer_case

KEYS = ["inspectors", "units_checked", "posters", "publicity_events", "institutions", "cases_penalised", "to_police",
        "fines", "exposed"]


def body(org, **fields):
    values = {"client_uuid": str(uuid.uuid4()), "org": org, "date": "2023-03-20", "inspectors": 10,
              "units_checked": 0, "publicity_events": 1}
    values.update(fields)
    return values


def poster(community, day):
    made = posters.create_poster(None, community, "门厅")
    Poster.update(created_at=datetime.datetime.fromisoformat(f"{day}T09:00:00")).where(Poster.id == made.id).execute()


def enter(actions, client, username, *bodies):
    actions.login(username)
    for sent in bodies:
        reply = client.post("/api/v1/actions", json=sent)
        assert reply.status_code == 201, reply.get_json()
    actions.logout()


@pytest.fixture
def campaign(world, actions, client):
    """build_district's records, posters in both streets, and entries of two streets and 消防救援."""
    build_district(world)
    poster(COMMUNITY, "2023-03-20")
    poster(COMMUNITY_2, "2023-03-25")
    poster(OTHER_COMMUNITY, "2023-03-21")
    poster(COMMUNITY, "2023-04-02")  # after D2
    enter(actions, client, "street", body(STREET), body(STREET, date="2023-03-30", inspectors=5, publicity_events=0))
    enter(actions, client, "other_street", body(OTHER_STREET, date="2023-03-21", inspectors=4, publicity_events=2))
    enter(actions, client, "department", body("xiaofang", inspectors=6, units_checked=12))
    actions.login("department")
    assert client.post("/api/v1/spot-checks", json={
        "client_uuid": str(uuid.uuid4()), "department": "xiaofang", "channel": "in_use", "product": "fire_blanket",
        "date": "2023-03-20", "batches": 2, "failed": 1, "cases_opened": 1, "fine": "5000.00"}).status_code == 201
    actions.logout()
    return world


def by_code(table):
    return {r["code"]: r for r in table["rows"]}


def test_table3_has_a_row_per_street_and_department_with_the_design_keys(campaign, actions, client):
    actions.login("district")
    table = client.get(f"/api/v1/tables/3?as_of={D2}").get_json()
    assert list(table) == ["table", "as_of", "rows", "total"] and table["table"] == 3
    assert list(table["rows"][0]) == ["code", "name", "kind"] + KEYS
    streets = [o.code for o in Org.select().where(Org.kind == "street").order_by(Org.code)]
    departments = [d.code for d in Department.select().order_by(Department.code)]
    assert [r["code"] for r in table["rows"]] == streets + departments
    assert {r["kind"] for r in table["rows"][:len(streets)]} == {"street"}
    assert {r["kind"] for r in table["rows"][len(streets):]} == {"department"}


@pytest.mark.parametrize("day", [D1, D2])
def test_the_automatic_columns_match_the_records_posters_and_spot_checks(campaign, day):
    table = result(3, day, Scope("district")).as_json()
    rows = by_code(table)
    surveyed = {r["code"]: r["surveyed"] for r in table1(day).as_json()["rows"]}
    for street in (STREET, OTHER_STREET):
        assert rows[street]["units_checked"] == surveyed[street]
        assert rows[street]["institutions"] == len(institutions.problem_list(day, Org[street]))
    assert rows[STREET]["posters"] == (1 if day == D1 else 2)
    assert rows[OTHER_STREET]["posters"] == 1
    # 消防救援: its own 检查单位数 entered; 查处案件 and 罚没款 from its 附件2 entry.
    assert (rows["xiaofang"]["units_checked"], rows["xiaofang"]["cases_penalised"], rows["xiaofang"]["fines"]) == \
        (12, 1, "5000.00")
    assert rows["xiaofang"]["posters"] == 0 and rows["xiaofang"]["institutions"] == 0
    assert table["total"]["institutions"] == len(institutions.problem_list(day))


def test_the_entered_columns_and_the_totals_add_up_as_of_a_day(campaign):
    d1 = result(3, D1, Scope("district")).as_json()
    d2 = result(3, D2, Scope("district")).as_json()
    assert (by_code(d1)[STREET]["inspectors"], by_code(d2)[STREET]["inspectors"]) == (10, 15)
    assert by_code(d2)[OTHER_STREET]["publicity_events"] == 2
    assert d2["total"] == {"inspectors": 25, "units_checked": 6 + 2 + 12, "posters": 3, "publicity_events": 4,
                           "institutions": len(institutions.problem_list(D2)), "cases_penalised": 1, "to_police": 0,
                           "fines": "5000.00", "exposed": 0}
    for key in ("inspectors", "units_checked", "posters", "publicity_events", "cases_penalised"):
        assert d2["total"][key] == sum(r[key] for r in d2["rows"])


def test_a_street_and_a_department_see_their_own_row(campaign, actions, client):
    actions.login("street")
    table = client.get(f"/api/v1/tables/3?as_of={D2}").get_json()
    assert [r["code"] for r in table["rows"]] == [STREET]
    assert table["total"] == {k: v for k, v in table["rows"][0].items() if k in KEYS}
    assert client.get(f"/api/v1/tables/3?as_of={D2}&street={OTHER_STREET}").status_code == 404
    assert client.get(f"/api/v1/tables/3?as_of={D2}&department=xiaofang").status_code == 404
    actions.logout()
    actions.login("department")
    assert [r["code"] for r in client.get(f"/api/v1/tables/3?as_of={D2}").get_json()["rows"]] == ["xiaofang"]
    actions.logout()
    actions.login("district")
    drilled = client.get(f"/api/v1/tables/3?as_of={D2}&department=xiaofang").get_json()
    assert [r["code"] for r in drilled["rows"]] == ["xiaofang"]


# --- entering --------------------------------------------------------------------------------------------------


def test_an_entry_is_stored_once(world, actions, client):
    actions.login("street")
    sent = body(STREET)
    first = client.post("/api/v1/actions", json=sent)
    assert first.status_code == 201
    stored = first.get_json()
    assert (stored["org"], stored["date"], stored["inspectors"], stored["publicity_events"]) == \
        (STREET, "2023-03-20", 10, 1)
    assert client.post("/api/v1/actions", json=sent).get_json() == stored
    conflict = client.post("/api/v1/actions", json={**sent, "inspectors": 11})
    assert conflict.status_code == 409 and conflict.get_json()["entry"] == stored
    assert ActionEntry.select().count() == 1


@pytest.mark.parametrize("username, fields, field, message", [
    ("street", {"units_checked": 5}, "units_checked", "街镇的检查单位数按排摸记录自动统计，不用填写"),
    ("street", {"org": OTHER_STREET}, "org", "只能填报本单位的情况"),
    ("department", {"org": STREET}, "org", "只能填报本单位的情况"),
    ("street", {"inspectors": 0, "publicity_events": 0}, "inspectors", "请至少填写一项数字"),
    ("street", {"date": ""}, "date", "请填写日期"),
    ("street", {"publicity_events": 2.5}, "publicity_events", "宣传活动场次应为整数"),
])
def test_a_wrong_entry_is_refused_at_its_field(world, actions, client, username, fields, field, message):
    actions.login(username)
    org = STREET if username == "street" else "xiaofang"
    reply = client.post("/api/v1/actions", json={**body(org), **fields})
    assert reply.status_code == 422
    assert reply.get_json()["errors"][field] == message


@pytest.mark.parametrize("username", ["surveyor", "district"])
def test_surveyors_and_the_district_enter_no_actions(world, actions, client, username):
    actions.login(username)
    assert client.post("/api/v1/actions", json=body(STREET)).status_code == 404
    assert client.get("/tables/actions").status_code == 404


def test_the_form_asks_a_department_for_units_checked_and_a_street_not(world, actions, client):
    actions.login("street")
    page = client.get("/tables/actions").get_data(as_text=True)
    assert '<label for="f-inspectors">出动检查人次</label>' in page and "f-units_checked" not in page
    reply = client.post("/tables/actions", data={"client_uuid": str(uuid.uuid4()), "date": "2023-03-20",
                                                 "inspectors": "8", "publicity_events": "1"})
    assert reply.status_code == 303
    assert "已保存：3月20日 出动检查 8 人次，宣传活动 1 场" in client.get(reply.headers["Location"]).get_data(as_text=True)
    actions.logout()
    actions.login("department")
    page = client.get("/tables/actions").get_data(as_text=True)
    assert '<label for="f-units_checked">检查单位数</label>' in page
    reply = client.post("/tables/actions", data={"client_uuid": str(uuid.uuid4()), "date": "2999-01-01"})
    assert reply.status_code == 422
    assert '<p class="field-error" id="err-date">日期不能晚于今天</p>' in reply.get_data(as_text=True)


def test_an_entry_can_be_deleted_by_its_org_only(world, actions, client):
    actions.login("street")
    client.post("/api/v1/actions", json=body(STREET))
    entry = ActionEntry.get()
    actions.logout()
    actions.login("other_street")
    assert client.post(f"/tables/actions/{entry.id}/delete").status_code == 404
    actions.logout()
    actions.login("street")
    assert client.post(f"/tables/actions/{entry.id}/delete").status_code == 303
    assert ActionEntry.select().count() == 0


# --- the columns read from the cases' referrals (issue 9's Case, Referral and CaseEvent) -------------------------


def step(referral, action, day, case_opened=False, fine_fen=0):
    """A department's step on a referral at 10:00 of `day`, as domain.casework.referrals.advance stores it."""
    at = datetime.datetime.fromisoformat(f"{day}T10:00:00")
    CaseEvent.create(case=referral.case_id, referral=referral, action=action, at=at, case_opened=case_opened,
                     fine_fen=fine_fen)
    Referral.update(status=action, case_opened=case_opened, fine_fen=fine_fen, updated_at=at) \
        .where(Referral.id == referral.id).execute()


@pytest.fixture
def outcomes(campaign):
    """Institution A (mentions in both streets) referred to 市场监管 and penalised on 3/28 (立案, 20000 元),
    published on 3/29; B's case (R1, referred to 公安 by build_district) sent to the police on 3/30."""
    market = refer_case("n:上海某某消防培训中心", "shichang", datetime.datetime(2023, 3, 25, 9, 0))
    step(market, "accepted", "2023-03-26")
    step(market, "penalised", "2023-03-28", case_opened=True, fine_fen=2000000)
    CaseEvent.create(case=market.case_id, action="published", at=datetime.datetime(2023, 3, 29, 16, 0))
    Case.update(published_at=datetime.datetime(2023, 3, 29, 16, 0)).where(Case.id == market.case_id).execute()
    police = Referral.get(Referral.department == "gongan")
    step(police, "accepted", "2023-03-25")
    step(police, "to_police", "2023-03-30")
    return campaign


CASE_KEYS = ("cases_penalised", "to_police", "fines", "exposed")


def cases_of(row):
    return tuple(row[k] for k in CASE_KEYS)


def test_the_case_columns_follow_the_referrals_steps_as_of_a_day(outcomes):
    d2 = by_code(result(3, D2, Scope("district")).as_json())
    # A has mentions in both streets: it counts in each street's row and in 市场监管's; B only in 华阳's.
    assert cases_of(d2[STREET]) == (1, 1, "20000.00", 1)
    assert cases_of(d2[OTHER_STREET]) == (1, 0, "20000.00", 1)
    assert cases_of(d2["shichang"]) == (1, 0, "20000.00", 1)
    assert cases_of(d2["gongan"]) == (0, 1, "0.00", 0)
    # 消防救援: nothing referred to it, but its 附件2 entry (1 case opened, 5000 元).
    assert cases_of(d2["xiaofang"]) == (1, 0, "5000.00", 0)
    total = result(3, D2, Scope("district")).as_json()["total"]
    assert cases_of(total) == (2, 1, "25000.00", 1)  # A once, 消防救援's entry; B once; 20000 + 5000; A once

    # The steps and the publication as of earlier days.
    day = datetime.date(2023, 3, 27)
    before = by_code(result(3, day, Scope("district")).as_json())
    assert cases_of(before[STREET]) == (0, 0, "0.00", 0) and cases_of(before["shichang"]) == (0, 0, "0.00", 0)
    on_28 = by_code(result(3, datetime.date(2023, 3, 28), Scope("district")).as_json())
    assert cases_of(on_28["shichang"]) == (1, 0, "20000.00", 0)


def test_a_case_taken_off_the_exposure_page_no_longer_counts_from_that_day(outcomes):
    case = Case.get(Case.anchor == "n:上海某某消防培训中心")
    CaseEvent.create(case=case, action="unpublished", at=datetime.datetime(2023, 4, 1, 9, 0))
    assert result(3, D2, Scope("district")).as_json()["total"]["exposed"] == 1
    assert result(3, datetime.date(2023, 4, 1), Scope("district")).as_json()["total"]["exposed"] == 0
