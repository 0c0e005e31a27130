"""督办 supervision orders (design sections 8 and 12; issue 19 parts 4 and 5): the district orders a street or a
department, a street one of its 居委, the city a district, about a case, a 居委's coverage, a quality signal or free
text, with a due date. The recipient sees it on its home page and in the navigation's count, answers with 整改情况;
the issuer closes it or returns it; overdue orders stand out for both; every step is in the history and the audit
log. Nobody else sees an order (404). New and overdue orders are mailed to a real SMTP server on loopback when the
recipient has a mailbox; a failed mail loses nothing."""
import datetime
import logging
import re
import uuid

import pytest

from domain.casework import cases
from domain.common.clock import now_local, today_local
from domain.supervision import order_mail, orders
from models import AuditLog, Department, Org, OrderStep, QualitySignal, SupervisionOrder, User
from tests.conftest import (
    COMMUNITY, COMMUNITY_2, OTHER_COMMUNITY, OTHER_STREET, STREET, Actions, free_port, make_world, survey_body,
)
from tests.test_city import XUHUI, XUHUI_STREET, city  # noqa: F401 (city is a fixture)

TODAY = today_local()
DUE = (TODAY + datetime.timedelta(days=7)).isoformat()


def order_body(to=STREET, kind="community", subject=COMMUNITY, **extra):
    return {"client_uuid": str(uuid.uuid4()), "to": to, "subject": {"kind": kind, "id": subject},
            "request": "华阳一居委未走访单位较多，请组织补访", "due": DUE, **extra}


def issue(client, **body):
    return client.post("/api/v1/orders", json=order_body(**body))


def as_user(actions, username):
    actions.logout()
    actions.login(username)


