"""Backups that restore (issue 11; docs/deploy.md, Backups): the copy is restored and the data read back
through the app — users who can log in, survey records, residents' reports.

Each engine's run proves its own way: on SQLite `flask --app app backup-db FILE` and the file copied into
place; on PostgreSQL `pg_dump -Fc` and `pg_restore` into a new database of the throwaway cluster.
"""
import os
import shutil
import subprocess
import uuid

import pytest

from domain.public import reports
from models import close_database
from tests.conftest import ON_POSTGRES, PASSWORD, _admin_sql, _pg_url, survey_body

DEPLOY_MD = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "deploy.md")


def _database_name(url):
    return url.rsplit("/", 1)[1]


@pytest.fixture
def restored_url(database_url, runner, tmp_path):
    """Back the test's database up and restore the copy as docs/deploy.md says; yields the restored URL."""
    if not ON_POSTGRES:
        result = runner.invoke(args=["backup-db", str(tmp_path / "backup.db")])
        assert result.exit_code == 0 and "integrity_check: ok" in result.output, result.output
        restored = tmp_path / "restored" / "paimo.db"
        restored.parent.mkdir()
        shutil.copyfile(tmp_path / "backup.db", restored)
        yield f"sqlite:///{restored}"
        return
    dump = tmp_path / "paimo.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), _database_name(database_url)], check=True, timeout=120)
    name = f"paimo_restored_{uuid.uuid4().hex[:8]}"
    subprocess.run(["createdb", name], check=True, timeout=60)
    try:
        subprocess.run(["pg_restore", "--no-owner", "-d", name, str(dump)], check=True, timeout=120)
        yield _pg_url(name)
    finally:
        close_database()
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_deploy_md_gives_the_backup_commands_this_test_runs():
    with open(DEPLOY_MD, encoding="utf-8") as fh:
        doc = fh.read()
    for command in ("flask --app app backup-db", "pg_dump -Fc -f", "createdb", "pg_restore --no-owner"):
        assert command in doc, command


def test_a_backup_restores_and_reads_back(app, world, actions, client, make_app, tmp_path, request):
    actions.login("surveyor")
    record = actions.post_survey(survey_body()).get_json()
    with app.app_context():
        values, _ = reports.parse_report({"kinds": ["door_to_door_fee"], "description": "上门收费，说是消防员"})
        number = reports.submit_report(values, [], app.config["UPLOAD_DIR"]).number
    users = sorted(world)

    restored = make_app(DATABASE_URL=request.getfixturevalue("restored_url"))
    reader = restored.test_client()
    assert reader.post("/login", data={"username": "surveyor", "password": PASSWORD}).status_code == 302
    assert reader.get(f"/api/v1/surveys/{record['id']}").get_json() == record
    assert reader.get("/r/status", query_string={"number": number}).status_code == 200
    with restored.app_context():
        from models import Report, User

        assert sorted(u.username for u in User.select()) == users
        assert Report.get(Report.number == number).description == "上门收费，说是消防员"
