"""报送 (design sections 8 and 10): a street or department freezes its tables as of a day; the frozen copy is the
same, byte for byte, whatever arrives afterwards; the change view names the cells that changed; the district
sees per deadline who submitted and who is late; the workbook is mailed to a real SMTP server on loopback."""
import datetime
import io
import json
import uuid

import openpyxl
import pytest

from domain.reporting import submissions as submitted
from domain.reporting.campaign import load_campaign_file
from domain.survey.record import parse_record
from domain.survey.store import correct_record
from models import AuditLog, Submission, Survey, Unit
from tests.conftest import COMMUNITY, STREET
from tests.test_campaign import PLAN
from tests.test_tables import D1, D2, EXPECTED, KEYS, build_district, district, visit  # noqa: F401 (fixture)
from tests.test_workbook import HEADERS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def submit(client, as_of, **extra):
    return client.post("/api/v1/submissions", json={"as_of": as_of.isoformat(), **extra})


def test_a_street_submits_its_tables_as_they_are_on_the_day(district, actions, client):
    actions.login("street")
    reply = submit(client, D1)
    assert reply.status_code == 201
    body = json.loads(reply.data)
    assert list(body) == ["id", "org", "org_name", "as_of", "submitted_at", "submitted_by", "tables"]
    assert (body["org"], body["org_name"], body["as_of"], body["submitted_by"]) == \
        (STREET, "华阳路街道", "2023-03-22", "street")
    assert body["tables"]["1"] == client.get(f"/api/v1/tables/1?as_of={D1}").get_json()
    assert body["tables"]["1"]["total"] == EXPECTED[D1][STREET]
    assert body["tables"]["2"] is None  # a street fills no 附件2
    assert body["tables"]["3"] == client.get(f"/api/v1/tables/3?as_of={D1}").get_json()
    assert reply.headers["Location"].endswith(f"/api/v1/submissions/{body['id']}")
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/v1/submissions/{body['id']}.xlsx").data))
    assert book.sheetnames == ["附件1（街镇）", "附件1（居委）", "问题清单", "附件3"]
    assert AuditLog.select().where(AuditLog.action == "submit").count() == 1


def test_a_submitted_copy_never_changes_whatever_arrives_afterwards(district, actions, client):
    actions.login("street")
    created = submit(client, D1)
    number = created.get_json()["id"]
    frozen_json = client.get(f"/api/v1/submissions/{number}").data
    frozen_xlsx = client.get(f"/api/v1/submissions/{number}.xlsx")
    assert frozen_json == created.data
    assert frozen_xlsx.mimetype == XLSX
    before = client.get(f"/api/v1/tables/1?as_of={D1}").get_json()

    # New records of D1 and a correction of a record of D1 arrive.
    visit(district["district"], COMMUNITY, "长宁路1弄9号", "2023-03-21")
    survey = Survey.select().join(Unit).where(Unit.address == "长宁路1弄4号").get()
    record, errors = parse_record({
        "client_uuid": survey.client_uuid, "community": COMMUNITY,
        "unit": {"type": "household", "address": "长宁路1弄4号"}, "visited_at": "2023-03-21T10:00:00+08:00",
        "outcome": "absent", "trainings": [], "purchases": []})
    assert not errors
    correct_record(district["district"], survey, record)
    now = client.get(f"/api/v1/tables/1?as_of={D1}").get_json()
    assert now["total"] != before["total"]

    assert client.get(f"/api/v1/submissions/{number}").data == frozen_json
    assert client.get(f"/api/v1/submissions/{number}.xlsx").data == frozen_xlsx.data
    assert json.loads(frozen_json)["tables"]["1"] == before


