"""考核排名 (design section 12; issue 19 part 3): the figures of a small district worked out by hand from the rosters,
records, quality signals, 回访, submissions and referrals made below; the ranking order and its ties; sorting on
the page; the workbook read back with openpyxl; who sees which ranking (a street its 居委 only, 404 for anything
else); the same rows as JSON, page and workbook."""
import datetime
import io
import re

import openpyxl
import pytest

from domain.reporting import submissions
from domain.reporting.campaign import current_campaign, load_campaign_file
from domain.supervision.ranking import LEVELS, RankedRow, rank, ranking
from models import AuditLog, Case, CaseEvent, Org, QualitySignal, Recheck, Referral, Submission, User, db
from tests.conftest import COMMUNITY, COMMUNITY_2, OTHER_COMMUNITY, OTHER_STREET, STREET
from tests.test_campaign import PLAN
from tests.test_city import city  # noqa: F401 (fixture)
from tests.test_kept_state import import_roster
from tests.test_tables import visit

DISTRICT = "310105"
D1 = datetime.date(2023, 3, 22)  # a Wednesday
D2 = datetime.date(2023, 3, 31)
D3 = datetime.date(2023, 4, 13)  # after the first two deadlines of the plan (4月5日, 4月12日)
ROSTER_DAY = datetime.date(2023, 3, 10)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def at(day, hour=10, minute=0):
    return datetime.datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00")


def signal(user, community, kind, day, verdict=None, reviewed=None, note="", count=30):
    """A quality signal as the lead's module keeps it (evidence on `user`'s records), reviewed or not."""
    return QualitySignal.create(kind=kind, user=user, community=community, day=day, starts=at(day), ends=at(day, 11),
                                count=count, record_ids="1", verdict=verdict, note=note,
                                reviewed_at=at(reviewed, 16) if reviewed else None)


def recheck(community, survey, result, checked, as_of="2023-03-20"):
    return Recheck.create(community=community, as_of=as_of, seed="s", survey=survey, result=result,
                          checked_at=at(checked, 15) if checked else None)


def referral(anchor, department, referred, due, steps=()):
    """A case referred to `department` at `referred`, due `due`, then its department's steps [(action, moment)]."""
    case = Case.create(anchor=anchor, kind="institution")
    made = Referral.create(case=case, department=department, referred_at=referred, due=due, updated_at=referred,
                           status=steps[-1][0] if steps else "referred")
    CaseEvent.create(case=case, referral=made, action="referred", at=referred)
    for action, moment in steps:
        CaseEvent.create(case=case, referral=made, action=action, at=moment)
    return made


def submitted(org, moment, department=False):
    return Submission.create(street=None if department else org, department=org if department else None,
                             as_of=moment.date(), submitted_at=moment, document=b'{"tables": {}}', workbook=b"",
                             workbook_name="x.xlsx", body_hash="-")


