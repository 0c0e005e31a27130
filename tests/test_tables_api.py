"""附件1 over HTTP: the JSON of design section 8, the downloads, the pages, and who may see which street."""
import csv
import io
import json

import pytest

from models import AuditLog
from tests.conftest import OTHER_STREET, STREET
from tests.test_tables import D1, D2, EXPECTED, KEYS, build_district, district  # noqa: F401 (fixture)
from tests.test_workbook import HEADERS




def get_table(client, query):
    return client.get(f"/api/v1/tables/1?{query}")


def test_district_json_is_the_design_shape_with_the_figures(district, actions, client):
    actions.login("district")
    reply = get_table(client, f"as_of={D1}")
    assert reply.status_code == 200
    assert reply.mimetype == "application/json"
    body = json.loads(reply.get_data(as_text=True))
    assert list(body) == ["table", "as_of", "rows", "total"]
    assert (body["table"], body["as_of"]) == (1, "2023-03-22")
    assert list(body["rows"][0]) == ["code", "name"] + KEYS  # keys follow the 附件1 columns in order
    assert list(body["total"]) == KEYS
    assert len(body["rows"]) == 10
    street = next(r for r in body["rows"] if r["code"] == STREET)
    assert street == {"code": STREET, "name": "华阳路街道", **EXPECTED[D1][STREET]}
    assert body["total"] == EXPECTED[D1]["total"]


def test_district_asks_for_one_street_on_another_day(district, actions, client):
    actions.login("district")
    body = get_table(client, f"as_of={D2}&street={OTHER_STREET}").get_json()
    assert [r["code"] for r in body["rows"]] == [OTHER_STREET]
    assert body["total"] == EXPECTED[D2][OTHER_STREET]


def test_street_user_gets_only_its_street(district, actions, client):
    actions.login("street")
    body = get_table(client, f"as_of={D2}").get_json()
    assert [r["code"] for r in body["rows"]] == [STREET]
    assert body["total"] == EXPECTED[D2][STREET]
    assert get_table(client, f"as_of={D2}&street={STREET}").status_code == 200
    for path in ("/api/v1/tables/1", "/api/v1/tables/1.xlsx", "/api/v1/tables/1.csv", "/tables/",
                 "/tables/problems"):
        reply = client.get(f"{path}?as_of={D2}&street={OTHER_STREET}")
        assert reply.status_code == 404, path
        assert "江苏路" not in reply.get_data(as_text=True)


@pytest.mark.parametrize("username", ["surveyor", "department"])
def test_surveyors_and_departments_get_no_tables(district, actions, client, username):
    actions.login(username)
    assert get_table(client, f"as_of={D1}").status_code == 404
    assert client.get("/api/v1/tables/1.xlsx").status_code == 404
    assert client.get("/tables/").status_code == 404


def test_anonymous_gets_401_from_the_api(district, client):
    assert get_table(client, f"as_of={D1}").status_code == 401


@pytest.mark.parametrize("bad", ["2023-13-01", "yesterday", "1999-01-01", "2023/03/22"])
def test_a_bad_date_is_refused_in_chinese(district, actions, client, bad):
    actions.login("district")
    reply = get_table(client, f"as_of={bad}")
    assert reply.status_code == 422
    assert reply.get_json()["errors"]["as_of"].startswith("统计日期")
    page = client.get(f"/tables/?as_of={bad}")
    assert page.status_code == 422
    assert 'id="as_of-error"' in page.get_data(as_text=True)


def test_every_export_is_audited(district, actions, client):
    actions.login("street")
    for path in ("/api/v1/tables/1", "/api/v1/tables/1.xlsx", "/api/v1/tables/1.csv"):
        assert client.get(f"{path}?as_of={D1}").status_code == 200
    rows = list(AuditLog.select().where(AuditLog.action.startswith("export_table1")).order_by(AuditLog.id))
    assert [(r.action, r.object_id, r.detail, r.user.username) for r in rows] == [
        (f"export_table1_{kind}", STREET, "as_of=2023-03-22", "street") for kind in ("json", "xlsx", "csv")]


