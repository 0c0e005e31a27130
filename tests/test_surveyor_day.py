"""The surveyor's day as issue 8 found it broken (items 2-6, server side): a sale at a training flagged, the
building after saving, rows with flags and filters, the first wrong field, the conflict comparison, the sync
bar, and the small defects (progress columns, the chart of units not yet visited, favicon)."""
import re

import pytest

from domain.survey.record import parse_record
from domain.survey.units import floor_addresses, lay_out_building
from models import Org, Survey, Unit, db
from tests.conftest import COMMUNITY, COMMUNITY_2, negative_body, survey_body
from tests.test_survey_ui import building_page, full_record, record_form_fields, unit_row

HTMX = {"HX-Request": "true"}


@pytest.fixture
def surveyor(world, actions):
    actions.login("surveyor")
    return world["surveyor"]


def training(**fields):
    return {"institution": "上海某某消防培训中心", "trainer_identity": "institution", "mode": "gathering",
            "fee": "0", "products_pitched": False, "engineering_solicited": False, **fields}


def purchase_at_training_site(training_index=None):
    return {"product": "fire_blanket", "quantity": 1, "amount": "298", "channel": "training",
            "training": training_index}


# --- 3. a sale at a training ------------------------------------------------------------------------------------

def test_a_training_site_purchase_is_linked_to_the_only_training_and_flags_it(surveyor, actions):
    """培训现场 + 不关联培训 with one training: bought at that training, so it sells products (design 5)."""
    reply = actions.post_survey(survey_body(trainings=[training()], purchases=[purchase_at_training_site()]))
    assert reply.status_code == 201
    record = reply.get_json()
    assert record["purchases"][0]["training"] == 0
    assert record["trainings"][0]["flags"][0] == "sells_products" and record["suspect"] is True


def test_an_unlinked_training_site_purchase_asks_which_training_when_there_are_several(surveyor, actions):
    reply = actions.post_survey(survey_body(trainings=[training(), training(mode="online")],
                                            purchases=[purchase_at_training_site()]))
    assert reply.status_code == 422
    assert reply.get_json()["errors"]["purchases.0.training"] == "这条记录有多条培训，请选择这件产品是在哪条培训上买的"
    linked = actions.post_survey(survey_body(trainings=[training(), training(mode="online")],
                                             purchases=[purchase_at_training_site(1)]))
    assert linked.status_code == 201 and linked.get_json()["trainings"][1]["suspect"] is True


def test_the_form_shows_the_flag_before_saving_and_asks_which_training(surveyor, client):
    _, page = building_page(client)
    unit = Unit.get(Unit.address == "12号楼 101室")
    _, data = record_form_fields(client.get(f"/survey/units/{unit.id}/record").get_data(as_text=True))
    one = full_record(data, **{"trainings.0.trainer_identity": "institution", "trainings.0.mode": "gathering",
                               "trainings.0.fee": "0", "purchases.0.training": ""})
    preview = client.post("/survey/preview", data=one, headers=HTMX).get_data(as_text=True)
    assert "推销产品" in preview and "暂未发现风险提示" not in preview
    two = {**one, "trainings.1.mode": "online"}
    preview = client.post("/survey/preview", data=two, headers=HTMX).get_data(as_text=True)
    assert re.search(r'id="err-purchases-0-training" hx-swap-oob="true">这条记录有多条培训', preview)


# --- 4. after saving: the building at the unit, 下一户, flags, filters, the first wrong field ---------------------

def test_saving_goes_back_to_the_building_at_the_unit_and_offers_the_next_unvisited(surveyor, actions, client):
    url, _ = building_page(client)  # 12号楼 101, 102, 201, 202
    actions.post_survey(negative_body(address="12号楼 201室", outcome="absent"))
    unit = Unit.get(Unit.address == "12号楼 102室")
    _, data = record_form_fields(client.get(f"/survey/units/{unit.id}/record").get_data(as_text=True))
    response = client.post(f"/survey/units/{unit.id}/record", data=full_record(data))
    assert response.headers["Location"] == f"{url}?saved={unit.id}#unit-{unit.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    bar = re.search(r'<div id="saved-bar".*?</div>', page, re.S).group(0)
    after = Unit.get(Unit.address == "12号楼 202室")  # 201 was visited: the next door never visited is 202
    assert "已保存：12号楼 102室" in bar and f'href="#unit-{after.id}">下一户：12号楼 202室<' in bar


def test_when_every_unit_was_visited_there_is_no_next_door(surveyor, actions, client):
    url, _ = building_page(client)
    for address in ("12号楼 101室", "12号楼 102室", "12号楼 201室"):
        actions.post_survey(negative_body(address=address))
    unit = Unit.get(Unit.address == "12号楼 202室")
    _, data = record_form_fields(client.get(f"/survey/units/{unit.id}/record").get_data(as_text=True))
    page = client.get(client.post(f"/survey/units/{unit.id}/record", data=full_record(data)).headers["Location"])
    assert "这里的单位都走访过了" in page.get_data(as_text=True) and "下一户" not in page.get_data(as_text=True)


