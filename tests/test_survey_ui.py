"""The survey screens as a worker uses them: buildings, one-tap visits, the full record form, today's
records with corrections, and progress; scope (404 outside it) and Chinese messages at the fields."""
import re
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from domain.survey.form import count_items, form_to_body, record_to_form
from models import AuditLog, Survey, Unit
from tests.conftest import COMMUNITY, COMMUNITY_2, OTHER_COMMUNITY, negative_body, survey_body

HTMX = {"HX-Request": "true"}


# --- the form is the API record, field by field --------------------------------------------------------------

def test_a_form_becomes_the_api_record_generically():
    form = MultiDict([
        ("csrf_token", "x"), ("client_uuid", "u"), ("community", COMMUNITY), ("unit.type", "shop"),
        ("unit.address", "长宁路100号"), ("outcome", "surveyed"),
        ("trainings.0.mode", "door_to_door"), ("trainings.0.fee", "200"), ("trainings.0.products_pitched", "true"),
        ("trainings.1.mode", "online"),
        ("purchases.0.product", "fire_blanket"), ("purchases.0.training", "1"), ("purchases.0.ccc_mark", ""),
    ])
    assert form_to_body(form) == {
        "client_uuid": "u", "community": COMMUNITY, "unit": {"type": "shop", "address": "长宁路100号"},
        "outcome": "surveyed",
        "trainings": [{"mode": "door_to_door", "fee": "200", "products_pitched": "true"}, {"mode": "online"}],
        "purchases": [{"product": "fire_blanket", "training": "1", "ccc_mark": ""}],
    }


def test_a_block_added_and_left_blank_at_the_end_is_no_item():
    form = MultiDict([("trainings.0.mode", "online"), ("trainings.1.mode", ""), ("trainings.1.fee", ""),
                      ("purchases.0.product", ""), ("purchases.0.quantity", "")])
    body = form_to_body(form)
    assert body["trainings"] == [{"mode": "online"}] and body["purchases"] == []


def test_a_stored_record_fills_the_form_back_in():
    values = record_to_form({**survey_body(), "note": None})
    assert values["trainings.0.products_pitched"] == "true" and values["purchases.0.id_label"] == ""
    assert values["purchases.0.training"] == "0" and values["note"] == ""
    assert count_items(values, "trainings") == 1 and count_items(values, "purchases") == 1


# --- helpers: what the worker's browser would send ---------------------------------------------------------------

class Forms(HTMLParser):
    """The forms of a page: [(action, attributes, [(name, value) of hidden inputs and the like])]."""

    def __init__(self, html):
        super().__init__()
        self.forms = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action"), attrs, []))
        elif tag == "input" and self.forms and attrs.get("type") == "hidden":
            self.forms[-1][2].append((attrs["name"], attrs.get("value", "")))


def one_tap_form(html, outcome, address=None):
    """The hidden fields of the one-tap form for `outcome` (of the unit at `address`)."""
    for action, attrs, fields in Forms(html).forms:
        data = dict(fields)
        if data.get("outcome") == outcome and (address is None or data.get("unit.address") == address):
            assert attrs.get("data-outbox") == "survey" and attrs.get("method") == "post"
            return action, data
    raise AssertionError(f"no one-tap form for {outcome} {address}")


def record_form_fields(html):
    for action, attrs, fields in Forms(html).forms:
        if attrs.get("data-outbox") == "survey":
            return action, dict(fields)
    raise AssertionError("no record form")


def unit_row(html, unit_id):
    """The markup of one unit's row on a building page."""
    match = re.search(r'<li class="unit" id="unit-%d".*?</li>' % unit_id, html, re.S)
    assert match, f"no row for unit {unit_id}"
    return match.group(0)


def error_at(html, name):
    match = re.search(r'id="err-%s">([^<]*)<' % re.escape(name.replace(".", "-")), html)
    return match.group(1) if match else None


@pytest.fixture
def surveyor(world, actions):
    actions.login("surveyor")
    return world["surveyor"]


