"""附件2 区消防产品监督抽查统计表 (design sections 6 and 8): departments enter spot checks per channel and product,
消防救援 collects survey samples and records their results, and the table adds both up as of a day."""
import datetime
import uuid

import pytest

from domain.org import accounts, permissions
from domain.reporting import spot_checks
from domain.reporting.campaign_tables import result
from domain.reporting.tabledef import Scope
from domain.survey.record import parse_record
from domain.survey.store import correct_record, store_record
from models import AuditLog, Department, Sample, SpotCheck, Survey
from tests.conftest import COMMUNITY, PASSWORD

D1 = datetime.date(2023, 3, 22)
D2 = datetime.date(2023, 3, 31)


def body(**fields):
    values = {"client_uuid": str(uuid.uuid4()), "department": "xiaofang", "channel": "in_use",
              "product": "fire_extinguisher", "date": "2023-03-20", "batches": 5, "failed": 2, "cases_opened": 1,
              "fine": "5000.00"}
    values.update(fields)
    return values


def purchase(product, channel, training=None, sample=True, quantity=1, amount="298.00"):
    return {"product": product, "quantity": quantity, "amount": amount, "channel": channel, "training": training,
            "ccc_mark": False, "id_label": None, "sample_available": sample}


def sample_visit(user, address="长宁路9号", purchases=None, day="2023-03-21", client_uuid=None):
    """A unit that bought from a fake trainer and kept the products for testing."""
    record, errors = parse_record({
        "client_uuid": client_uuid or str(uuid.uuid4()), "community": COMMUNITY, "unit": {"type": "household", "address": address},
        "visited_at": f"{day}T10:00:00+08:00", "outcome": "surveyed",
        "trainings": [{"institution": "上海某某消防培训中心", "institution_phone": "", "trainer_identity": "firefighter",
                       "mode": "door_to_door", "fee": "50", "products_pitched": True}],
        "purchases": purchases if purchases is not None else [
            purchase("fire_blanket", "training", training=0), purchase("smoke_alarm", "door_to_door"),
            purchase("emergency_light", "store")]})
    assert not errors, errors
    return record


@pytest.fixture
def shichang(app, world):
    return accounts.create_user("shichang", "department", "shichang", PASSWORD, app.config["PASSWORD_HASH_METHOD"])


def enter(client, **fields):
    return client.post("/api/v1/spot-checks", json=body(**fields))


@pytest.fixture
def entered(world, shichang, actions, client):
    """Spot checks of 消防救援 and 市场监管, and two survey samples (one tested after D2)."""
    actions.login("department")
    assert enter(client).status_code == 201
    assert enter(client, date="2023-03-28", batches=3, failed=0, cases_opened=0, fine="0").status_code == 201
    actions.logout()
    actions.login("shichang")
    assert enter(client, department="shichang", channel="store", product="fire_blanket", date="2023-03-21",
                 batches=4, failed=1, cases_opened=1, fine="2000.50").status_code == 201
    assert enter(client, department="shichang", channel="online_shop", product="smoke_alarm", date="2023-03-30",
                 batches=2, failed=2, cases_opened=0, fine="").status_code == 201
    actions.logout()
    survey, _ = store_record(world["surveyor"], sample_visit(world["surveyor"]))
    department = world["department"]
    blanket, _ = spot_checks.collect_sample(department, survey.id, 0, datetime.date(2023, 3, 23))
    alarm, _ = spot_checks.collect_sample(department, survey.id, 1, datetime.date(2023, 3, 23))
    spot_checks.record_result(department, blanket, "failed", datetime.date(2023, 3, 25))
    spot_checks.record_result(department, alarm, "passed", datetime.date(2023, 4, 2))
    return survey


def rows_by_key(table):
    return {(r["department"], r["channel"], r["product"]): r for r in table["rows"]}


# --- the API ------------------------------------------------------------------------------------------------


