"""The roster (底数清单, issue 18; design section 11): an import replaces the roster of each 居委 in it, previewed
first and applied whole or not at all; coverage as of any day is kept beside the other figures."""
import datetime

from domain.roster import coverage, imports
from domain.survey import unit_state
from models import AuditLog, Building, Org, RosterSpan, Unit, db
from tests.conftest import COMMUNITY, COMMUNITY_2, OTHER_COMMUNITY, STREET
from tests.test_kept_state import DAY, store

ROWS = [(2, COMMUNITY, "", "仙霞路350弄3号201室", "", "", ""),
        (3, COMMUNITY, "", "仙霞路350弄3号202室", "居民户", "", ""),
        (4, "", "华阳二居委", "长宁路100号", "沿街商铺", "某某五金店", "")]


def imported(user, rows, day=DAY):
    planned = imports.plan(user, rows)
    assert not planned.errors, planned.errors
    return imports.apply(user, planned, today=day)


def test_an_import_adds_its_units_then_the_same_file_changes_nothing(app, world):
    with app.app_context():
        user = world["street"]
        assert imported(user, ROWS) == {"added": 3, "unchanged": 0, "changed": 0, "retired": 0, "errors": []}
        shop = Unit.get(Unit.address_key == "长宁路100号")
        assert (shop.community_id, shop.type, shop.name) == (COMMUNITY_2, "shop", "某某五金店")
        assert Building.get_by_id(Unit.get(Unit.address_key == "仙霞路350弄3号201室").building_id).name == "仙霞路350弄3号"
        again = imports.plan(user, ROWS)
        assert again.figures() == {"added": 0, "unchanged": 3, "changed": 0, "retired": 0, "errors": []}
        assert imports.apply(user, again, today=DAY + datetime.timedelta(days=1))["unchanged"] == 3
        assert RosterSpan.select().count() == 3
        assert unit_state.differences() == []
        assert "新增 3" in AuditLog.get(AuditLog.action == "import_roster").detail
        db.close()


def test_a_new_roster_of_a_居委_retires_what_it_drops_and_leaves_other_居委_alone(app, world):
    with app.app_context():
        user = world["street"]
        imported(user, ROWS)
        later = DAY + datetime.timedelta(days=5)
        planned = imports.plan(user, [(2, COMMUNITY, "", "仙霞路350弄3号201室", "沿街商铺", "小店", ""),
                                      (3, COMMUNITY, "", "仙霞路350弄3号203室", "", "", "")])
        assert planned.figures() == {"added": 1, "unchanged": 0, "changed": 1, "retired": 1, "errors": []}
        imports.apply(user, planned, today=later)
        assert unit_state.differences() == []
        before, after = (unit_state.figures_as_of(d) for d in (later - datetime.timedelta(days=1), later))
        assert (before[COMMUNITY]["roster"], after[COMMUNITY]["roster"]) == (2, 2)
        assert before[COMMUNITY_2]["roster"] == after[COMMUNITY_2]["roster"] == 1  # not in the file: untouched
        assert Unit.select().count() == 4  # a retired unit stays, with its records
        # Added back: the same unit, on the roster again.
        imported(user, ROWS, day=later + datetime.timedelta(days=1))
        assert Unit.select().count() == 4 and RosterSpan.select().count() == 5
        assert unit_state.differences() == []
        db.close()


def test_bad_rows_are_each_named_and_nothing_is_applied(app, world):
    with app.app_context():
        planned = imports.plan(world["street"], ROWS + [
            (5, OTHER_COMMUNITY, "", "江苏路1号", "", "", ""),  # another street's: unknown to this one
            (6, "", "没有这个居委", "长宁路1号", "", "", ""),
            (7, COMMUNITY, "", "", "", "", ""),
            (8, COMMUNITY, "", "长宁路9号", "宾馆", "", ""),
            (9, COMMUNITY, "", "仙霞路350弄 3号201室", "", "", "")])  # the same unit as row 2
        assert [(e.row, e.field) for e in planned.errors] == [
            (5, "community"), (6, "community"), (7, "address"), (8, "type"), (9, "address")]
        assert "未知居委代码" in planned.errors[0].message and "第 2 行" in planned.errors[4].message
        assert Unit.select().count() == 0 and RosterSpan.select().count() == 0
        db.close()