def test_the_change_view_names_the_cells_that_changed(district, actions, client):
    actions.login("street")
    first = submit(client, D1).get_json()
    second = submit(client, D2).get_json()
    reply = client.get(f"/api/v1/submissions/{second['id']}/changes").get_json()
    assert reply["previous"] == first["id"]
    cells = {(c["table"], c["row"], c["column"]): (c["before"], c["after"]) for c in reply["changes"]}
    header = dict(zip(KEYS, HEADERS))
    changed = {k for k in KEYS if EXPECTED[D1][STREET][k] != EXPECTED[D2][STREET][k]}
    assert changed == {"surveyed", "households", "not_reached", "trained", "suspect", "institutions", "amount",
                       "reports", "referred"}
    for row in ("华阳路街道", "合计"):
        assert {column for table, name, column in cells if (table, name) == (1, row)} == {header[k] for k in changed}
    assert cells[(1, "华阳路街道", "排摸单位数")] == (4, 6)
    assert cells[(1, "华阳路街道", "涉及金额（元）")] == ("2698.00", "2798.00")
    assert cells[(3, "华阳路街道", "检查单位数")] == (4, 6)
    assert client.get(f"/api/v1/submissions/{first['id']}/changes").get_json() == \
        {"id": first["id"], "previous": None, "changes": []}

    page = client.get(f"/tables/submissions/{second['id']}").get_data(as_text=True)
    assert "与上次报送相比" in page and "共 " in page
    assert "<tr><td>附件1 · 华阳路街道</td><td>排摸单位数</td>\n        <td class=\"num\">4 → <strong>6</strong></td></tr>" in page


def test_the_change_view_compares_cell_by_cell():
    before = {"tables": {"1": {"rows": [{"code": "1", "name": "甲街道", "surveyed": 1, "amount": "1.00"},
                                        {"code": "2", "name": "乙街道", "surveyed": 2, "amount": "0.00"}],
                               "total": {"surveyed": 3, "amount": "1.00"}}, "2": None}}
    after = {"tables": {"1": {"rows": [{"code": "1", "name": "甲街道", "surveyed": 1, "amount": "1.50"},
                                       {"code": "3", "name": "丙街道", "surveyed": 5, "amount": "0.00"}],
                              "total": {"surveyed": 6, "amount": "1.50"}}, "2": None}}
    found = [(c.row, c.column, c.before, c.after) for c in submitted.changes(before, after)]
    assert found == [("甲街道", "涉及金额（元）", "1.00", "1.50"), ("丙街道", "排摸单位数", None, 5),
                     ("丙街道", "涉及金额（元）", None, "0.00"), ("合计", "排摸单位数", 3, 6),
                     ("合计", "涉及金额（元）", "1.00", "1.50"), ("乙街道", "排摸单位数", 2, None),
                     ("乙街道", "涉及金额（元）", "0.00", None)]


def test_a_submission_is_stored_once_per_client_uuid(district, actions, client):
    actions.login("street")
    key = str(uuid.uuid4())
    first = submit(client, D1, client_uuid=key)
    again = submit(client, D1, client_uuid=key)
    assert (first.status_code, again.status_code, again.data) == (201, 200, first.data)
    other = submit(client, D2, client_uuid=key)
    assert other.status_code == 409 and other.get_json()["submission"]["id"] == first.get_json()["id"]
    assert Submission.select().count() == 1


@pytest.mark.parametrize("as_of, message", [("2999-01-01", "统计日期不能晚于今天"), ("", "请填写统计日期"),
                                            ("3月22日", "统计日期格式应为 YYYY-MM-DD，例如 2023-03-29")])
def test_a_wrong_day_is_refused_in_chinese(world, actions, client, as_of, message):
    actions.login("street")
    reply = client.post("/api/v1/submissions", json={"as_of": as_of})
    assert reply.status_code == 422 and reply.get_json()["errors"]["as_of"] == message