def lay_out(client, name="12号楼", floors="2", per_floor="2", community=None):
    data = {"name": name, "floors": floors, "per_floor": per_floor}
    if community:
        data["community"] = community
    return client.post("/survey/buildings", data=data)


def building_page(client, name="12号楼"):
    response = lay_out(client, name)
    assert response.status_code == 303
    return response.headers["Location"], client.get(response.headers["Location"]).get_data(as_text=True)


# --- 1. the 居委 and its buildings --------------------------------------------------------------------------------

def test_a_worker_lays_out_a_building_and_sees_its_rooms(surveyor, client):
    url, page = building_page(client)
    assert "/survey/buildings/" in url
    for room in ("12号楼 101室", "12号楼 102室", "12号楼 201室", "12号楼 202室"):
        assert room in page
    assert page.count('<span class="badge not_visited">未走访</span>') == 4
    index = client.get("/survey/").get_data(as_text=True)
    assert "华阳一居委" in index and "12号楼" in index and "已排摸 0 / 4" in index


def test_laying_out_the_same_building_twice_does_not_duplicate_units(surveyor, client):
    building_page(client)
    building_page(client)
    assert Unit.select().count() == 4


def test_all_workers_of_the_community_see_the_same_units(world, actions, client):
    actions.login("surveyor")
    url, _ = building_page(client)
    actions.logout()
    actions.login("surveyor2")  # another 居委
    assert client.get(url).status_code == 404
    actions.logout()
    from domain.org import accounts
    accounts.create_user("colleague", "surveyor", COMMUNITY, "correct-horse-1", "pbkdf2:sha256:1000")
    actions.login("colleague")
    assert "12号楼 202室" in client.get(url).get_data(as_text=True)


def test_a_bad_layout_is_422_with_the_message_at_its_field(surveyor, client):
    response = lay_out(client, floors="0")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_at(page, "layout-floors") == "楼层数应在 1 到 99 之间"
    assert Unit.select().count() == 0