def build_supervised(world, keep_empty_streets=False):
    """Two streets of 长宁区 with rosters, records, signals, 回访, submissions and referrals (the other streets of the
    shipped tree, which have no 居委, are removed unless `keep_empty_streets`)."""
    if not keep_empty_streets:
        Org.delete().where((Org.kind == "street") & Org.code.not_in([STREET, OTHER_STREET])).execute()
    district = world["district"]
    rosters = {COMMUNITY: ["长宁路1号", "长宁路2号", "长宁路3号", "长宁路4号"], COMMUNITY_2: ["江苏路5号", "江苏路6号"],
               OTHER_COMMUNITY: ["愚园路1号", "愚园路2号", "愚园路3号", "愚园路4号"]}
    for community, addresses in rosters.items():
        import_roster(district, community, addresses, ROSTER_DAY)
    # 华阳一居委: 3 of 4 surveyed; 华阳二居委: one surveyed, one absent; 江苏一居委: one by D1, a second after it.
    surveyor, surveyor2, other = world["surveyor"], world["surveyor2"], world["other_surveyor"]
    records = [visit(surveyor, COMMUNITY, address, "2023-03-20") for address in rosters[COMMUNITY][:3]]
    records.append(visit(surveyor2, COMMUNITY_2, "江苏路5号", "2023-03-20"))
    visit(surveyor2, COMMUNITY_2, "江苏路6号", "2023-03-21", outcome="absent")
    records.append(visit(other, OTHER_COMMUNITY, "愚园路1号", "2023-03-20"))
    visit(other, OTHER_COMMUNITY, "愚园路2号", "2023-03-25")
    # Signals: open, confirmed by D1, confirmed only after D1, explained, filed after D1.
    signal(surveyor, COMMUNITY, "burst", "2023-03-20")
    signal(surveyor2, COMMUNITY_2, "night", "2023-03-19", "confirmed", "2023-03-21", "夜间补录，已约谈", count=6)
    signal(other, OTHER_COMMUNITY, "backfill", "2023-03-20", "confirmed", "2023-03-23", "集中补录，未实地走访", count=12)
    signal(other, OTHER_COMMUNITY, "burst", "2023-03-18", "explained", "2023-03-21", "楼组长陪同，时间属实")
    signal(surveyor, COMMUNITY, "night", "2023-03-24", count=5)
    # Before the campaign (it begins 3月1日): counts nowhere, neither in the ranking nor in the 通报.
    signal(other, OTHER_COMMUNITY, "backfill", "2023-02-20", "confirmed", "2023-02-21", "活动开始前的问题")
    signal(surveyor, COMMUNITY, "burst", "2023-02-21")
    # 回访: 华阳一居委 two 一致 and one 未联系上, 华阳二居委 one 不一致 (by D1); 江苏一居委 one 一致 after D1, one not done.
    recheck(COMMUNITY, records[0], "match", "2023-03-21")
    recheck(COMMUNITY, records[1], "match", "2023-03-21")
    recheck(COMMUNITY, records[2], "unreachable", "2023-03-21")
    recheck(COMMUNITY_2, records[3], "mismatch", "2023-03-21")
    recheck(OTHER_COMMUNITY, records[4], "match", "2023-03-23")
    recheck(OTHER_COMMUNITY, records[4], None, None, as_of="2023-03-21")
    # Referrals: 消防救援 ends two (4.0 and 1.5 days) and has one overdue; 市场监管 returns one (1.125 days) and has
    # one due 3/25 (overdue by D2); 公安 ends one after D1 (2 days).
    referral("n:a", "xiaofang", at("2023-03-10", 9), datetime.date(2023, 3, 20), [("penalised", at("2023-03-14", 9))])
    referral("n:b", "xiaofang", at("2023-03-12", 9), datetime.date(2023, 3, 30), [("unfounded", at("2023-03-13", 21))])
    referral("n:c", "xiaofang", at("2023-03-15", 9), datetime.date(2023, 3, 18), [("accepted", at("2023-03-15", 12))])
    referral("n:d", "shichang", at("2023-03-15", 9), datetime.date(2023, 3, 25))
    referral("n:e", "shichang", at("2023-03-16", 9), datetime.date(2023, 3, 26), [("returned", at("2023-03-17", 12))])
    referral("n:f", "gongan", at("2023-03-21", 9), datetime.date(2023, 4, 30), [("penalised", at("2023-03-23", 9))])
    referral("n:g", "xiaofang", at("2023-02-10", 9), datetime.date(2023, 2, 20))  # before the campaign
    # Submissions (the plan's deadlines 4月5日 and 4月12日): 华阳路 on time for the first, late for the second; 江苏路
    # late for the first (so on time for the second); 消防救援 on time for both.
    load_campaign_file(PLAN)
    submitted(STREET, at("2023-04-04", 17))
    submitted(STREET, at("2023-04-13", 9))
    submitted(OTHER_STREET, at("2023-04-06", 9))
    submitted("xiaofang", at("2023-04-05", 23, 30), department=True)
    submitted("xiaofang", at("2023-04-10", 9), department=True)


@pytest.fixture
def supervised(app, world):
    with app.app_context():
        build_supervised(world)
        db.close()
    return world


def by_code(result):
    return {row.code: row for row in result.rows}


def figures(result, code):
    return [row for row in result.as_json()["rows"] if row["code"] == code][0]


# --- the figures, worked out by hand from build_supervised ----------------------------------------------------