def test_who_sees_which_submission(district, actions, client):
    actions.login("street")
    number = submit(client, D1).get_json()["id"]
    actions.logout()
    for username, status in (("other_street", 404), ("department", 404), ("surveyor", 404), ("district", 200)):
        actions.login(username)
        for path in (f"/api/v1/submissions/{number}", f"/api/v1/submissions/{number}.xlsx",
                     f"/api/v1/submissions/{number}/changes", f"/tables/submissions/{number}"):
            assert client.get(path).status_code == status, (username, path)
        actions.logout()
    actions.login("district")
    assert submit(client, D1).status_code == 404  # the district reviews; it does not submit
    assert [s["id"] for s in client.get("/api/v1/submissions").get_json()["submissions"]] == [number]


def test_a_department_submits_tables_2_and_3(world, actions, client):
    actions.login("department")
    body = submit(client, D2).get_json()
    assert body["org"] == "xiaofang" and body["tables"]["1"] is None
    assert {r["department"] for r in body["tables"]["2"]["rows"]} == {"xiaofang"}
    assert [r["code"] for r in body["tables"]["3"]["rows"]] == ["xiaofang"]


def test_the_form_submits_and_shows_the_frozen_copy(district, actions, client):
    actions.login("street")
    page = client.get(f"/tables/submissions?as_of={D1}").get_data(as_text=True)
    assert '<label for="f-as_of">统计日期（数据截至当日24时）</label>' in page and f'value="{D1}"' in page
    reply = client.post("/tables/submissions", data={"as_of": D1.isoformat(), "client_uuid": str(uuid.uuid4())})
    assert reply.status_code == 303
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "华阳路街道 · 截至 2023年3月22日的报送" in page and "这是华阳路街道的第一次报送" in page
    assert "邮件：未配置邮箱" in page
    reply = client.post("/tables/submissions", data={"as_of": "2999-01-01"})
    assert reply.status_code == 422 and "统计日期不能晚于今天" in reply.get_data(as_text=True)


# --- deadlines -----------------------------------------------------------------------------------------------


def submit_at(monkeypatch, user, when, as_of):
    from domain.org.permissions import own_scope

    monkeypatch.setattr(submitted, "now_local", lambda: datetime.datetime.fromisoformat(when))
    return submitted.submit(user, own_scope(user), as_of)[0]


def test_the_district_sees_per_deadline_who_submitted_and_who_is_late(world, actions, client, monkeypatch):
    plan = load_campaign_file(PLAN)
    on_time = submit_at(monkeypatch, world["street"], "2023-04-04 10:00:00", datetime.date(2023, 4, 3))
    late = submit_at(monkeypatch, world["other_street"], "2023-04-07 09:30:00", datetime.date(2023, 4, 6))
    boards = submitted.board(plan, now=datetime.datetime(2023, 4, 13, 8, 0))
    assert [b.deadline.due.isoformat() for b in boards] == ["2023-04-05", "2023-04-12", "2023-04-19", "2023-04-26"]
    first = {o.code: o for o in boards[0].orgs}
    assert (first[STREET].status, first[STREET].submission.id) == ("on_time", on_time.id)
    assert (first["310105002"].status, first["310105002"].label, first["310105002"].submission.id) == \
        ("late_submitted", "逾期，4月7日补报", late.id)
    assert (first["xiaofang"].status, first["xiaofang"].label) == ("late", "逾期未报")
    assert len(first) == 10 + 7  # every street and every department
    second = {o.code: o for o in boards[1].orgs}
    assert (second["310105002"].status, second[STREET].status) == ("on_time", "unchanged")  # no new data
    assert {o.status for o in boards[2].orgs} == {"pending"}

    monkeypatch.setattr(submitted, "now_local", lambda: datetime.datetime(2023, 4, 13, 8, 0))
    actions.login("district")
    page = client.get("/tables/submissions/board").get_data(as_text=True)
    assert "4月5日 首次报送附件1-3" in page and "逾期，4月7日补报" in page and "逾期未报" in page
    actions.logout()
    actions.login("street")
    assert client.get("/tables/submissions/board").status_code == 404