def test_a_shop_saved_goes_back_to_the_community_page_at_its_row(surveyor, client):
    client.post("/survey/units", data={"type": "shop", "address": "长宁路100号"})
    unit = Unit.get()
    _, data = record_form_fields(client.get(f"/survey/units/{unit.id}/record").get_data(as_text=True))
    response = client.post(f"/survey/units/{unit.id}/record", data=full_record(data, **{"unit.type": "shop"}))
    assert response.headers["Location"] == f"/survey/?community={COMMUNITY}&saved={unit.id}#unit-{unit.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存：长宁路100号" in page and "疑似冒牌培训" in unit_row(page, unit.id)


def test_rows_show_state_and_flags_and_what_can_be_done(surveyor, actions, client):
    url, _ = building_page(client)
    actions.post_survey(survey_body(unit={"type": "household", "address": "12号楼 101室"}))
    actions.post_survey(negative_body(address="12号楼 102室", outcome="refused"))
    page = client.get(url).get_data(as_text=True)
    units = {u.address: u.id for u in Unit.select()}

    positive = unit_row(page, units["12号楼 101室"])
    assert 'data-state="surveyed"' in positive
    for words in ("疑似冒牌培训", "推销产品", "上门收费", "冒充身份", ">更正</a>"):
        assert words in positive
    assert "已排摸·无培训无购买" not in positive  # visited: no one-tap visit offered again

    refused = unit_row(page, units["12号楼 102室"])
    assert 'data-state="refused"' in refused and "无人在家</button>" in refused and ">更正</a>" in refused
    assert "疑似" not in refused

    fresh = unit_row(page, units["12号楼 201室"])
    assert 'data-state="not_visited"' in fresh and "已排摸·无培训无购买" in fresh and "更正" not in fresh


def count_queries(monkeypatch):
    counter = {"n": 0}
    execute = type(db.obj).execute_sql

    def counting(self, sql, params=None, *args, **kwargs):
        counter["n"] += 1
        return execute(self, sql, params, *args, **kwargs)

    monkeypatch.setattr(type(db.obj), "execute_sql", counting)
    return counter


def test_a_building_page_reads_its_rows_flags_in_a_fixed_number_of_queries(surveyor, actions, client, monkeypatch):
    def flagged_building(name, floors):
        response = client.post("/survey/buildings", data={"name": name, "floors": str(floors), "per_floor": "2"})
        for address in floor_addresses(name, floors, 2):
            actions.post_survey(survey_body(unit={"type": "household", "address": address}))
        return response.headers["Location"]

    small, large = flagged_building("1号楼", 1), flagged_building("2号楼", 6)
    counter = count_queries(monkeypatch)
    client.get(small)
    few = counter["n"]
    counter["n"] = 0
    page = client.get(large).get_data(as_text=True)
    assert page.count("疑似冒牌培训</span>") == 12
    assert counter["n"] == few  # not one query more per unit


def test_a_building_can_be_narrowed_to_units_not_visited_or_not_reached(surveyor, actions, client):
    url, page = building_page(client)
    assert re.search(r'>全部 4</a>', page) and re.search(r'>未走访 4</a>', page)
    actions.post_survey(negative_body(address="12号楼 101室"))
    actions.post_survey(negative_body(address="12号楼 102室", outcome="absent"))
    actions.post_survey(negative_body(address="12号楼 201室", outcome="refused"))

    not_visited = client.get(url + "?show=not_visited").get_data(as_text=True)
    assert re.findall(r'<span class="addr"[^>]*>([^<]+)</span>', not_visited) == ["12号楼 202室"]
    assert 'aria-current="page">未走访 1</a>' in not_visited
    not_reached = client.get(url + "?show=not_reached").get_data(as_text=True)
    assert re.findall(r'<span class="addr"[^>]*>([^<]+)</span>', not_reached) == ["12号楼 102室", "12号楼 201室"]
    everything = client.get(url + "?show=nonsense").get_data(as_text=True)
    assert len(re.findall(r'<li class="unit"', everything)) == 4


