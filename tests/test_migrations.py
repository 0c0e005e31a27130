"""init-db upgrades an existing database: the migrations after 0001 apply to a database holding data."""
import datetime
import uuid

import pytest
from playhouse.migrations import Runner

from commands import MIGRATIONS_DIR, upgrade_database
from models import Report, bind_database, db
from tests.conftest import ON_POSTGRES, _admin_sql, _pg_url


@pytest.fixture
def empty_database_url(tmp_path):
    if ON_POSTGRES:
        name = f"paimo_empty_{uuid.uuid4().hex[:12]}"
        _admin_sql(f'CREATE DATABASE "{name}"')
        yield _pg_url(name)
        db.close()
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path / 'old.db'}"
        db.close()


def test_an_existing_database_is_upgraded_with_its_data(empty_database_url):
    bind_database(empty_database_url)
    Runner(db.obj, MIGRATIONS_DIR).up(target="0001_initial")
    db.execute_sql("INSERT INTO org (code, name, kind, parent_id) VALUES ('310105', '长宁区', 'district', NULL)")
    db.execute_sql("INSERT INTO report (number, description, kinds, institution, institution_key, institution_phone, "
                   "phone_digits, place, amount_fen, contact, status, flags, suspect, created_at, updated_at) "
                   "VALUES ('230320-ABCDEF', '有人上门卖灭火器', '', '', '', '', '', '', 0, '', 'new', '', false, "
                   "'2023-03-20 10:00:00', '2023-03-20 10:00:00')")

    applied = upgrade_database()

    assert applied and applied[0] != "0001_initial"
    report = Report.get(Report.number == "230320-ABCDEF")
    assert report.description == "有人上门卖灭火器" and report.street_id is None
    assert upgrade_database() == []


def test_referrals_of_issue_3_become_referrals_of_cases(empty_database_url):
    from models import Case, CaseEvent, Referral

    bind_database(empty_database_url)
    Runner(db.obj, MIGRATIONS_DIR).up(target="0003_problem_list_decisions")
    db.execute_sql("INSERT INTO org (code, name, kind, parent_id) VALUES ('310105', '长宁区', 'district', NULL)")
    db.execute_sql("INSERT INTO department (code, name) VALUES ('xiaofang', '区消防救援支队')")
    for number, key, phone in (("230320-AAAAAA", "某某消防", ""), ("230320-BBBBBB", "", "")):
        db.execute_sql("INSERT INTO report (number, description, kinds, institution, institution_key, "
                       "institution_phone, phone_digits, place, amount_fen, contact, status, flags, suspect, "
                       f"created_at, updated_at) VALUES ('{number}', '上门收费', '', '{key}', '{key}', '', '{phone}', "
                       "'', 0, '', 'referred', '', true, '2023-03-20 10:00:00', '2023-03-20 10:00:00')")
        db.execute_sql("INSERT INTO referral (department_id, report_id, institution_key, referred_at, status, note, "
                       f"updated_at) SELECT 'xiaofang', id, '', '2023-03-21 09:00:00', 'referred', '请查处', "
                       f"'2023-03-21 09:00:00' FROM report WHERE number = '{number}'")

    upgrade_database()

    named, anonymous = Referral.select().order_by(Referral.id)
    assert named.case.anchor == "n:某某消防" and named.case.kind == "institution"
    assert anonymous.case.anchor.startswith("r:") and anonymous.case.kind == "report"
    events = list(CaseEvent.select().order_by(CaseEvent.id))
    assert [(e.action, e.note, str(e.at)) for e in events] == [("referred", "请查处", "2023-03-21 09:00:00")] * 2
    assert Case.select().count() == 2


def test_the_records_of_a_database_of_one_district_are_kept_and_placed_when_it_is_upgraded(empty_database_url):
    # Issue 17: the kept state is filled from the records already stored, and departments, reports and leads are
    # placed in the deployment's one district, so that nothing of an existing deployment is lost or hidden.
    from domain.casework import institutions, mentions
    from domain.survey import unit_state
    from models import Department, Lead

    bind_database(empty_database_url)
    Runner(db.obj, MIGRATIONS_DIR).up(target="0007_money_bigint")
    for code, name, kind, parent in (("310105", "长宁区", "district", None), ("310105001", "华阳路街道", "street", "310105"),
                                     ("310105001001", "华阳一居委", "community", "310105001")):
        db.execute_sql(f"INSERT INTO org (code, name, kind, parent_id) VALUES ({db.obj.param}, {db.obj.param}, "
                       f"{db.obj.param}, {db.obj.param})", (code, name, kind, parent))
    db.execute_sql("INSERT INTO department (code, name) VALUES ('xiaofang', '区消防救援支队')")
    db.execute_sql("INSERT INTO unit (community_id, address, address_key, type, name, position, created_at) VALUES "
                   "('310105001001', '长宁路1号', '长宁路1号', 'household', '', 0, '2023-03-01 09:00:00')")
    db.execute_sql("INSERT INTO survey (client_uuid, unit_id, community_id, visited_at, outcome, unit_type, unit_name, "
                   "note, trained, suspect, body_hash, created_at, updated_at) SELECT "
                   "'0d6f1e2a-6b3a-4c55-9d7e-0d2b8f0c9a11', id, '310105001001', '2023-03-20 10:00:00', 'surveyed', "
                   "'household', '', '', true, true, 'x', '2023-03-20 10:00:00', '2023-03-20 10:00:00' FROM unit")
    db.execute_sql("INSERT INTO training (survey_id, position, institution, institution_key, institution_phone, "
                   "phone_digits, trainer_identity, mode, fee_fen, content, products_pitched, engineering_solicited, "
                   "flags, suspect, institution_nature, pitched_products) SELECT id, 0, '某某消防', '某某消防', '', '', "
                   "'firefighter', 'door_to_door', 20000, '', true, false, 'sells_products', true, 'unknown', '' "
                   "FROM survey")
    db.execute_sql("INSERT INTO report (number, street_id, description, kinds, institution, institution_key, "
                   "institution_phone, phone_digits, place, amount_fen, contact, status, flags, suspect, created_at, "
                   "updated_at) VALUES ('230320-ABCDEF', '310105001', '上门收费', '', '某某消防', '某某消防', '', '', '', 0, "
                   "'', 'new', '', true, '2023-03-21 10:00:00', '2023-03-21 10:00:00')")

    upgrade_database()

    assert unit_state.differences() == [] and mentions.differences() == []
    assert unit_state.figures_as_of(datetime.date(2023, 3, 31))["310105001001"]["suspect"] == 1
    [institution] = institutions.problem_list(datetime.date(2023, 3, 31))
    assert institution.name == "某某消防" and len(institution.mentions) == 2
    assert Department.get_by_id("xiaofang").district_id == "310105"
    assert Report.get(Report.number == "230320-ABCDEF").district_id == "310105"
    assert Lead.select().count() == 0