# --- mail ------------------------------------------------------------------------------------------------------


@pytest.fixture
def mailing_app(make_app, smtp_server):
    return make_app(SUBMISSION_MAILBOX="yangzhong@example.cn", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port,
                    SMTP_FROM="paimo@example.cn")


def test_the_workbook_is_mailed_to_the_mailbox_and_read_back_there(mailing_app, smtp_server):
    from tests.conftest import Actions, make_world

    with mailing_app.app_context():
        world = make_world(mailing_app)
        build_district(world)
    client = mailing_app.test_client()
    Actions(client).login("street")
    reply = submit(client, D1)
    assert reply.status_code == 201
    number = reply.get_json()["id"]
    assert len(smtp_server.mailbox.received) == 1
    envelope, message = smtp_server.mailbox.received[0]
    assert envelope.rcpt_tos == ["yangzhong@example.cn"] and envelope.mail_from == "paimo@example.cn"
    assert message["Subject"] == "【报送】华阳路街道 专项整治统计表（截至2023-03-22）"
    assert "华阳路街道" in message.get_body(("plain",)).get_content()
    attachment = next(message.iter_attachments())
    assert attachment.get_content_type() == XLSX
    assert attachment.get_filename() == "长宁区华阳路街道专项整治统计表_报送_2023-03-22.xlsx"
    assert attachment.get_content() == client.get(f"/api/v1/submissions/{number}.xlsx").data
    with mailing_app.app_context():
        stored = Submission.get_by_id(number)
        assert (stored.mail_status, stored.mail_error) == ("sent", "") and stored.mailed_at is not None


def test_a_mail_that_fails_keeps_the_submission_and_is_sent_again_later(make_app, smtp_server):
    from tests.conftest import Actions, free_port, make_world

    app = make_app(SUBMISSION_MAILBOX="yangzhong@example.cn", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(),
                   SMTP_FROM="paimo@example.cn", SMTP_TIMEOUT=2)
    with app.app_context():
        make_world(app)
    client = app.test_client()
    Actions(client).login("street")
    reply = submit(client, D1)
    assert reply.status_code == 201  # nobody listens on that port: the submission stands
    number = reply.get_json()["id"]
    with app.app_context():
        stored = Submission.get_by_id(number)
        assert stored.mail_status == "failed" and "ConnectionRefused" in stored.mail_error
    assert "发送失败" in client.get(f"/tables/submissions/{number}").get_data(as_text=True)

    app.config["SMTP_PORT"] = smtp_server.port
    result = app.test_cli_runner().invoke(args=["resend-mail"])
    assert "重发 1 份，成功 1 份" in result.output
    assert len(smtp_server.mailbox.received) == 1
    assert next(smtp_server.mailbox.received[0][1].iter_attachments()).get_content() == \
        client.get(f"/api/v1/submissions/{number}.xlsx").data


def test_a_weekly_deadline_asks_only_those_whose_tables_changed(world, monkeypatch):
    """"专项行动期间如数据有更新的，请于每周三前将最新表格发送": unchanged tables are not late."""
    plan = load_campaign_file(PLAN)
    submit_at(monkeypatch, world["street"], "2023-04-04 10:00:00", datetime.date(2023, 4, 3))
    submit_at(monkeypatch, world["other_street"], "2023-04-04 11:00:00", datetime.date(2023, 4, 3))
    # After the first deadline, a unit of 江苏路 is surveyed on 4/10; nothing happens in 华阳路.
    visit(world["district"], "310105002001", "愚园路10号", "2023-04-10")
    second = {o.code: o for o in submitted.board(plan, now=datetime.datetime(2023, 4, 13, 8, 0))[1].orgs}
    assert (second[STREET].status, second[STREET].label) == ("unchanged", "数据无更新，无需报送")
    assert second["310105002"].status == "late"
    assert second["xiaofang"].status == "late"  # never submitted: nothing to compare with