def test_a_department_enters_a_spot_check_once(world, actions, client):
    actions.login("department")
    sent = body()
    first = client.post("/api/v1/spot-checks", json=sent)
    assert first.status_code == 201
    stored = first.get_json()
    assert {k: stored[k] for k in ("department", "channel", "product", "date", "batches", "failed", "cases_opened",
                                   "fine")} == {**{k: sent[k] for k in sent if k != "client_uuid"}}
    again = client.post("/api/v1/spot-checks", json=sent)
    assert (again.status_code, again.get_json()) == (200, stored)
    changed = client.post("/api/v1/spot-checks", json={**sent, "batches": 6})
    assert changed.status_code == 409
    assert changed.get_json()["entry"] == stored
    assert SpotCheck.select().count() == 1
    assert AuditLog.select().where(AuditLog.object_type == "spotcheck").count() == 1


@pytest.mark.parametrize("fields, field, message", [
    ({"channel": "store"}, "channel", "实体销售网点由区市场监管局填报"),
    ({"department": "shichang"}, "department", "只能填报本部门的抽查情况"),
    ({"failed": 9}, "failed", "不合格批次不能多于抽查批次"),
    ({"date": "2999-01-01"}, "date", "抽查日期不能晚于今天"),
    ({"date": "3月20日"}, "date", "抽查日期格式不正确，应如 2023-03-20"),
    ({"product": "toaster"}, "product", "产品类别的取值不正确：toaster"),
    ({"batches": -1}, "batches", "抽查批次不能为负数"),
    ({"batches": "两"}, "batches", "抽查批次应为整数"),
    ({"fine": "12.345"}, "fine", "金额最多保留两位小数"),
    ({"client_uuid": "x"}, "client_uuid", "缺少或无效的编号（client_uuid 应为 UUID）"),
    ({"batches": 0, "failed": 0, "cases_opened": 0, "fine": "0"}, "batches", "请至少填写一项数字"),
])
def test_a_wrong_spot_check_is_refused_at_its_field_in_chinese(world, actions, client, fields, field, message):
    actions.login("department")
    reply = enter(client, **fields)
    assert reply.status_code == 422
    assert reply.get_json()["errors"][field] == message
    assert SpotCheck.select().count() == 0


@pytest.mark.parametrize("username", ["surveyor", "street", "district"])
def test_only_departments_enter_spot_checks(world, actions, client, username):
    actions.login(username)
    assert enter(client).status_code == 404


def test_a_client_uuid_of_another_department_is_not_shown(world, shichang, actions, client):
    actions.login("shichang")
    sent = body(department="shichang", channel="store")
    assert client.post("/api/v1/spot-checks", json=sent).status_code == 201
    actions.logout()
    actions.login("department")
    reply = client.post("/api/v1/spot-checks", json={**sent, "department": "xiaofang", "channel": "in_use"})
    assert reply.status_code == 422 and "entry" not in reply.get_json()


# --- the table ----------------------------------------------------------------------------------------------


