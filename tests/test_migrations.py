"""init-db upgrades an existing database: the migrations after 0001 apply to a database holding data."""
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