def test_streets_as_of_a_day_read_coverage_signals_rechecks_from_what_is_kept(app, supervised):
    with app.app_context():
        district = Org[DISTRICT]
        result = ranking(D1, district)
        assert result.level.key == "street"
        assert figures(result, STREET) == {
            "rank": 1, "code": STREET, "name": "华阳路街道", "roster": 6, "coverage": "66.7", "not_visited": 1,
            "signals_open": 1, "signals_confirmed": 1, "rechecked": 3, "match_rate": "66.7", "on_time": 0,
            "on_time_rate": None}
        assert figures(result, OTHER_STREET) == {
            "rank": 2, "code": OTHER_STREET, "name": "江苏路街道", "roster": 4, "coverage": "25.0", "not_visited": 3,
            "signals_open": 1, "signals_confirmed": 0, "rechecked": 0, "match_rate": None, "on_time": 0,
            "on_time_rate": None}
        assert result.as_json()["total"] == {
            "roster": 10, "coverage": "50.0", "not_visited": 4, "signals_open": 2, "signals_confirmed": 1,
            "rechecked": 3, "match_rate": "66.7", "on_time": 0, "on_time_rate": None}
        assert result.deadlines_due == 0

        # Nine days later: the second visit and the 回访 of 江苏一居委, the signal confirmed on 3/23, the one filed 3/24.
        later = ranking(D2, district)
        assert figures(later, STREET) | {"rank": None} == figures(result, STREET) | {
            "rank": None, "signals_open": 2}
        assert {k: figures(later, OTHER_STREET)[k] for k in ("coverage", "not_visited", "signals_open",
                                                            "signals_confirmed", "rechecked", "match_rate")} == {
            "coverage": "50.0", "not_visited": 2, "signals_open": 0, "signals_confirmed": 1, "rechecked": 1,
            "match_rate": "100.0"}


def test_a_streets_communities(app, supervised):
    with app.app_context():
        result = ranking(D1, Org[STREET])
        assert result.level.key == "community" and [c.key for c in result.columns][-1] == "match_rate"
        assert [(r["rank"], r["code"], r["coverage"], r["not_visited"], r["signals_open"], r["signals_confirmed"],
                 r["rechecked"], r["match_rate"]) for r in result.as_json()["rows"]] == [
            (1, COMMUNITY, "75.0", 1, 1, 0, 2, "100.0"),
            (2, COMMUNITY_2, "50.0", 0, 0, 1, 1, "0.0")]
        assert "on_time" not in result.as_json()["total"]  # a 居委 submits nothing


def test_a_record_in_two_samples_is_one_回访(app, supervised):
    with app.app_context():
        before = figures(ranking(D1, Org[STREET]), COMMUNITY)
        first = Recheck.get((Recheck.community == COMMUNITY) & (Recheck.result == "match"))
        recheck(COMMUNITY, first.survey_id, "match", "2023-03-21", as_of="2023-03-19")  # drawn again, another day
        after = figures(ranking(D1, Org[STREET]), COMMUNITY)
        assert (after["rechecked"], after["match_rate"]) == (before["rechecked"], before["match_rate"])


def test_departments_overdue_and_median_days_to_end_a_referral(app, supervised):
    with app.app_context():
        result = ranking(D1, Org[DISTRICT], "department")
        rows = {r["code"]: r for r in result.as_json()["rows"]}
        assert len(rows) == 7
        assert rows["xiaofang"] | {"rank": 0} == {
            "rank": 0, "code": "xiaofang", "name": "区消防救援支队", "referrals": 3, "open": 1, "overdue": 1,
            "ended": 2, "returned": 0, "median_days": "2.8", "on_time": 0, "on_time_rate": None}  # 4.0 and 1.5
        assert {k: rows["shichang"][k] for k in ("referrals", "open", "overdue", "ended", "returned", "median_days")} \
            == {"referrals": 2, "open": 1, "overdue": 0, "ended": 1, "returned": 1, "median_days": "1.1"}
        assert {k: rows["gongan"][k] for k in ("referrals", "open", "ended", "median_days")} == \
            {"referrals": 1, "open": 1, "ended": 0, "median_days": None}
        assert result.as_json()["total"]["median_days"] == "1.5"  # of 4.0, 1.5 and 1.125
        # Fewest overdue first, then the fewest days: 市场监管, then five tied (no days yet), then 消防救援.
        assert [(r.rank, r.code) for r in result.rows] == [
            (1, "shichang"), (2, "gongan"), (2, "jianshe"), (2, "jiaoyu"), (2, "minzheng"), (2, "renshe"),
            (7, "xiaofang")]
        later = {r["code"]: r for r in ranking(D2, Org[DISTRICT], "department").as_json()["rows"]}
        assert later["shichang"]["overdue"] == 1 and later["gongan"]["median_days"] == "2.0"


