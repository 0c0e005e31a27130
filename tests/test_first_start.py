"""The demo never lands in a real database, and workers starting together agree on one secret key
(issue 11 item 10)."""
import multiprocessing
import os

import pytest

import app as app_module
from domain.public import posters
from models import Survey, User
from tests.conftest import COMMUNITY


def demo_users():
    return User.select().where(User.username.in_(["juwei1", "quban"])).count()


def test_load_demo_refuses_a_database_with_real_users(world, runner):
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code != 0
    assert "拒绝载入演示数据" in result.output and "7 个用户" in result.output and "--force" in result.output
    assert demo_users() == 0


def test_load_demo_refuses_a_database_with_real_communities_or_reports(runner, tmp_path):
    csv = tmp_path / "orgs.csv"
    csv.write_text("code,name,parent_code\n310105002001,江苏一居委,310105002\n", encoding="utf-8")
    assert runner.invoke(args=["import-org", str(csv)]).exit_code == 0
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code != 0 and "1 个居委" in result.output
    assert demo_users() == 0


def test_load_demo_refuses_a_database_with_posters(runner):
    from domain.org.org_import import import_orgs

    import_orgs(f"code,name,parent_code\n{COMMUNITY},华阳一居委,310105001\n")
    posters.create_poster(None, COMMUNITY, "3号楼门厅")
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code != 0 and "1 张海报" in result.output


def test_load_demo_with_force_loads_anyway(world, runner):
    result = runner.invoke(args=["load-demo", "--force"])
    assert result.exit_code == 0, result.output
    assert demo_users() == 2 and Survey.select().count() > 0


def test_make_run_can_run_again_after_people_tried_the_demo(runner):
    """`make run` calls load-demo on every start: once the demo is there it adds nothing and says so."""
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    runner.invoke(args=["create-user", "wang", "--role", "surveyor", "--org", "310105001001",
                        "--password", "s3cret-pass"])
    again = runner.invoke(args=["load-demo"])
    assert again.exit_code == 0 and "早已载入" in again.output


# --- instance/secret_key ----------------------------------------------------------------------------------------

def test_a_start_that_lost_the_race_reads_the_winners_key(tmp_path, monkeypatch):
    winner = app_module._instance_secret(str(tmp_path))
    # The loser checked for the file just before the winner created it.
    monkeypatch.setattr(app_module.os.path, "exists", lambda path: False)
    assert app_module._instance_secret(str(tmp_path)) == winner
    monkeypatch.undo()
    assert (tmp_path / "secret_key").read_text().strip() == winner
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert sorted(os.listdir(tmp_path)) == ["secret_key"]


def _start(instance, barrier, results):
    barrier.wait()
    results.put(app_module._instance_secret(instance))


@pytest.mark.parametrize("round_", range(3))
def test_workers_starting_together_on_a_fresh_instance_agree(tmp_path, round_):
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(8), context.Queue()
    workers = [context.Process(target=_start, args=(str(tmp_path), barrier, results)) for _ in range(8)]
    for worker in workers:
        worker.start()
    keys = {results.get(timeout=20) for _ in workers}
    for worker in workers:
        worker.join(10)
    assert len(keys) == 1 and len(keys.pop()) == 64