def test_csv_has_a_bom_and_the_figures(district, actions, client):
    actions.login("district")
    reply = client.get(f"/api/v1/tables/1.csv?as_of={D2}")
    assert reply.status_code == 200
    raw = reply.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows.index(["街镇代码", "街镇"] + HEADERS)
    street = next(r for r in rows if r[0] == STREET)
    assert street[2:] == [str(EXPECTED[D2][STREET][k]) for k in KEYS]
    assert rows[header + 11][1:] == ["合计"] + [str(EXPECTED[D2]["total"][k]) for k in KEYS]
    assert "attachment" in reply.headers["Content-Disposition"]


def test_csv_carries_the_title_the_date_and_the_community_rows_like_the_workbook(district, actions, client):
    """Issue 8: the CSV has the workbook's title, 填报单位 and 统计日期, and its second part, one row per 居委."""
    actions.login("street")
    rows = list(csv.reader(io.StringIO(client.get(f"/api/v1/tables/1.csv?as_of={D2}").data.decode("utf-8-sig"))))
    assert rows[0] == ["长宁区消防培训情况排摸统计表"]
    assert rows[1] == ["填报单位：长宁区华阳路街道", "统计日期：2023年3月31日（数据截至当日24时）"]
    assert rows[2] == ["街镇代码", "街镇"] + HEADERS
    assert rows[3][:2] == [STREET, "华阳路街道"] and rows[4][:2] == ["", "合计"]
    assert rows[5] == []
    assert rows[6] == ["长宁区消防培训情况排摸统计表（分居委）"]
    assert rows[8] == ["居委代码", "街镇", "居委"] + HEADERS[1:]
    communities = {r[0]: r for r in rows[9:11]}
    assert set(communities) == {"310105001001", "310105001002"}
    # 华阳二居委 on D2, by hand (tests/test_tables.py): U5 U7 surveyed, U6 absent; A (shared phone) and B,
    # whose case (R1 with U7) was referred.
    assert communities["310105001002"][1:] == ["华阳路街道", "华阳二居委", "2", "1", "1", "1", "2", "2", "2", "1",
                                               "1180.00", "0", "1", "0", "0.0"]
    assert rows[11][:3] == ["", "", "合计"]
    assert rows[11][3:] == [str(EXPECTED[D2][STREET][k]) for k in KEYS[1:]]


def test_street_page_has_the_date_picker_communities_and_charts(district, actions, client):
    actions.login("street")
    page = client.get(f"/tables/?as_of={D2}").get_data(as_text=True)
    assert '<label for="as_of">统计日期</label>' in page
    assert "今天</a>" in page and "上报日（周三" in page
    assert "华阳一居委" in page and "华阳二居委" in page and "江苏一居委" not in page
    assert page.count('<svg class="chart-bar"') == 2
    assert "华阳二居委：已排摸 2，未遇或拒访 1，疑似冒牌培训占 100.0%" in page
    assert f"/api/v1/tables/1.xlsx?as_of={D2}" in page
    assert '<a href="/tables/">统计表</a>' in page


def test_district_page_drills_down_to_a_street(district, actions, client):
    actions.login("district")
    page = client.get(f"/tables/?as_of={D1}").get_data(as_text=True)
    assert f'href="/tables/?as_of={D1}&amp;street={STREET}"' in page
    assert page.count('<svg class="chart-bar"') == 10
    drill = client.get(f"/tables/?as_of={D1}&street={STREET}").get_data(as_text=True)
    assert "华阳一居委" in drill and "江苏" not in drill.split("<tbody>")[1].split("</tbody>")[0]


def test_htmx_date_change_returns_only_the_table(district, actions, client):
    actions.login("street")
    reply = client.get(f"/tables/?as_of={D1}", headers={"HX-Request": "true"})
    text = reply.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="table">') and "<html" not in text
    assert "HX-Request" in reply.headers["Vary"]


def test_surveyor_has_no_tables_link(world, actions, client):
    actions.login("surveyor")
    assert "统计表" not in client.get("/profile").get_data(as_text=True)