def test_submissions_on_time_follow_the_deadlines_of_the_campaign(app, supervised):
    with app.app_context():
        result = ranking(D3, Org[DISTRICT])
        assert result.deadlines_due == 2
        assert {r["code"]: (r["on_time"], r["on_time_rate"]) for r in result.as_json()["rows"]} == {
            STREET: (1, "50.0"), OTHER_STREET: (1, "50.0")}
        assert result.as_json()["total"]["on_time_rate"] == "50.0"
        departments = {r["code"]: (r["on_time"], r["on_time_rate"])
                       for r in ranking(D3, Org[DISTRICT], "department").as_json()["rows"]}
        assert departments["xiaofang"] == (2, "100.0") and departments["shichang"] == (0, "0.0")
        # The same as the district's board of deadlines (domain.reporting.submissions.board) says: on time per org.
        boards = submissions.board(current_campaign(D3), Org[DISTRICT], now=at("2023-04-13", 12))
        on_time = {}
        for board in boards:
            if board.deadline.due <= D3:
                for org in board.orgs:
                    on_time[org.code] = on_time.get(org.code, 0) + (org.status == "on_time")
        assert on_time[STREET] == 1 and on_time[OTHER_STREET] == 1 and on_time["xiaofang"] == 2


def test_the_city_ranks_its_districts(app, city):
    from tests.test_city import XUHUI, XUHUI_COMMUNITY

    with app.app_context():
        import_roster(None, XUHUI_COMMUNITY, ["徐家汇路1号", "徐家汇路2号"], ROSTER_DAY)
        visit(city["xuhui_surveyor"], XUHUI_COMMUNITY, "徐家汇路1号", "2023-03-20")
        result = ranking(D1, Org["310000"])
        assert result.level.key == "district"
        assert [(r["rank"], r["code"], r["roster"], r["coverage"]) for r in result.as_json()["rows"]] == [
            (1, XUHUI, 2, "50.0"), (2, DISTRICT, 0, "0.0")]
        db.close()


# --- the ranking order -------------------------------------------------------------------------------------------


def row(code, **figures):
    base = {"coverage": 0, "signals_confirmed": 0, "signals_open": 0, "match_rate": None, "on_time_rate": None}
    return RankedRow(code, code, {**base, **figures})


@pytest.mark.parametrize("rows, expected", [
    # coverage first, high first
    ([row("a", coverage=50), row("b", coverage=80)], [(1, "b"), (2, "a")]),
    # then fewer confirmed problems, then fewer open signals
    ([row("a", coverage=80, signals_confirmed=1), row("b", coverage=80, signals_open=3), row("c", coverage=80)],
     [(1, "c"), (2, "b"), (3, "a")]),
    # then a higher 回访一致率, no 回访 last; then 按时报送率
    ([row("a", match_rate=90), row("b"), row("c", match_rate=95), row("d", match_rate=90, on_time_rate=100)],
     [(1, "c"), (2, "d"), (3, "a"), (4, "b")]),
    # equal on everything: one rank, the next one skips (1, 1, 3); then by code
    ([row("b"), row("a"), row("c", coverage=-1)], [(1, "a"), (1, "b"), (3, "c")]),
])
def test_the_ranking_order(rows, expected):
    assert [(r.rank, r.code) for r in rank(LEVELS["street"], rows)] == expected


def test_best_and_weakest(app, supervised):
    with app.app_context():
        result = ranking(D1, Org[DISTRICT])
        assert [r.name for r in result.best] == ["华阳路街道"]
        assert [r.name for r in result.weakest] == ["江苏路街道"]
        alone = ranking(D1, Org[OTHER_STREET])
        assert [r.code for r in alone.best] == [OTHER_COMMUNITY] and alone.weakest == []