def test_coverage_counts_the_units_on_the_roster_by_their_latest_records(app, world):
    with app.app_context():
        imported(world["street"], ROWS, day=DAY - datetime.timedelta(days=1))
        store(world["surveyor"], address="仙霞路350弄3号201室", outcome="surveyed", day=0)
        store(world["surveyor"], address="仙霞路350弄3号202室", outcome="absent", day=1)
        store(world["surveyor"], address="仙霞路350弄5号101室", outcome="surveyed", day=1)  # 清单外
        found = coverage.coverage(DAY + datetime.timedelta(days=1), [STREET])
        street = found["rows"][0]
        first = street["communities"][0]
        assert {k: first[k] for k in coverage.KEYS} == {
            "roster": 2, "visited": 2, "surveyed": 1, "not_reached": 1, "not_visited": 0, "off_roster": 1,
            "coverage": "50.0"}
        second = next(c for c in street["communities"] if c["code"] == COMMUNITY_2)
        assert (second["roster"], second["visited"], second["coverage"]) == (1, 0, "0.0")
        assert (street["roster"], street["surveyed"], street["coverage"]) == (3, 1, "33.3")
        assert found["total"]["roster"] == 3
        earlier = coverage.coverage(DAY, [STREET])["rows"][0]["communities"][0]
        assert (earlier["visited"], earlier["surveyed"], earlier["not_visited"]) == (1, 1, 1)
        assert coverage.coverage(DAY - datetime.timedelta(days=2), [STREET])["total"]["roster"] == 0
        assert [c["code"] for c in street["communities"]] == [o.code for o in Org[STREET].communities()
                                                              .order_by(Org.code)]
        db.close()


def test_a_share_is_rounded_half_up_to_one_decimal():
    assert coverage.percent(1, 3) == "33.3" and coverage.percent(2, 3) == "66.7"
    assert coverage.percent(1, 8) == "12.5" and coverage.percent(1, 16) == "6.3"  # 6.25 → 6.3
    assert coverage.percent(0, 0) == "0.0" and coverage.percent(5, 5) == "100.0"


def test_the_api_previews_imports_and_refuses_a_file_with_a_bad_row_whole(client, actions, world):
    actions.login("street")
    rows = [{"community": COMMUNITY, "address": "仙霞路350弄3号201室"},
            {"community": "华阳二居委", "address": "长宁路100号", "type": "shop", "name": "某某五金店"}]
    dry = actions.post_json("/api/v1/roster?dry_run=1", {"rows": rows})
    assert dry.status_code == 200 and dry.get_json() == {"added": 2, "unchanged": 0, "changed": 0, "retired": 0,
                                                          "errors": []}
    assert Unit.select().count() == 0
    bad = actions.post_json("/api/v1/roster", {"rows": rows + [{"community": OTHER_COMMUNITY, "address": "江苏路1号"}]})
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == [{"row": 3, "field": "community", "message": f"未知居委代码：{OTHER_COMMUNITY}"}]
    assert Unit.select().count() == 0
    done = actions.post_json("/api/v1/roster", {"rows": rows})
    assert done.status_code == 200 and done.get_json()["added"] == 2 and RosterSpan.select().count() == 2
    assert actions.post_json("/api/v1/roster", {"rows": "no"}).status_code == 422


def test_coverage_through_the_api_keeps_to_the_callers_streets(client, actions, world):
    actions.login("street")
    actions.post_json("/api/v1/roster", {"rows": [{"community": COMMUNITY, "address": "仙霞路1号"}]})
    found = client.get("/api/v1/coverage").get_json()
    assert [row["code"] for row in found["rows"]] == [STREET] and found["total"]["roster"] == 1
    assert found["rows"][0]["communities"][0]["coverage"] == "0.0"
    assert client.get("/api/v1/coverage?street=310105002").status_code == 404
    assert client.get("/api/v1/coverage?as_of=2023-13-01").status_code == 422
    actions.logout()
    actions.login("district")
    assert len(client.get("/api/v1/coverage").get_json()["rows"]) > 1
    actions.logout()
    actions.login("surveyor")
    assert client.get("/api/v1/coverage").status_code == 404
    assert actions.post_json("/api/v1/roster", {"rows": []}).status_code == 404