def test_table2_adds_up_the_entries_and_the_samples_as_of_a_day(entered, actions, client):
    actions.login("district")
    d1 = client.get(f"/api/v1/tables/2?as_of={D1}").get_json()
    d2 = client.get(f"/api/v1/tables/2?as_of={D2}").get_json()
    assert list(d2) == ["table", "as_of", "rows", "total"] and d2["table"] == 2
    assert list(d2["rows"][0]) == ["department", "channel", "product", "batches", "failed", "failure_rate",
                                   "cases_opened", "fine"]
    # Five channels by nine products, each channel in the rows of the department responsible for it.
    assert len(d2["rows"]) == 45
    assert {(r["channel"], r["department"]) for r in d2["rows"]} == {
        ("store", "shichang"), ("online_shop", "shichang"), ("construction", "jianshe"), ("in_use", "xiaofang"),
        ("training", "xiaofang")}
    rows = rows_by_key(d2)
    assert rows[("xiaofang", "in_use", "fire_extinguisher")] == {
        "department": "xiaofang", "channel": "in_use", "product": "fire_extinguisher", "batches": 8, "failed": 2,
        "failure_rate": "25.0", "cases_opened": 1, "fine": "5000.00"}
    assert rows[("shichang", "online_shop", "smoke_alarm")]["failure_rate"] == "100.0"
    # The survey samples: the blanket failed on 3/25; the alarm's result (4/2) is after D2; the store light is
    # no fake trainer's sale and never on the list.
    assert (rows[("xiaofang", "training", "fire_blanket")]["batches"],
            rows[("xiaofang", "training", "fire_blanket")]["failed"]) == (1, 1)
    assert rows[("xiaofang", "training", "smoke_alarm")]["batches"] == 0
    assert rows[("jianshe", "construction", "fire_extinguisher")]["failure_rate"] is None
    assert d2["total"] == {"batches": 15, "failed": 6, "failure_rate": "40.0", "cases_opened": 2,
                           "fine": "7000.50"}
    assert d1["total"] == {"batches": 9, "failed": 3, "failure_rate": "33.3", "cases_opened": 2, "fine": "7000.50"}
    later = client.get("/api/v1/tables/2?as_of=2023-04-02").get_json()
    assert rows_by_key(later)[("xiaofang", "training", "smoke_alarm")]["batches"] == 1
    assert later["total"]["batches"] == 16 and later["total"]["failed"] == 6


def test_a_department_sees_only_its_own_rows(entered, actions, client):
    actions.login("department")
    table = client.get(f"/api/v1/tables/2?as_of={D2}").get_json()
    assert {r["department"] for r in table["rows"]} == {"xiaofang"}
    assert {r["channel"] for r in table["rows"]} == {"in_use", "training"}
    assert table["total"] == {"batches": 9, "failed": 3, "failure_rate": "33.3", "cases_opened": 1,
                              "fine": "5000.00"}
    assert client.get(f"/api/v1/tables/2?as_of={D2}&department=shichang").status_code == 404
    assert client.get(f"/api/v1/tables/1?as_of={D2}").status_code == 404


def test_a_street_has_no_table2(entered, actions, client):
    actions.login("street")
    assert client.get(f"/api/v1/tables/2?as_of={D2}").status_code == 404
    assert client.get("/tables/2").status_code == 404


# --- survey samples -----------------------------------------------------------------------------------------


def test_the_collection_list_holds_fake_trainers_sales_marked_for_testing(world, actions, client):
    survey, _ = store_record(world["surveyor"], sample_visit(world["surveyor"]))
    listed = [(p.survey_id, p.position, p.product) for p in spot_checks.collection_list()]
    assert listed == [(survey.id, 0, "fire_blanket"), (survey.id, 1, "smoke_alarm")]
    actions.login("department")
    page = client.get("/tables/samples").get_data(as_text=True)
    assert "灭火毯 × 1" in page and "独立式火灾探测报警器 × 1" in page and "消防应急照明灯具" not in page
    assert "华阳一居委 · 长宁路9号" in page and "联系：华阳一居委 surveyor" in page


def test_collected_samples_survive_a_correction_of_the_record(world, actions, client):
    """A correction recreates the record's Purchase rows: the sample is keyed by the record and the position."""
    survey, _ = store_record(world["surveyor"], sample_visit(world["surveyor"]))
    actions.login("department")
    reply = client.post("/tables/samples/collect", data={"survey": survey.id, "position": 0,
                                                         "collected_on": "2023-03-23"})
    assert reply.status_code == 303
    sample = Sample.get()
    assert (sample.survey_id, sample.position, sample.product, sample.community_id) == \
        (survey.id, 0, "fire_blanket", COMMUNITY)
    reply = client.post(f"/tables/samples/{sample.id}/result", data={"result": "failed", "tested_on": "2023-03-25"})
    assert reply.status_code == 303

    corrected = sample_visit(world["surveyor"], purchases=[purchase("fire_blanket", "training", training=0,
                                                                    quantity=2)], client_uuid=survey.client_uuid)
    correct_record(world["surveyor"], Survey[survey.id], corrected)
    rows = rows_by_key(result(2, D2, Scope("district")).as_json())
    assert (rows[("xiaofang", "training", "fire_blanket")]["batches"],
            rows[("xiaofang", "training", "fire_blanket")]["failed"]) == (1, 1)
    assert [(p.position, p.sample.id) for p in spot_checks.collection_list()] == [(0, sample.id)]
    # Collecting it again adds nothing.
    client.post("/tables/samples/collect", data={"survey": survey.id, "position": 0, "collected_on": "2023-03-24"})
    assert Sample.select().count() == 1