# --- the page, the API and the workbook -------------------------------------------------------------------------


def page_rows(reply):
    html = reply.get_data(as_text=True)
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    return [re.sub(r"<[^>]+>", "", name).strip() for name in re.findall(r'<th scope="row">(.*?)</th>', body)]


def test_the_district_sorts_any_column_on_the_page(client, actions, supervised):
    actions.login("district")
    reply = client.get(f"/ranking/?as_of={D1}")
    assert reply.status_code == 200
    assert page_rows(reply) == ["华阳路街道", "江苏路街道"]
    html = reply.get_data(as_text=True)
    for column in LEVELS["street"].columns:
        assert f"sort={column.key}" in html, column.key  # every header sorts
    assert "名次依次按覆盖率从高到低" in html
    # 未走访: most first, then the other way; a rate without a base last either way.
    assert page_rows(client.get(f"/ranking/?as_of={D1}&sort=not_visited&dir=desc")) == ["江苏路街道", "华阳路街道"]
    assert page_rows(client.get(f"/ranking/?as_of={D1}&sort=not_visited&dir=asc")) == ["华阳路街道", "江苏路街道"]
    assert page_rows(client.get(f"/ranking/?as_of={D1}&sort=match_rate&dir=asc")) == ["华阳路街道", "江苏路街道"]
    reply = client.get(f"/ranking/?as_of={D1}&sort=rank&dir=desc")
    assert page_rows(reply) == ["江苏路街道", "华阳路街道"]
    assert 'aria-sort="descending"' in reply.get_data(as_text=True)
    # htmx asks for the fragment alone.
    fragment = client.get(f"/ranking/?as_of={D1}&sort=not_visited", headers={"HX-Request": "true"})
    assert "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in fragment.get_data(as_text=True) and 'id="ranking"' in fragment.get_data(as_text=True)
    # The other levels: 居委 of the district, its departments; a street's 居委 after tapping the street.
    assert page_rows(client.get(f"/ranking/?as_of={D1}&level=community")) == ["华阳一居委", "华阳二居委", "江苏一居委"]
    assert page_rows(client.get(f"/ranking/?as_of={D1}&level=department"))[0] == "区市场监管局"
    assert page_rows(client.get(f"/ranking/?as_of={D1}&street={OTHER_STREET}")) == ["江苏一居委"]


def test_the_workbook_reads_back_as_the_page_shows_it(client, actions, supervised):
    actions.login("district")
    reply = client.get(f"/ranking/ranking.xlsx?as_of={D1}&sort=not_visited&dir=desc")
    assert reply.status_code == 200 and reply.mimetype == XLSX
    assert "attachment" in reply.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(reply.data)).active
    assert sheet.title == "考核排名（街镇）"
    assert sheet["A1"].value == "长宁区考核排名（街镇）"
    assert sheet["A3"].value.startswith("排名规则：名次依次按覆盖率从高到低")
    headers = [c.value for c in sheet[4]]
    assert headers == ["名次", "街镇"] + [c.header for c in LEVELS["street"].columns]
    values = [[c.value for c in r] for r in sheet.iter_rows(min_row=5)]
    assert values[0] == [2, "江苏路街道", 4, 25.0, 3, 1, 0, 0, None, 0, None]  # sorted as asked, numbers as numbers
    assert values[1] == [1, "华阳路街道", 6, 66.7, 1, 1, 1, 3, 66.7, 0, None]
    assert values[2] == ["合计", None, 10, 50.0, 4, 2, 1, 3, 66.7, 0, None]
    with client.application.app_context():
        assert AuditLog.select().where(AuditLog.action == "export_ranking_xlsx").count() == 1


def test_the_api_answers_the_rows_of_section_12(client, actions, supervised):
    actions.login("district")
    body = client.get(f"/api/v1/ranking?as_of={D1}&level=department").get_json()
    assert body["level"] == "department" and body["as_of"] == D1.isoformat()
    assert body["place"] == {"code": DISTRICT, "name": "长宁区", "kind": "district"}
    assert body["order"] == [{"key": "overdue", "direction": "asc"}, {"key": "median_days", "direction": "asc"},
                             {"key": "on_time_rate", "direction": "desc"}]
    assert list(body["rows"][0]) == ["rank", "code", "name"] + [c.key for c in LEVELS["department"].columns]
    street = client.get(f"/api/v1/ranking?as_of={D1}").get_json()
    with client.application.app_context():
        assert street == ranking(D1, Org[DISTRICT]).as_json()