def test_a_failed_save_focuses_the_first_wrong_field(surveyor, client):
    building_page(client)
    unit = Unit.get(Unit.address == "12号楼 101室")
    _, data = record_form_fields(client.get(f"/survey/units/{unit.id}/record").get_data(as_text=True))
    response = client.post(f"/survey/units/{unit.id}/record", data=full_record(
        data, **{"purchases.0.quantity": "0", "trainings.0.fee": "两百", "note": "x" * 3000}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.findall(r'<(?:input|select)[^>]*autofocus', page) == [
        re.search(r'<input[^>]*name="trainings.0.fee"[^>]*>', page).group(0)[:-1]]


@pytest.mark.parametrize("errors, first", [
    ({"note": "x", "purchases.0.amount": "x", "trainings.1.mode": "x"}, "trainings.1.mode"),
    ({"purchases.1.product": "x", "purchases.0.sample_available": "x"}, "purchases.0.sample_available"),
    ({"trainings.0.fee": "x", "trainings.0.institution": "x", "outcome": "x"}, "outcome"),
    ({"unit.name": "x", "unit.type": "x"}, "unit.type"),
    ({}, None),
])
def test_the_first_wrong_field_is_the_first_on_the_form(errors, first):
    from domain.survey.form import first_error

    assert first_error(errors) == first


# --- 2. the conflict screen's comparison --------------------------------------------------------------------------

def test_two_versions_of_a_record_side_by_side():
    from domain.survey import record_text

    mine, _ = parse_record(survey_body(note="楼下张阿姨说的"))
    theirs, _ = parse_record(survey_body(trainings=[], purchases=[], note=""))
    rows = {row["label"]: row for row in record_text.compare(mine, theirs)}
    assert list(rows)[:5] == ["走访结果", "地址", "单位类型", "单位名称", "走访时间"]
    assert not rows["走访结果"]["differs"] and rows["第1条培训"]["differs"]
    assert "上海某某消防培训中心" in rows["第1条培训"]["mine"] and rows["第1条培训"]["theirs"] == "—"
    assert rows["第1项购买"]["mine"].startswith("灭火器 × 2，560.00 元，培训现场（第1条培训）")
    assert (rows["备注"]["mine"], rows["备注"]["theirs"]) == ("楼下张阿姨说的", "—")


def test_the_conflict_comparison_shows_both_versions_in_scope_only(world, actions, client):
    actions.login("surveyor")
    stored = actions.post_survey(negative_body()).get_json()
    mine = {**negative_body(), "client_uuid": stored["client_uuid"], "outcome": "absent"}
    answer = client.post("/survey/conflicts/compare", json=mine)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<html" not in html
    assert re.search(r'<tr class="differs"><th scope="row">走访结果.*?<td>无人在家</td><td>已排摸</td>', html, re.S)
    assert f'data-survey-id="{stored["id"]}"' in html and "保留已保存的" in html and "用手机上的更正已保存的" in html
    assert "处理冲突的记录" in client.get("/survey/conflicts").get_data(as_text=True)
    actions.logout()
    actions.login("surveyor2")
    assert client.post("/survey/conflicts/compare", json=mine).status_code == 404


# --- 5. the sync bar is for the people who survey -----------------------------------------------------------------

@pytest.mark.parametrize("username, path, shown", [
    ("surveyor", "/survey/", True), ("surveyor", "/profile", True), ("street", "/survey/progress", True),
    ("street", "/tables/", False), ("district", "/cases/", False), ("department", "/cases/", False),
    ("department", "/profile", False),
])
def test_the_sync_bar_shows_only_where_people_survey(world, actions, client, username, path, shown):
    actions.login(username)
    page = client.get(path).get_data(as_text=True)
    assert ('id="outbox-status"' in page) is shown


# --- 6. small defects -------------------------------------------------------------------------------------------

def test_progress_counts_units_and_households_apart(surveyor, actions, client):
    building_page(client)  # four households
    client.post("/survey/units", data={"type": "shop", "address": "长宁路100号"})
    client.post("/survey/units", data={"type": "enterprise", "address": "长宁路102号"})
    page = client.get("/survey/progress").get_data(as_text=True)
    assert "<th class=\"num\">户数</th>" not in page
    assert '<th class="num">单位数</th><th class="num">其中居民户</th>' in page
    assert re.search(r'data-community="%s">.*?<td class="num">6</td><td class="num">4</td>' % COMMUNITY, page, re.S)


def test_the_chart_shows_units_laid_out_but_not_yet_visited(world, actions, client):
    with client.application.app_context():
        community = Org.get(Org.code == COMMUNITY_2)
        lay_out_building(world["surveyor2"], community, "5号楼", floor_addresses("5号楼", 6, 4))  # 24 units
    actions.login("street")
    page = client.get("/tables/").get_data(as_text=True)
    chart = re.search(r'aria-label="华阳二居委：[^"]*".*?</svg>', page, re.S).group(0)
    assert "未走访 24" in chart
    todo = re.search(r'<rect class="bar todo" x="[\d.]+" y="0" width="([\d.]+)"', chart)
    assert float(todo.group(1)) == 200.0  # the whole bar: all of its units are still to visit
    assert Survey.select().count() == 0


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/png" and response.data[:4] == b"\x89PNG"


def test_a_training_site_sale_with_no_training_recorded_asks_for_the_training(surveyor, client):
    building_page(client)
    unit = Unit.get(Unit.address == "12号楼 101室")
    _, data = record_form_fields(client.get(f"/survey/units/{unit.id}/record").get_data(as_text=True))
    sale = {key: value for key, value in full_record(data).items() if not key.startswith("trainings.")}
    sale["purchases.0.training"] = ""
    preview = client.post("/survey/preview", data=sale, headers=HTMX).get_data(as_text=True)
    assert "有产品是在培训现场买的，但还没有填写这条培训" in preview
    assert client.post(f"/survey/units/{unit.id}/record", data=sale).status_code == 303  # a hint, not a stop