def test_a_result_needs_a_result_and_a_day_not_before_the_collection(world, actions, client):
    survey, _ = store_record(world["surveyor"], sample_visit(world["surveyor"]))
    actions.login("department")
    client.post("/tables/samples/collect", data={"survey": survey.id, "position": 0, "collected_on": "2023-03-23"})
    sample = Sample.get()
    reply = client.post(f"/tables/samples/{sample.id}/result", data={"tested_on": "2023-03-25"})
    assert reply.status_code == 422 and "请选择检测结果" in reply.get_data(as_text=True)
    reply = client.post(f"/tables/samples/{sample.id}/result", data={"result": "passed", "tested_on": "2023-03-20"})
    assert reply.status_code == 422 and "检测日期不能早于取样日期" in reply.get_data(as_text=True)
    reply = client.post("/tables/samples/collect", data={"survey": survey.id, "position": 2,
                                                         "collected_on": "2023-03-23"})
    assert reply.status_code == 422 and "这件产品不在待取样清单上" in reply.get_data(as_text=True)


def test_only_fire_rescue_collects_samples(world, shichang, actions, client):
    actions.login("shichang")
    assert client.get("/tables/samples").status_code == 404
    assert Department.get(Department.code == permissions.SAMPLE_DEPARTMENT).name == "区消防救援支队"


# --- the form ------------------------------------------------------------------------------------------------


def test_the_form_saves_an_entry_and_shows_errors_at_the_fields(world, actions, client):
    actions.login("department")
    page = client.get("/tables/spot-checks").get_data(as_text=True)
    assert '<label for="f-channel">抽查渠道</label>' in page
    assert '<option value="in_use">使用领域</option>' in page and '<option value="training">培训兜售</option>' in page
    assert 'value="store"' not in page  # not this department's channel
    form = {"client_uuid": str(uuid.uuid4()), "date": "2023-03-20", "channel": "in_use", "product": "fire_blanket",
            "batches": "3", "failed": "5", "cases_opened": "", "fine": ""}
    reply = client.post("/tables/spot-checks", data=form)
    assert reply.status_code == 422
    text = reply.get_data(as_text=True)
    assert '<p class="field-error" id="err-failed">不合格批次不能多于抽查批次</p>' in text
    assert 'id="f-failed"' in text and 'value="5"' in text
    reply = client.post("/tables/spot-checks", data={**form, "failed": "1"})
    assert reply.status_code == 303
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "已保存：3月20日 使用领域 · 灭火毯，抽查 3 批次" in page
    entry = SpotCheck.get()
    assert client.post(f"/tables/spot-checks/{entry.id}/delete").status_code == 303
    assert SpotCheck.select().count() == 0


def test_htmx_gets_the_form_fragment_with_its_errors(world, actions, client):
    actions.login("department")
    reply = client.post("/tables/spot-checks", headers={"HX-Request": "true"},
                        data={"client_uuid": str(uuid.uuid4()), "date": "2023-03-20", "channel": "in_use",
                              "product": "fire_blanket", "batches": "", "failed": "1"})
    assert reply.status_code == 422
    text = reply.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="spot-checks">') and "<html" not in text
    assert '<p class="field-error" id="err-batches">请填写抽查批次</p>' in text
    assert "HX-Request" in reply.headers["Vary"]