# --- who sees what ---------------------------------------------------------------------------------------------


def test_a_street_sees_only_its_own_communities(client, actions, supervised):
    actions.login("street")
    body = client.get(f"/api/v1/ranking?as_of={D1}").get_json()
    assert body["level"] == "community" and [r["code"] for r in body["rows"]] == [COMMUNITY, COMMUNITY_2]
    assert client.get(f"/ranking/?as_of={D1}").status_code == 200
    for query in (f"street={OTHER_STREET}", f"district={DISTRICT}", "level=street", "level=department"):
        assert client.get(f"/api/v1/ranking?{query}").status_code == 404, query
        assert client.get(f"/ranking/?{query}").status_code == 404, query
    assert client.get("/ranking/bulletin.docx").status_code == 404  # the district's to draft


@pytest.mark.parametrize("role", ["surveyor", "department"])
def test_nobody_else_sees_a_ranking(client, actions, supervised, role):
    actions.login(role)
    for url in ("/api/v1/ranking", "/ranking/", "/ranking/ranking.xlsx", "/ranking/bulletin.docx"):
        assert client.get(url).status_code == 404, url


def test_another_district_is_404(client, actions, city):
    from tests.test_city import XUHUI, XUHUI_STREET

    actions.login("xuhui")
    assert client.get(f"/api/v1/ranking?district={DISTRICT}").status_code == 404
    assert client.get(f"/api/v1/ranking?street={STREET}").status_code == 404
    assert client.get(f"/ranking/?street={STREET}&level=community").status_code == 404
    assert client.get(f"/ranking/bulletin.docx?district={DISTRICT}").status_code == 404
    assert [r["code"] for r in client.get("/api/v1/ranking").get_json()["rows"]] == [XUHUI_STREET]
    actions.logout()
    actions.login("city")
    assert [r["code"] for r in client.get("/api/v1/ranking").get_json()["rows"]] == [XUHUI, DISTRICT]
    assert client.get(f"/api/v1/ranking?district={DISTRICT}").get_json()["level"] == "street"
    assert client.get("/api/v1/ranking?level=community").status_code == 404  # within a district or a street


def test_bad_input_is_said_at_its_field(client, actions, supervised):
    actions.login("district")
    reply = client.get("/api/v1/ranking?as_of=2023-13-01")
    assert reply.status_code == 422 and "as_of" in reply.get_json()["errors"]
    reply = client.get("/api/v1/ranking?level=town")
    assert reply.status_code == 422 and "排名层级" in reply.get_json()["errors"]["level"]
    page = client.get("/ranking/?as_of=2023-3-1")
    assert page.status_code == 422 and "统计日期格式应为 YYYY-MM-DD" in page.get_data(as_text=True)
    assert 'aria-invalid="true"' in page.get_data(as_text=True)
    assert client.get("/ranking/?level=town").status_code == 422
    assert client.get("/ranking/?sort=nonsense&dir=sideways").status_code == 200  # the ranking order, as it is


def test_the_ranking_names_no_account(app, supervised):
    """The ranking carries counts only: the accounts a signal rests on are the signal's, never the ranking's."""
    with app.app_context():
        text = str(ranking(D2, Org[DISTRICT]).as_json()) + str(ranking(D2, Org[STREET]).as_json())
        for user in User.select().where(User.role == "surveyor"):
            assert user.username not in text


def test_every_answer_is_the_documented_one(client, actions, supervised):
    from tests.test_openapi import conforms

    actions.login("district")
    for query in (f"as_of={D3}", f"as_of={D1}&level=department", f"as_of={D1}&level=community",
                  f"street={STREET}", "as_of=2023-13-01", "level=town", f"street={STREET}&level=street"):
        conforms(client.get(f"/api/v1/ranking?{query}"), "/ranking", "get")
    actions.logout()
    actions.login("street")
    assert conforms(client.get(f"/api/v1/ranking?as_of={D2}"), "/ranking", "get") == 200