def test_pasting_addresses_lays_out_those(surveyor, client):
    response = client.post("/survey/buildings", data={"name": "3弄", "addresses": "长宁路3弄1号\n长宁路3弄2号\n"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "长宁路3弄1号" in page and "长宁路3弄2号" in page


def test_a_shop_is_added_by_address(surveyor, client):
    response = client.post("/survey/units", data={"type": "shop", "address": "长宁路100号", "name": "某某便利店"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "长宁路100号" in page and "某某便利店" in page and "沿街商铺和单位" in page
    bad = client.post("/survey/units", data={"type": "shop", "address": ""})
    assert bad.status_code == 422 and error_at(bad.get_data(as_text=True), "unit-address") == "请填写地址"


def test_a_street_user_picks_a_community_of_their_street(world, actions, client):
    actions.login("street")
    page = client.get("/survey/").get_data(as_text=True)
    assert "选择居委" in page and "华阳一居委" in page and "华阳二居委" in page and "江苏一居委" not in page
    assert lay_out(client, community=COMMUNITY_2).status_code == 303
    assert "12号楼" in client.get(f"/survey/?community={COMMUNITY_2}").get_data(as_text=True)
    assert client.get(f"/survey/?community={OTHER_COMMUNITY}").status_code == 404
    assert lay_out(client, community=OTHER_COMMUNITY).status_code == 404


# --- 2. one-tap visits ----------------------------------------------------------------------------------------------

def test_one_tap_records_a_unit_and_answers_its_row_for_htmx(surveyor, client):
    url, page = building_page(client)
    action, data = one_tap_form(page, "surveyed", "12号楼 101室")
    response = client.post(action, data=data, headers=HTMX)
    row = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert row.lstrip().startswith('<li class="unit"') and "<html" not in row
    assert "12号楼 101室" in row and "已排摸" in row and "未走访" not in row
    survey = Survey.get()
    assert (survey.outcome, survey.trained, survey.client_uuid) == ("surveyed", False, data["client_uuid"])
    assert "已排摸 1 / 4" in client.get("/survey/").get_data(as_text=True)


def test_the_same_tap_sent_twice_is_one_record(surveyor, client):
    _, page = building_page(client)
    action, data = one_tap_form(page, "absent", "12号楼 102室")
    assert client.post(action, data=data, headers=HTMX).status_code == 200
    assert client.post(action, data=data, headers=HTMX).status_code == 200
    assert Survey.select().count() == 1
    assert Survey.get().outcome == "absent"


def test_one_tap_without_javascript_goes_back_to_the_building(surveyor, client):
    url, page = building_page(client)
    action, data = one_tap_form(page, "refused", "12号楼 201室")
    response = client.post(action, data=data)
    assert response.status_code == 303 and response.headers["Location"] == url
    page = client.get(url).get_data(as_text=True)
    assert "拒绝配合" in page and "已记录：12号楼 201室 拒绝配合" in page


def test_a_tampered_tap_answers_its_row_with_the_message(surveyor, client):
    _, page = building_page(client)
    action, data = one_tap_form(page, "surveyed", "12号楼 101室")
    response = client.post(action, data={**data, "outcome": "maybe"}, headers=HTMX)
    assert response.status_code == 422
    assert "走访结果的取值不正确：maybe" in response.get_data(as_text=True)
    assert Survey.select().count() == 0


def test_a_building_or_unit_of_another_community_is_404(world, actions, client):
    actions.login("other_surveyor")
    url, page = building_page(client, "江苏9号楼")
    action, data = one_tap_form(page, "surveyed")
    unit_id = Unit.get().id
    actions.logout()
    actions.login("surveyor")
    assert client.get(url).status_code == 404
    assert client.post(action, data=data).status_code == 404
    assert client.get(f"/survey/units/{unit_id}/record").status_code == 404
    assert Survey.select().count() == 0


# --- 3. the full record form ----------------------------------------------------------------------------------------

def full_record(data, **fields):
    base = {**data, "outcome": "surveyed", "unit.type": "household",
            "trainings.0.institution": "上海某某消防培训中心", "trainings.0.institution_phone": "021-6000 0000",
            "trainings.0.trainer_identity": "firefighter", "trainings.0.mode": "door_to_door",
            "trainings.0.date": "2023-02-14", "trainings.0.fee": "200", "trainings.0.content": "灭火器使用",
            "purchases.0.product": "fire_blanket", "purchases.0.quantity": "1", "purchases.0.amount": "298",
            "purchases.0.channel": "training", "purchases.0.training": "0", "purchases.0.ccc_mark": "false",
            "purchases.0.id_label": "", "purchases.0.sample_available": "true"}
    base.update(fields)
    return base


def open_record_form(client):
    building_page(client)
    unit = Unit.get(Unit.address == "12号楼 301室") if Unit.select().where(Unit.address == "12号楼 301室").exists() \
        else Unit.get(Unit.address == "12号楼 101室")
    page = client.get(f"/survey/units/{unit.id}/record").get_data(as_text=True)
    return unit, page


def test_the_record_form_has_labelled_fields_and_the_records_hidden_fields(surveyor, client):
    unit, page = open_record_form(client)
    action, data = record_form_fields(page)
    assert action == f"/survey/units/{unit.id}/record"
    assert re.fullmatch(r"[0-9a-f-]{36}", data["client_uuid"]) and data["visited_at"].endswith("+08:00")
    assert data["community"] == COMMUNITY and data["unit.address"] == "12号楼 101室"
    for label in ("走访结果", "单位类型", "增加一条培训", "增加一项购买", "保存记录"):
        assert label in page


def test_a_full_record_is_saved_once_and_shows_its_flags(surveyor, client):
    unit, page = open_record_form(client)
    action, data = record_form_fields(page)
    response = client.post(action, data=full_record(data))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"] == f"/survey/buildings/{unit.building_id}?saved={unit.id}#unit-{unit.id}"
    row = unit_row(client.get(response.headers["Location"]).get_data(as_text=True), unit.id)
    for words in ("推销产品", "上门收费", "冒充身份", "疑似冒牌培训"):
        assert words in row
    shown = client.get(f"/survey/records/{Survey.get().id}").get_data(as_text=True)
    for words in ("推销产品", "上门收费", "冒充身份", "疑似冒牌培训", "凡是上门收费的培训都是假培训", "灭火毯 × 1"):
        assert words in shown
    survey = Survey.get()
    assert survey.suspect and survey.unit_id == unit.id and survey.purchases[0].training_id == survey.trainings[0].id
    again = client.post(action, data=full_record(data))  # the same form sent again
    assert again.status_code == 303 and Survey.select().count() == 1


def test_a_saved_form_sent_again_with_other_content_is_not_overwritten(surveyor, client):
    _, page = open_record_form(client)
    action, data = record_form_fields(page)
    assert client.post(action, data=full_record(data)).status_code == 303
    response = client.post(action, data=full_record(data, **{"trainings.0.fee": "300"}))
    assert response.status_code == 422
    assert "如需修改，请在今日记录里点“更正”" in error_at(response.get_data(as_text=True), "client_uuid")
    assert Survey.get().trainings[0].fee_fen == 20000


def test_a_wrong_record_is_422_with_chinese_messages_at_each_field(surveyor, client):
    _, page = open_record_form(client)
    action, data = record_form_fields(page)
    response = client.post(action, data=full_record(
        data, **{"trainings.0.fee": "两百", "trainings.0.mode": "", "purchases.0.quantity": "-1",
                 "purchases.0.training": "3"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_at(page, "trainings.0.fee") == "收费应为数字，例如 298.00"
    assert error_at(page, "trainings.0.mode") == "请选择培训方式"
    assert error_at(page, "purchases.0.quantity") == "数量至少为 1"
    assert error_at(page, "purchases.0.training") == "关联的培训不存在"
    assert 'value="两百"' in page  # what the worker typed stays on the form
    assert Survey.select().count() == 0


def test_adding_a_training_without_javascript_re_renders_the_form_with_one_more(surveyor, client):
    _, page = open_record_form(client)
    action, data = record_form_fields(page)
    response = client.post(action, data={**data, "add": "trainings"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "第1条培训" in page and 'name="trainings.0.mode"' in page
    response = client.post(action, data={**data, "trainings.0.mode": "online", "add": "purchases"})
    page = response.get_data(as_text=True)
    assert "第1项购买" in page and '<option value="0">第1条培训</option>' in page
    assert Survey.select().count() == 0


def test_htmx_fetches_the_next_training_block_and_links_purchases_to_it(surveyor, client):
    query = {"community": COMMUNITY, "trainings.0.mode": "online", "purchases.0.product": "",
             "purchases.1.product": ""}
    block = client.get("/survey/form/trainings", query_string=query, headers=HTMX).get_data(as_text=True)
    assert "第2条培训" in block and 'name="trainings.1.mode"' in block
    assert 'hx-swap-oob="beforeend:#f-purchases-0-training"' in block
    assert 'hx-swap-oob="beforeend:#f-purchases-1-training"' in block
    purchase = client.get("/survey/form/purchases", query_string=query, headers=HTMX).get_data(as_text=True)
    assert "第3项购买" in purchase and '<option value="0">第1条培训</option>' in purchase
    for product in ("灭火器", "灭火毯", "逃生缓降器", "灭火贴", "过滤式消防自救呼吸器", "独立式火灾探测报警器",
                    "消防应急标志灯具", "消防应急照明灯具"):
        assert f"> {product}</label>" in purchase


def test_the_inline_check_returns_flags_and_field_messages(surveyor, client):
    _, page = open_record_form(client)
    _, data = record_form_fields(page)
    response = client.post("/survey/preview", data=full_record(data, **{"trainings.0.fee": "-5"}), headers=HTMX)
    answer = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "推销产品" in answer and "冒充身份" in answer
    assert re.search(r'id="err-trainings-0-fee" hx-swap-oob="true">收费不能为负数<', answer)
    assert re.search(r'id="err-trainings-0-mode" hx-swap-oob="true"><', answer)  # cleared: no error there
    fixed = client.post("/survey/preview", data=full_record(data), headers=HTMX).get_data(as_text=True)
    assert "上门收费" in fixed and "收费不能为负数" not in fixed
    assert Survey.select().count() == 0


def test_institution_names_are_suggested_from_what_the_community_recorded(world, actions, client):
    actions.login("surveyor")
    assert actions.post_survey(survey_body()).status_code == 201
    actions.logout()
    actions.login("other_surveyor")
    assert actions.post_survey(survey_body(community=OTHER_COMMUNITY, trainings=[
        {"institution": "别的街道的机构", "mode": "online"}], purchases=[])).status_code == 201
    actions.logout()
    actions.login("surveyor")
    _, page = open_record_form(client)
    assert '<datalist id="institutions">' in page and '<option value="上海某某消防培训中心">' in page
    assert "别的街道的机构" not in page


# --- 4. today's records and corrections -------------------------------------------------------------------------------

def test_today_lists_the_workers_records_and_a_correction_is_audited(surveyor, client):
    _, page = building_page(client)
    action, data = one_tap_form(page, "surveyed", "12号楼 101室")
    client.post(action, data=data, headers=HTMX)
    today = client.get("/survey/today").get_data(as_text=True)
    assert '<ul id="today-list"' in today
    assert f'<li class="record" data-client-uuid="{data["client_uuid"]}">' in today
    assert "12号楼 101室" in today and "更正" in today

    survey = Survey.get()
    edit = client.get(f"/survey/records/{survey.id}/edit").get_data(as_text=True)
    action, fields = record_form_fields(edit)
    assert fields["client_uuid"] == survey.client_uuid
    response = client.post(action, data=full_record(fields))
    assert response.status_code == 303
    survey = Survey.get()
    assert survey.trained and survey.suspect and Survey.select().count() == 1
    assert AuditLog.select().where(AuditLog.action == "correct").count() == 1
    today = client.get("/survey/today").get_data(as_text=True)
    assert "上门收费" in today


def test_a_record_of_another_community_is_404_in_the_ui(world, actions, client):
    actions.login("other_surveyor")
    stored = actions.post_survey(survey_body(community=OTHER_COMMUNITY)).get_json()
    actions.logout()
    actions.login("surveyor")
    assert client.get(f"/survey/records/{stored['id']}").status_code == 404
    assert client.get(f"/survey/records/{stored['id']}/edit").status_code == 404
    assert client.post(f"/survey/records/{stored['id']}/edit", data={"outcome": "absent"}).status_code == 404
    assert stored["client_uuid"] not in client.get("/survey/today").get_data(as_text=True)


# --- 5. progress -----------------------------------------------------------------------------------------------------

def test_progress_counts_surveyed_not_reached_and_not_visited(world, actions, client):
    actions.login("surveyor")
    building_page(client)
    for address, outcome, at in (("12号楼 101室", "absent", "2023-03-20T09:00:00+08:00"),
                                 ("12号楼 101室", "surveyed", "2023-03-21T09:00:00+08:00"),
                                 ("12号楼 102室", "refused", "2023-03-21T09:00:00+08:00")):
        assert actions.post_survey(negative_body(address=address, outcome=outcome, visited_at=at)).status_code == 201
    page = client.get("/survey/progress").get_data(as_text=True)
    assert re.search(r'data-community="%s">.*?<td class="num">4</td><td class="num">1</td>\s*'
                     r'<td class="num">1</td><td class="num">2</td>' % COMMUNITY, page, re.S)
    actions.logout()
    actions.login("street")
    page = client.get("/survey/progress").get_data(as_text=True)
    assert "华阳一居委" in page and "华阳二居委" in page and "江苏一居委" not in page and "合计" in page