def test_the_command_line_imports_a_file_and_dry_runs_it(app, world, runner, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("居委代码,地址,单位类型\n310105001001,仙霞路350弄3号201室,居民户\n310105001001,长宁路1号,商铺\n"
                     .encode("gb18030"))
    result = runner.invoke(args=["import-roster", str(path)])
    assert result.exit_code == 1 and "第 3 行 单位类型：未知单位类型：商铺" in result.output
    path.write_bytes("居委代码,地址,单位类型\n310105001001,仙霞路350弄3号201室,居民户\n310105001001,长宁路1号,沿街商铺\n"
                     .encode("gb18030"))
    result = runner.invoke(args=["import-roster", str(path), "--dry-run"])
    assert result.exit_code == 0 and "新增 2" in result.output and "未写入" in result.output, result.output
    with app.app_context():
        assert RosterSpan.select().count() == 0
    result = runner.invoke(args=["import-roster", str(path)])
    assert result.exit_code == 0 and "已导入" in result.output
    with app.app_context():
        assert RosterSpan.select().count() == 2 and unit_state.differences() == []
        db.close()


def test_a_street_previews_a_file_fixes_its_bad_rows_and_confirms(client, actions, world):
    import io
    import re
    actions.login("street")
    assert "导入底数清单" in client.get("/roster/").get_data(as_text=True)
    bad = ("居委,地址,单位类型\n华阳一居委,仙霞路1号,居民户\n华阳一居委,,居民户\n华阳二居委,长宁路2号,宾馆\n").encode("gb18030")
    answer = client.post("/roster/preview", data={"file": (io.BytesIO(bad), "清单.csv")},
                         content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "有 2 行有误" in html and "地址不能为空" in html and "未知单位类型：宾馆" in html
    assert "确认导入" not in html and RosterSpan.select().count() == 0
    good = bad.replace("华阳一居委,,居民户".encode("gb18030"), "华阳一居委,仙霞路3号,居民户".encode("gb18030")) \
        .replace("宾馆".encode("gb18030"), "沿街商铺".encode("gb18030"))
    answer = client.post("/roster/preview", data={"file": (io.BytesIO(good), "清单.csv")},
                         content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "确认导入" in html and RosterSpan.select().count() == 0
    token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)
    done = client.post("/roster/confirm", data={"token": token})
    assert done.status_code == 303 and RosterSpan.select().count() == 3
    page = client.get("/roster/").get_data(as_text=True)
    assert "底数清单已导入：新增 3" in page and 'data-community="310105001001"' in page
    assert client.post("/roster/confirm", data={"token": token}).status_code == 303  # used: says it expired
    assert RosterSpan.select().count() == 3


def test_the_template_is_one_tap_away_and_a_file_that_is_not_a_spreadsheet_is_refused(client, actions, world):
    import io
    actions.login("street")
    template = client.get("/roster/template.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    answer = client.post("/roster/preview", data={"file": (io.BytesIO(b"%PDF-1.4 ..."), "a.pdf")},
                         content_type="multipart/form-data")
    assert answer.status_code == 422 and "不是 .xlsx 或 CSV" in answer.get_data(as_text=True)
    actions.logout()
    actions.login("surveyor")
    assert client.get("/roster/").status_code == 404


def test_the_not_visited_list_of_a_居委_by_building_as_json_and_as_a_workbook(client, actions, world):
    import io

    import openpyxl
    actions.login("street")
    rows = [{"community": COMMUNITY, "address": address} for address in
            ("仙霞路350弄10号101室", "仙霞路350弄3号1001室", "仙霞路350弄3号201室", "仙霞路350弄2号101室")]
    assert actions.post_json("/api/v1/roster", {"rows": rows}).status_code == 200
    actions.logout()
    actions.login("surveyor")
    listed = client.get(f"/api/v1/roster/{COMMUNITY}/not-visited").get_json()
    assert [u["address"] for u in listed["units"]] == [
        "仙霞路350弄2号101室", "仙霞路350弄3号201室", "仙霞路350弄3号1001室", "仙霞路350弄10号101室"]
    assert listed["units"][0]["building"] == "仙霞路350弄2号"
    store(world["surveyor"], address="仙霞路350弄3号201室", outcome="absent", day=0)
    today = client.get(f"/api/v1/roster/{COMMUNITY}/not-visited").get_json()["units"]
    assert len(today) == 3  # visited, even if nobody was in: off the list
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/v1/roster/{COMMUNITY}/not-visited.xlsx").data))
    sheet = book["未走访清单"]
    assert "华阳一居委 未走访清单" in sheet["A1"].value and sheet["C3"].value == "仙霞路350弄2号101室"
    assert sheet.max_row == 2 + 3
    assert client.get(f"/api/v1/roster/{COMMUNITY_2}/not-visited").status_code == 404  # another 居委's
    assert client.get(f"/api/v1/roster/{COMMUNITY}/not-visited?as_of=nope").status_code == 422


def test_table1_ends_with_the_roster_and_its_coverage_per_street_and_居委(app, world):
    from domain.reporting.tables import table1
    with app.app_context():
        imported(world["street"], ROWS, day=DAY - datetime.timedelta(days=1))
        store(world["surveyor"], address="仙霞路350弄3号201室", outcome="surveyed", day=0)
        store(world["surveyor"], address="长宁路100号", outcome="refused", day=0)
        result = table1(DAY)
        found = result.as_json()
        street = next(r for r in found["rows"] if r["code"] == STREET)
        assert list(street)[-2:] == ["roster", "coverage"]
        assert (street["roster"], street["coverage"], street["surveyed"]) == (3, "33.3", 1)
        other = next(r for r in found["rows"] if r["code"] != STREET)
        assert (other["roster"], other["coverage"]) == (0, "0.0")
        assert (found["total"]["roster"], found["total"]["coverage"]) == (3, "33.3")
        communities = {d.key: d.figures for d in result.details}  # the 居委 rows (the workbook's second sheet)
        assert (communities[COMMUNITY]["roster"], str(communities[COMMUNITY]["coverage"])) == (2, "50.0")
        assert (communities[COMMUNITY_2]["roster"], str(communities[COMMUNITY_2]["coverage"])) == (1, "0.0")
        db.close()


def test_a_unit_found_at_the_door_is_清单外_until_the_street_adds_it_in_one_step(client, actions, world):
    actions.login("street")
    actions.post_json("/api/v1/roster", {"rows": [{"community": COMMUNITY, "address": "仙霞路1号"}]})
    with client.application.app_context():
        store(world["surveyor"], address="仙霞路1号", outcome="surveyed", day=0)
        found = store(world["surveyor"], address="仙霞路9号", outcome="surveyed", day=0)  # not on the roster
        db.close()
    page = client.get("/roster/").get_data(as_text=True)
    assert "清单外单位（1）" in page and "仙霞路9号" in page
    first = client.get("/api/v1/coverage").get_json()["rows"][0]["communities"][0]
    assert (first["roster"], first["surveyed"], first["off_roster"]) == (1, 1, 1)
    assert client.post("/roster/add", data={"unit": [str(found.unit_id)]}).status_code == 303
    first = client.get("/api/v1/coverage").get_json()["rows"][0]["communities"][0]
    assert (first["roster"], first["surveyed"], first["off_roster"], first["coverage"]) == (2, 2, 0, "100.0")
    assert "off-roster-title" not in client.get("/roster/").get_data(as_text=True)
    with client.application.app_context():
        assert unit_state.differences() == []
        db.close()
    actions.logout()
    actions.login("other_street")
    assert client.post("/roster/add", data={"unit": [str(found.unit_id)]}).status_code == 303  # not its own
    assert RosterSpan.select().count() == 2


def test_the_home_pages_and_the_progress_page_show_the_roster_and_its_coverage(client, actions, world):
    actions.login("street")
    actions.post_json("/api/v1/roster", {"rows": [{"community": COMMUNITY, "address": "仙霞路1号"},
                                                  {"community": COMMUNITY, "address": "仙霞路2号"}]})
    assert "底数 2 · 覆盖率 0.0%" in client.get("/").get_data(as_text=True)  # a roster and no visits: 0%
    with client.application.app_context():
        store(world["surveyor"], address="仙霞路1号", outcome="surveyed", day=0)
        db.close()
    assert "底数 2 · 覆盖率 50.0%" in client.get("/").get_data(as_text=True)
    progress = client.get("/survey/progress").get_data(as_text=True)
    assert "<th class=\"num\">覆盖率（%）</th>" in progress and "<td class=\"num\">50.0</td>" in progress
    actions.logout()
    actions.login("district")
    assert "底数 2 · 覆盖率 50.0%" in client.get("/").get_data(as_text=True)  # the street's row


def test_the_districts_progress_page_is_per_street_then_one_streets_居委(client, actions, world):
    actions.login("district")
    page = client.get("/survey/progress").get_data(as_text=True)
    assert "<th>街镇</th>" in page and f"/survey/progress?street={STREET}" in page and "华阳一居委" not in page
    street = client.get(f"/survey/progress?street={STREET}").get_data(as_text=True)
    assert "<th>居委</th>" in street and "华阳一居委" in street and "江苏路" not in street
    actions.logout()
    actions.login("street")
    assert "华阳一居委" in client.get("/survey/progress").get_data(as_text=True)  # one street: its 居委 at once