def words(html):
    """A page's visible text, tags dropped and spaces squeezed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def make_overdue(order_id, days=2):
    """An order whose due date has passed (the API refuses a due date in the past: the test moves it)."""
    SupervisionOrder.update(due=TODAY - datetime.timedelta(days=days)).where(SupervisionOrder.id == order_id).execute()


# --- the round: issue, answer, return, answer again, close ------------------------------------------------------


def test_the_district_orders_a_street_about_a_居委s_coverage_and_it_goes_round(world, client, actions):
    actions.login("district")
    reply = issue(client)
    assert reply.status_code == 201
    order = reply.get_json()
    assert reply.headers["Location"].endswith(f"/api/v1/orders/{order['id']}")
    assert order["from"] == {"code": "310105", "name": "长宁区"}
    assert order["to"] == {"code": STREET, "name": "华阳路街道", "kind": "street"}
    assert order["subject"] == {"kind": "community", "id": COMMUNITY, "label": "华阳一居委的排摸覆盖"}
    assert (order["status"], order["overdue"], order["due"], order["response"]) == ("open", False, DUE, "")
    assert order["mail_status"] == "off" and order["closed_at"] is None
    assert [(s["action"], s["by"]) for s in order["history"]] == [("issued", "长宁区 · district")]
    number = order["id"]

    # The street sees it in the navigation's count and on its home page, and answers.
    as_user(actions, "street")
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'>督办 <span class="badge important orders-waiting"[^>]*>1</span>', home)
    assert "1 件督办待本单位反馈整改情况" in words(home) and "华阳一居委的排摸覆盖" in home
    reply = client.patch(f"/api/v1/orders/{number}", json={"response": "已组织补访 30 户"})
    assert reply.status_code == 200 and reply.get_json()["status"] == "answered"
    assert reply.get_json()["response"] == "已组织补访 30 户"
    assert "orders-waiting" not in client.get("/").get_data(as_text=True)  # nothing waits for the street now

    # The district returns it with a reason; the street answers again; the district closes it.
    as_user(actions, "district")
    home = words(client.get("/").get_data(as_text=True))
    assert "1 件已反馈，待本单位办结或退回" in home
    assert client.patch(f"/api/v1/orders/{number}", json={"status": "returned"}).get_json()["errors"] == \
        {"note": "退回请写明理由"}
    reply = client.patch(f"/api/v1/orders/{number}", json={"status": "returned", "note": "请附补访名单"})
    assert reply.status_code == 200 and reply.get_json()["status"] == "returned"
    as_user(actions, "street")
    assert client.patch(f"/api/v1/orders/{number}", json={"response": "名单已上传"}).status_code == 200
    as_user(actions, "district")
    reply = client.patch(f"/api/v1/orders/{number}", json={"status": "closed", "note": "整改到位"})
    closed = reply.get_json()
    assert reply.status_code == 200 and closed["status"] == "closed" and closed["closed_at"]
    assert [(s["action"], s["note"]) for s in closed["history"]] == [
        ("issued", ""), ("answered", "已组织补访 30 户"), ("returned", "请附补访名单"), ("answered", "名单已上传"),
        ("closed", "整改到位")]
    assert [s["by"] for s in closed["history"]] == ["长宁区 · district", "华阳路街道 · street", "长宁区 · district",
                                                    "华阳路街道 · street", "长宁区 · district"]
    logged = [a.action for a in AuditLog.select().where(AuditLog.object_type == "supervisionorder")
              .order_by(AuditLog.id)]
    assert logged == ["order_issue", "order_answered", "order_returned", "order_answered", "order_closed"]
    assert client.patch(f"/api/v1/orders/{number}", json={"status": "returned", "note": "再看看"}).get_json()[
        "errors"] == {"status": "这件督办已办结"}


def test_the_same_step_sent_again_changes_nothing(world, client, actions):
    actions.login("district")
    number = issue(client).get_json()["id"]
    as_user(actions, "street")
    for _ in range(2):
        assert client.patch(f"/api/v1/orders/{number}", json={"response": "已整改"}).status_code == 200
    as_user(actions, "district")
    for _ in range(2):
        reply = client.patch(f"/api/v1/orders/{number}", json={"status": "returned", "note": "请补充照片"})
        assert reply.status_code == 200
    for _ in range(2):
        assert client.patch(f"/api/v1/orders/{number}", json={"status": "closed"}).status_code == 200
    assert [s.action for s in OrderStep.select().where(OrderStep.order == number).order_by(OrderStep.id)] == \
        ["issued", "answered", "returned", "closed"]


def test_a_recipient_cannot_close_its_own_order_nor_the_issuer_answer_it(world, client, actions):
    actions.login("district")
    number = issue(client).get_json()["id"]
    as_user(actions, "street")
    reply = client.patch(f"/api/v1/orders/{number}", json={"status": "closed"})
    assert reply.status_code == 422 and reply.get_json()["errors"] == {"status": "只有下发督办的单位可以办结或退回"}
    reply = client.post(f"/orders/{number}/decision", data={"status": "closed"})
    assert reply.status_code == 422 and "只有下发督办的单位可以办结或退回" in reply.get_data(as_text=True)
    assert client.patch(f"/api/v1/orders/{number}", json={}).get_json()["errors"] == {"response": "请填写整改情况"}
    as_user(actions, "district")
    reply = client.patch(f"/api/v1/orders/{number}", json={"response": "我来答"})
    assert reply.status_code == 422 and reply.get_json()["errors"] == {"response": "只有接收督办的单位可以反馈整改情况"}
    reply = client.patch(f"/api/v1/orders/{number}", json={"status": "returned", "note": "还没答"})
    assert reply.get_json()["errors"] == {"status": "对方反馈整改情况后才能退回"}
    assert client.patch(f"/api/v1/orders/{number}", json={"response": "x", "status": "closed"}).get_json()[
        "errors"] == {"status": "反馈整改情况与办结、退回请分开提交"}
    assert SupervisionOrder.get_by_id(number).status == "open"


def test_a_department_answers_an_order_of_its_district(world, client, actions):
    actions.login("district")
    number = issue(client, to="xiaofang", kind="other", subject="").get_json()["id"]
    as_user(actions, "department")
    assert client.get("/api/v1/orders").get_json()["orders"][0]["to"] == \
        {"code": "xiaofang", "name": Department.get_by_id("xiaofang").name, "kind": "department"}
    page = client.get("/cases/").get_data(as_text=True)  # a department lands on its cases: the count is there
    assert re.search(r'>督办 <span class="badge important orders-waiting"[^>]*>1</span>', page)
    reply = client.post(f"/orders/{number}/answer", data={"response": "已约谈辖区经营户"})
    assert reply.status_code == 303
    assert SupervisionOrder.get_by_id(number).status == "answered"


def test_a_street_orders_its_居委_which_answers_on_its_phone(world, client, actions):
    actions.login("street")
    page = client.get("/orders/new").get_data(as_text=True)
    assert '<option value="310105001001">华阳一居委</option>' in page and OTHER_COMMUNITY not in page
    reply = client.post("/orders/new", data={
        "client_uuid": str(uuid.uuid4()), "to": COMMUNITY, "subject_kind": "other", "subject_id": "",
        "request": "请把 3 号楼的拒访户再走访一次", "due": DUE})
    assert reply.status_code == 303
    number = int(reply.headers["Location"].rsplit("/", 1)[1])
    assert "已下发督办" in client.get(reply.headers["Location"]).get_data(as_text=True)
    as_user(actions, "surveyor")
    page = client.get("/survey/").get_data(as_text=True)
    assert re.search(r'>督办 <span class="badge important orders-waiting"[^>]*>1</span>', page)
    page = client.get(f"/orders/{number}").get_data(as_text=True)
    assert "提交整改情况" in page and "办结</button>" not in page  # the 居委 answers; it never closes
    reply = client.post(f"/orders/{number}/answer", data={"response": ""})
    assert reply.status_code == 422 and "请填写整改情况" in reply.get_data(as_text=True)
    assert client.post(f"/orders/{number}/answer", data={"response": "已于周六复访"}).status_code == 303
    assert client.post(f"/orders/{number}/decision", data={"status": "closed"}).status_code == 404
    as_user(actions, "street")
    page = client.get(f"/orders/{number}").get_data(as_text=True)
    assert "已于周六复访" in page and ">办结</button>" in page and ">退回</button>" in page


# --- who may order whom, about what ----------------------------------------------------------------------------


def test_a_居委_and_a_department_cannot_issue_an_order(world, client, actions):
    for username in ("surveyor", "department"):
        as_user(actions, username)
        assert issue(client, to=COMMUNITY).status_code == 404
        assert client.get("/orders/new").status_code == 404
    assert SupervisionOrder.select().count() == 0


@pytest.mark.parametrize("username, to, kind, subject, field, message", [
    ("district", COMMUNITY, "other", "", "to", "只能向本区的街镇或部门下发督办"),
    ("district", "nowhere", "other", "", "to", "只能向本区的街镇或部门下发督办"),
    ("street", OTHER_COMMUNITY, "other", "", "to", "只能向本街镇的居委下发督办"),
    ("street", OTHER_STREET, "other", "", "to", "只能向本街镇的居委下发督办"),
    ("street", COMMUNITY, "community", OTHER_COMMUNITY, "subject.id", "没有这个居委，或不在本单位的范围内"),
    ("street", COMMUNITY, "community", COMMUNITY_2, "subject.id", "华阳二居委不在华阳一居委的范围内"),
    ("district", STREET, "community", OTHER_COMMUNITY, "subject.id", "江苏一居委不在华阳路街道的范围内"),
    ("district", "xiaofang", "community", COMMUNITY, "subject.kind", "部门没有负责的居委：请督办案件或其他事项"),
    ("district", STREET, "case", "999999", "subject.id", "没有这个案件，或不在本单位的范围内"),
    ("district", STREET, "case", "1" * 30, "subject.id", "没有这个案件，或不在本单位的范围内"),
    ("district", STREET, "case", "1" * 40, "subject.id", "督办事项的编号不正确"),
    ("district", STREET, "signal", "12", "subject.id", "没有这个质量信号，或不在本单位的范围内"),
    ("district", STREET, "case", "", "subject.id", "请填写案件编号"),
    ("district", STREET, "community", "", "subject.id", "请选择居委"),
    ("district", STREET, "nonsense", "", "subject.kind", "督办事项的取值不正确：nonsense"),
])
def test_the_recipient_and_the_subject_must_be_the_issuers_to_name(world, client, actions, username, to, kind,
                                                                   subject, field, message):
    actions.login(username)
    reply = issue(client, to=to, kind=kind, subject=subject)
    assert reply.status_code == 422, reply.get_json()
    assert reply.get_json()["errors"][field] == message
    assert SupervisionOrder.select().count() == 0


@pytest.mark.parametrize("change, field, message", [
    ({"due": (TODAY - datetime.timedelta(days=1)).isoformat()}, "due", "办结期限不能早于今天"),
    ({"due": (TODAY + datetime.timedelta(days=400)).isoformat()}, "due", "办结期限应在一年之内"),
    ({"due": "下周五"}, "due", "办结期限格式应为 2023-04-10"),
    ({"due": None}, "due", "请填写办结期限"),
    ({"request": "  "}, "request", "请填写督办要求"),
    ({"request": "长" * 1001}, "request", "督办要求最多 1000 个字"),
    ({"to": ""}, "to", "请选择督办对象"),
    ({"client_uuid": "not-a-uuid"}, "client_uuid", "缺少或无效的编号（client_uuid 应为 UUID）"),
    ({"subject": "华阳一居委"}, "subject", "请选择督办事项"),
    ({"subject": {"kind": "case", "id": True}}, "subject.id", "督办事项的编号应为数字或代码"),
])
def test_a_wrong_field_is_named_in_chinese(world, client, actions, change, field, message):
    actions.login("district")
    reply = client.post("/api/v1/orders", json={**order_body(), **change})
    assert reply.status_code == 422 and reply.get_json()["errors"][field] == message


def test_a_body_that_is_no_object_is_refused(world, client, actions):
    actions.login("district")
    for body in ([], "督办", None):
        reply = client.post("/api/v1/orders", json=body)
        assert reply.status_code == 422 and "body" in reply.get_json()["errors"]
    number = issue(client).get_json()["id"]
    reply = client.patch(f"/api/v1/orders/{number}", data="x", content_type="text/plain")
    assert reply.status_code == 422 and reply.get_json()["errors"] == {"body": "请求内容应为 JSON 对象"}


def test_an_order_about_a_case_and_about_a_quality_signal(world, client, actions):
    actions.login("surveyor")
    assert actions.post_survey(survey_body()).status_code == 201
    case = cases.cases_for(world["district"])[0]
    signal = QualitySignal.create(kind="burst", user=world["surveyor"], community=COMMUNITY, day=TODAY,
                                  starts=now_local(), ends=now_local(), count=30, record_ids="1")
    as_user(actions, "district")
    about_case = issue(client, kind="case", subject=case.id)
    assert about_case.status_code == 201, about_case.get_json()
    assert about_case.get_json()["subject"] == {"kind": "case", "id": str(case.id), "label": f"案件 #{case.id}"}
    about_signal = issue(client, kind="signal", subject=str(signal.id)).get_json()
    assert about_signal["subject"]["label"] == f"质量信号 #{signal.id}（速度异常）"
    page = client.get(f"/orders/{about_case.get_json()['id']}").get_data(as_text=True)
    assert f'href="/cases/{case.id}"' in page and case.title in page
    as_user(actions, "street")
    page = client.get(f"/orders/{about_signal['id']}").get_data(as_text=True)
    assert f'href="/quality/{signal.id}"' in page and "华阳一居委" in page
    assert "surveyor" not in words(page)  # the account a signal is about is not named on the order


# --- who sees an order ------------------------------------------------------------------------------------------


def test_nobody_but_the_issuer_and_the_recipient_sees_an_order(world, client, actions):
    actions.login("street")
    to_community = issue(client, to=COMMUNITY, kind="other", subject="").get_json()["id"]
    as_user(actions, "district")
    to_street = issue(client).get_json()["id"]
    to_department = issue(client, to="xiaofang", kind="other", subject="").get_json()["id"]
    seen = {"street": {to_community, to_street}, "district": {to_street, to_department},
            "surveyor": {to_community}, "department": {to_department}, "other_street": set(),
            "surveyor2": set(), "other_surveyor": set()}
    for username, mine in seen.items():
        as_user(actions, username)
        assert {o["id"] for o in client.get("/api/v1/orders").get_json()["orders"]} == mine, username
        for number in (to_community, to_street, to_department):
            expected = 200 if number in mine else 404
            assert client.get(f"/api/v1/orders/{number}").status_code == expected, (username, number)
            assert client.get(f"/orders/{number}").status_code == expected, (username, number)
            if number not in mine:
                assert client.patch(f"/api/v1/orders/{number}", json={"response": "x"}).status_code == 404
                assert client.post(f"/orders/{number}/answer", data={"response": "x"}).status_code in (404,)


def test_the_city_orders_a_district_and_other_districts_see_nothing_of_it(city, client, actions):
    actions.login("city")
    reply = issue(client, to=XUHUI, kind="other", subject="")
    assert reply.status_code == 201, reply.get_json()
    number = reply.get_json()["id"]
    assert issue(client, to=XUHUI_STREET, kind="other", subject="").get_json()["errors"] == \
        {"to": "只能向本市的区下发督办"}
    for username in ("district", "xuhui_street", "street"):
        as_user(actions, username)
        assert client.get(f"/api/v1/orders/{number}").status_code == 404, username
    as_user(actions, "xuhui")
    assert client.patch(f"/api/v1/orders/{number}", json={"response": "已部署全区补访"}).status_code == 200
    assert issue(client, to=STREET, kind="other", subject="").get_json()["errors"] == \
        {"to": "只能向本区的街镇或部门下发督办"}
    as_user(actions, "city")
    assert client.patch(f"/api/v1/orders/{number}", json={"status": "closed"}).get_json()["status"] == "closed"


# --- client_uuid: the same order once ---------------------------------------------------------------------------


def test_an_order_is_stored_once_per_client_uuid(world, client, actions):
    actions.login("district")
    body = order_body()
    first = client.post("/api/v1/orders", json=body)
    again = client.post("/api/v1/orders", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    other = client.post("/api/v1/orders", json={**body, "request": "另一件事"})
    assert other.status_code == 409 and other.get_json()["order"]["id"] == first.get_json()["id"]
    assert other.get_json()["order"]["request"] == body["request"]
    as_user(actions, "street")
    taken = client.post("/api/v1/orders", json={**body, "to": COMMUNITY})
    assert taken.status_code == 422 and taken.get_json()["errors"] == {"client_uuid": "这个编号已被其他单位使用"}
    assert SupervisionOrder.select().count() == 1 and OrderStep.select().count() == 1
    assert body_hash_is_kept(first.get_json()["id"])


def body_hash_is_kept(number):
    return len(SupervisionOrder.get_by_id(number).body_hash) == 64


def test_a_form_sent_twice_makes_one_order(world, client, actions):
    actions.login("district")
    form = {"client_uuid": str(uuid.uuid4()), "to": STREET, "subject_kind": "community",
            "subject_community": COMMUNITY, "request": "请补访", "due": DUE}
    first, second = client.post("/orders/new", data=form), client.post("/orders/new", data=form)
    assert first.status_code == second.status_code == 303 and first.location == second.location
    assert SupervisionOrder.select().count() == 1
    changed = client.post("/orders/new", data={**form, "request": "改过的要求"})
    assert changed.status_code == 409 and "这张表单已经提交过一件不同的督办" in changed.get_data(as_text=True)


# --- overdue: it stands out for both ----------------------------------------------------------------------------


def test_an_overdue_order_stands_out_and_comes_first_for_both_sides(world, client, actions):
    actions.login("district")
    later = issue(client).get_json()["id"]
    late = issue(client, kind="other", subject="").get_json()["id"]
    closed = issue(client, kind="other", subject="").get_json()["id"]
    make_overdue(late)
    make_overdue(closed, days=5)
    as_user(actions, "street")
    client.patch(f"/api/v1/orders/{closed}", json={"response": "已办"})
    as_user(actions, "district")
    client.patch(f"/api/v1/orders/{closed}", json={"status": "closed"})
    for username in ("district", "street"):
        as_user(actions, username)
        found = client.get("/api/v1/orders").get_json()["orders"]
        assert [(o["id"], o["overdue"]) for o in found] == [(late, True), (later, False), (closed, False)], username
        assert [o["id"] for o in client.get("/api/v1/orders?overdue=1").get_json()["orders"]] == [late]
        page = client.get("/orders/").get_data(as_text=True)
        assert page.count('<span class="badge overdue">逾期</span>') == 1
        assert page.index(f'/orders/{late}"') < page.index(f'/orders/{later}"')
        assert "已过办结期限" in client.get(f"/orders/{late}").get_data(as_text=True)
        home = words(client.get("/").get_data(as_text=True))
        assert ("1 件收到的督办已逾期" if username == "street" else "1 件发出的督办已逾期") in home


def test_the_list_filters_and_refuses_what_it_does_not_know(world, client, actions):
    actions.login("district")
    issue(client)
    answered = issue(client, kind="other", subject="").get_json()["id"]
    as_user(actions, "street")
    client.patch(f"/api/v1/orders/{answered}", json={"response": "已办"})
    issue(client, to=COMMUNITY, kind="other", subject="")

    def ids(query):
        return len(client.get(f"/api/v1/orders?{query}").get_json()["orders"])

    assert (ids(""), ids("side=received"), ids("side=issued"), ids("status=waiting"), ids("status=answered"),
            ids("side=received&status=waiting")) == (3, 2, 1, 2, 1, 1)
    reply = client.get("/api/v1/orders?status=late&overdue=yes&side=mine")
    assert reply.status_code == 422 and set(reply.get_json()["errors"]) == {"status", "overdue", "side"}
    assert client.get("/orders/?status=late").status_code == 200  # the page shows everything instead
    fragment = client.get("/orders/?side=issued", headers={"HX-Request": "true"})
    assert "HX-Request" in fragment.headers["Vary"] and "<html" not in fragment.get_data(as_text=True)
    assert fragment.get_data(as_text=True).count('class="case order') == 1


# --- pages ------------------------------------------------------------------------------------------------------


def test_the_new_order_form_says_what_is_wrong_at_the_field(world, client, actions):
    actions.login("district")
    page = client.get(f"/orders/new?to={STREET}&kind=community&id={COMMUNITY}").get_data(as_text=True)
    assert f'<option value="{STREET}" selected>华阳路街道</option>' in page
    assert f'<option value="{COMMUNITY}" selected>华阳一居委</option>' in page
    assert '<optgroup label="部门">' in page and '<optgroup label="江苏路街道">' in page
    reply = client.post("/orders/new", data={"to": STREET, "subject_kind": "community", "subject_community": "",
                                             "request": "", "due": "2000-01-01"})
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert '<p class="field-error" id="err-subject-community">请选择居委</p>' in html
    assert '<p class="field-error" id="err-request">请填写督办要求</p>' in html
    assert '<p class="field-error" id="err-due">办结期限不能早于今天</p>' in html
    assert SupervisionOrder.select().count() == 0


def test_the_navigation_count_is_one_count(world, client, actions, caplog):
    actions.login("district")
    issue(client)
    street = User.get(User.username == "street")
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        caplog.clear()
        assert orders.waiting_count(street) == 1
    sql = [r.getMessage() for r in caplog.records if r.name == "peewee"]
    assert len(sql) == 1 and sql[0].startswith("('SELECT COUNT(") and "FROM (" not in sql[0]
    assert re.search(r'WHERE \(\("t1"."to_org_id" = .*\) AND \("t1"."status" IN', sql[0])


# --- mail ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def mailing(make_app, smtp_server):
    """An app that mails (SMTP on loopback), its world, and 华阳路街道 with a mailbox."""
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_FROM="paimo@example.cn", SMTP_TIMEOUT=2)
    with app.app_context():
        make_world(app)
    result = app.test_cli_runner().invoke(args=["set-mailbox", STREET, "huayang@example.cn"])
    assert result.exit_code == 0 and "华阳路街道的督办邮箱：huayang@example.cn" in result.output
    return app


def test_a_new_order_is_mailed_to_the_recipients_mailbox(mailing, smtp_server):
    client = mailing.test_client()
    Actions(client).login("district")
    reply = issue(client)
    assert reply.status_code == 201 and reply.get_json()["mail_status"] == "sent"
    envelope, message = smtp_server.mailbox.received[0]
    assert envelope.rcpt_tos == ["huayang@example.cn"] and envelope.mail_from == "paimo@example.cn"
    assert message["Subject"] == f"【督办】长宁区：华阳一居委的排摸覆盖（{DUE}前办结）"
    text = message.get_body(("plain",)).get_content()
    assert "华阳一居委未走访单位较多，请组织补访" in text
    assert f"https://paimo.example.cn/orders/{reply.get_json()['id']}" in text
    # No mailbox, no mail: the department has none.
    assert issue(client, to="xiaofang", kind="other", subject="").get_json()["mail_status"] == "off"
    assert len(smtp_server.mailbox.received) == 1


def test_a_failing_smtp_server_loses_nothing_and_the_mail_goes_later(mailing, smtp_server):
    mailing.config["SMTP_PORT"] = free_port()  # nobody listens there
    client = mailing.test_client()
    Actions(client).login("district")
    reply = issue(client)
    assert reply.status_code == 201  # the order stands
    number = reply.get_json()["id"]
    stored = SupervisionOrder.get_by_id(number)
    assert stored.mail_status == "failed" and "ConnectionRefused" in stored.mail_error
    assert "发送失败" in client.get(f"/orders/{number}").get_data(as_text=True)
    Actions(client).logout()
    Actions(client).login("street")
    assert client.get(f"/api/v1/orders/{number}").get_json()["status"] == "open"  # the street has it all the same

    mailing.config["SMTP_PORT"] = smtp_server.port
    result = mailing.test_cli_runner().invoke(args=["mail-overdue-orders"])
    assert result.exit_code == 0 and "重发下发通知：成功 1 件，失败 0 件" in result.output
    assert SupervisionOrder.get_by_id(number).mail_status == "sent"
    assert smtp_server.mailbox.received[0][1]["Subject"].startswith("【督办】长宁区")


def test_an_overdue_order_is_mailed_once(mailing, smtp_server):
    client = mailing.test_client()
    Actions(client).login("district")
    late = issue(client).get_json()["id"]
    issue(client)  # not overdue
    to_department = issue(client, to="xiaofang", kind="other", subject="").get_json()["id"]
    make_overdue(late)
    make_overdue(to_department)
    smtp_server.mailbox.received.clear()
    runner = mailing.test_cli_runner()
    result = runner.invoke(args=["mail-overdue-orders"])
    assert "逾期督办：发送 1 件，失败 0 件，对方未设邮箱 1 件" in result.output
    assert len(smtp_server.mailbox.received) == 1
    envelope, message = smtp_server.mailbox.received[0]
    assert envelope.rcpt_tos == ["huayang@example.cn"] and message["Subject"].startswith("【督办逾期】长宁区")
    assert SupervisionOrder.get_by_id(late).overdue_mailed_at is not None
    assert "逾期督办：发送 0 件" in runner.invoke(args=["mail-overdue-orders"]).output
    assert len(smtp_server.mailbox.received) == 1


def test_without_smtp_nothing_is_mailed(world, client, actions, runner):
    order_mail.set_mailbox(STREET, "huayang@example.cn")
    actions.login("district")
    assert issue(client).get_json()["mail_status"] == "off"
    assert "未配置 SMTP" in runner.invoke(args=["mail-overdue-orders"]).output


def test_set_mailbox_takes_an_org_or_a_department_and_refuses_nonsense(world, runner):
    assert runner.invoke(args=["set-mailbox", "xiaofang", "xfzd@example.cn"]).exit_code == 0
    assert Department.get_by_id("xiaofang").mailbox == "xfzd@example.cn"
    bad = runner.invoke(args=["set-mailbox", STREET, "not an address"])
    assert bad.exit_code != 0 and "邮箱地址不正确" in bad.output
    unknown = runner.invoke(args=["set-mailbox", "999", "a@example.cn"])
    assert unknown.exit_code != 0 and "没有这个组织或部门代码" in unknown.output
    assert runner.invoke(args=["set-mailbox", "xiaofang", ""]).exit_code == 0
    assert Department.get_by_id("xiaofang").mailbox == "" and Org.get_by_id(STREET).mailbox == ""
    assert AuditLog.select().where(AuditLog.action == "set_mailbox").count() == 2


def test_a_居委_and_a_department_see_their_waiting_orders_where_they_land(world, client, actions):
    """A 居委's home is its survey screen and a department's its cases: the orders waiting for them show there."""
    actions.login("street")
    assert client.post("/api/v1/orders", json=order_body(to=COMMUNITY, kind="other", subject="")).status_code == 201
    as_user(actions, "district")
    assert issue(client, to="xiaofang", kind="other", subject="").status_code == 201
    for who, page in (("surveyor", "/survey/"), ("department", "/cases/")):
        as_user(actions, who)
        assert "督办：1 件待本单位反馈整改情况" in words(client.get(page).get_data(as_text=True)), who
    as_user(actions, "other_surveyor")
    assert "督办：" not in words(client.get("/survey/").get_data(as_text=True))
