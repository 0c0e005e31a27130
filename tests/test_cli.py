"""The command line of design section 7, through Flask's CLI runner (as `flask --app app …` runs it)."""
from models import ApiToken, Org, Survey, User, UserSession
from tests.conftest import COMMUNITY, STREET


def test_init_db_is_safe_to_run_again(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "迁移 0 个" in result.output
    assert Org.get(Org.code == "310105").name == "长宁区"
    assert Org.select().where(Org.kind == "street").count() == 10  # 9 街道 and 新泾镇


def test_import_org_adds_communities_and_can_run_again(runner, tmp_path):
    csv = tmp_path / "orgs.csv"
    csv.write_text("code,name,parent_code\n310105001001,华阳一居委,310105001\n310105001002,华阳二居委,310105001\n",
                   encoding="utf-8")
    first = runner.invoke(args=["import-org", str(csv)])
    assert first.exit_code == 0 and "新增 2" in first.output
    again = runner.invoke(args=["import-org", str(csv)])
    assert again.exit_code == 0 and "新增 0，更新 0" in again.output
    community = Org.get(Org.code == "310105001001")
    assert (community.kind, community.parent_id) == ("community", STREET)


def test_import_org_rejects_a_bad_file_as_a_whole(runner, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("code,name,parent_code\n310105001001,华阳一居委,310105001\n310105001002,,310105001\n",
                   encoding="utf-8")
    result = runner.invoke(args=["import-org", str(csv)])
    assert result.exit_code != 0
    assert "第 3 行" in result.output and "名称不能为空" in result.output
    assert not Org.select().where(Org.code == "310105001001").exists()


def test_import_org_names_an_unknown_parent(runner, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("code,name,parent_code\n310199001001,某居委,310199001\n", encoding="utf-8")
    result = runner.invoke(args=["import-org", str(csv)])
    assert result.exit_code != 0 and "第 2 行" in result.output and "上级代码不存在" in result.output


def test_create_user_and_issue_token(world, runner, client):
    result = runner.invoke(args=["create-user", "wang", "--role", "surveyor", "--org", COMMUNITY,
                                 "--password", "s3cret-pass"])
    assert result.exit_code == 0, result.output
    assert User.get(User.username == "wang").org_id == COMMUNITY
    token = runner.invoke(args=["issue-token", "wang"]).output.strip().splitlines()[-1]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()["username"] == "wang"
    assert ApiToken.select().count() == 1


def test_create_user_asks_for_the_password(world, runner):
    result = runner.invoke(args=["create-user", "li", "--role", "street", "--org", STREET],
                           input="long-enough-1\nlong-enough-1\n")
    assert result.exit_code == 0, result.output
    assert User.get(User.username == "li").role == "street"


def test_create_user_refuses_a_role_at_the_wrong_kind_of_org(world, runner):
    result = runner.invoke(args=["create-user", "zhao", "--role", "surveyor", "--org", STREET,
                                 "--password", "s3cret-pass"])
    assert result.exit_code != 0 and "community" in result.output


def test_load_demo_prints_logins_and_runs_once(runner, client):
    first = runner.invoke(args=["load-demo"])
    assert first.exit_code == 0, first.output
    assert "juwei1" in first.output and "paimo-demo-2023" in first.output
    records = Survey.select().count()
    assert records > 0 and {u.role for u in User.select()} == {"surveyor", "street", "district", "department"}
    again = runner.invoke(args=["load-demo"])
    assert again.exit_code == 0 and Survey.select().count() == records
    assert client.post("/login", data={"username": "juwei1", "password": "paimo-demo-2023"}).status_code == 302
    assert UserSession.select().count() == 1


def test_backup_db_makes_a_checked_copy(runner, tmp_path):
    from tests.conftest import ON_POSTGRES

    result = runner.invoke(args=["backup-db", str(tmp_path / "copy.db")])
    if ON_POSTGRES:
        assert result.exit_code != 0 and "pg_dump" in result.output
    else:
        assert result.exit_code == 0 and "integrity_check: ok" in result.output
