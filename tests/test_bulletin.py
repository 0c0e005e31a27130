"""The 通报 draft (design section 12), read back with python-docx: a title, the period, the best and the weakest
streets and departments named with the figures that ranked them, and each confirmed problem (its 居委, account,
kind, day and the street's note) as a finding to rectify; a signal nobody confirmed is never named."""
import datetime
import io

import docx

from domain.supervision.bulletin import confirmed_problems, draft_bulletin
from models import AuditLog, Org
from tests.conftest import STREET
from tests.test_city import XUHUI, XUHUI_COMMUNITY, city  # noqa: F401 (fixture)
from tests.test_kept_state import import_roster
from tests.test_ranking import D1, D2, DISTRICT, ROSTER_DAY, supervised  # noqa: F401 (fixture)
from tests.test_tables import visit

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def read(reply):
    assert reply.status_code == 200, reply.status_code
    assert reply.mimetype == DOCX
    return docx.Document(io.BytesIO(reply.data))


def headings(document):
    return [p.text for p in document.paragraphs if p.style.name.startswith("Heading") or p.style.name == "Title"]


def after(document, heading):
    """The paragraphs under `heading`, up to the next heading."""
    texts = [(p.text, p.style.name) for p in document.paragraphs]
    start = [t for t, _ in texts].index(heading) + 1
    found = []
    for text, style in texts[start:]:
        if style.startswith("Heading"):
            break
        found.append(text)
    return found


def test_the_district_drafts_a_bulletin_naming_the_best_the_weakest_and_every_confirmed_problem(
        client, actions, supervised):
    actions.login("district")
    reply = client.get(f"/ranking/bulletin.docx?as_of={D2}")
    assert "attachment" in reply.headers["Content-Disposition"]
    document = read(reply)
    assert headings(document) == [
        "长宁区关于打击冒牌消防培训和制售假冒伪劣消防产品专项整治工作考核情况的通报", "一、总体情况", "二、各街镇考核排名",
        "三、各部门办理情况", "四、核实确认的问题", "五、整改要求"]
    texts = [p.text for p in document.paragraphs]
    assert "考核期间：2023年3月1日至2023年3月31日（数据截至2023年3月31日24时）。" in texts
    assert any(t.startswith("（草稿") for t in texts)

    overall = after(document, "一、总体情况")[0]
    assert "长宁区底数 10 个单位，覆盖率 60.0%，未走访 3 个" in overall
    assert "经核实确认问题 2 条" in overall and "回访 4 户，一致率 75.0%" in overall

    # Streets: 华阳路 (66.7%) first, 江苏路 (50.0%) last; departments: 公安 (none overdue, 2 days) first, 消防救援 last.
    streets = after(document, "二、各街镇考核排名")[0]
    assert streets.startswith("排名靠前的是华阳路街道（覆盖率 66.7%")
    assert "排名靠后的是江苏路街道（覆盖率 50.0%，未走访 2 个，确认问题 1 条" in streets and "抓紧整改" in streets
    departments = after(document, "三、各部门办理情况")[0]
    assert departments.startswith("排名靠前的是区公安分局（逾期未办结 0 件，办结中位天数 2.0 天）")
    assert "排名靠后的是区消防救援支队（逾期未办结 1 件，办结中位天数 2.8 天）" in departments

    # The tables: the ranking as the page shows it, 名次 first, a totals row last.
    street_table, department_table = document.tables
    assert [c.text for c in street_table.rows[0].cells][:4] == ["名次", "街镇", "底数", "覆盖率（%）"]
    assert [[c.text for c in r.cells][:4] for r in street_table.rows[1:]] == [
        ["1", "华阳路街道", "6", "66.7"], ["2", "江苏路街道", "4", "50.0"], ["", "合计", "10", "60.0"]]
    assert [r.cells[1].text for r in department_table.rows[1:]][-2:] == ["区消防救援支队", "合计"]

    # Every confirmed problem, as a finding to rectify; the explained and the open signals are not named.
    problems = after(document, "四、核实确认的问题")
    assert "属于需要整改的问题" in problems[0]
    assert problems[1:] == [
        "1. 华阳路街道华阳二居委，账号“surveyor2”：夜间记录（2023年3月19日，涉及记录 6 条）。核实情况：夜间补录，已约谈",
        "2. 江苏路街道江苏一居委，账号“other_surveyor”：集中补录（2023年3月20日，涉及记录 12 条）。核实情况：集中补录，未实地走访"]
    whole = "\n".join(texts)
    assert "楼组长陪同" not in whole and "速度异常" not in whole  # explained; open
    assert "活动开始前的问题" not in whole  # confirmed before the campaign began
    assert "整改情况" in after(document, "五、整改要求")[0]
    with client.application.app_context():
        assert AuditLog.select().where(AuditLog.action == "export_bulletin").count() == 1


def test_a_problem_confirmed_after_the_day_is_not_yet_in_its_bulletin(app, supervised):
    with app.app_context():
        district, campaign_starts = Org[DISTRICT], datetime.date(2023, 3, 1)
        assert [p.community for p in confirmed_problems(D1, district, campaign_starts)] == ["华阳二居委"]
        assert [p.community for p in confirmed_problems(D2, district, campaign_starts)] == ["华阳二居委", "江苏一居委"]
        assert [p.community for p in confirmed_problems(D2, Org[STREET], campaign_starts)] == ["华阳二居委"]
        # Before the campaign's first day: a problem of another campaign (the draft leaves it out).
        assert "活动开始前的问题" in [p.note for p in confirmed_problems(D1, district)]
        document = docx.Document(io.BytesIO(draft_bulletin(D1, district)))
        text = "\n".join(p.text for p in document.paragraphs)
        assert "江苏一居委" not in text and "华阳二居委" in text


def test_without_confirmed_problems_the_bulletin_says_so(app, world):
    with app.app_context():
        document = docx.Document(io.BytesIO(draft_bulletin(D1, Org[DISTRICT])))
        assert after(document, "四、核实确认的问题") == ["截至2023年3月22日，没有经核实确认的问题。"]
        # No campaign loaded: the period is up to the day.
        assert "考核期间：截至2023年3月22日（数据截至2023年3月22日24时）。" in [p.text for p in document.paragraphs]


def test_the_city_drafts_one_for_its_districts(client, actions, city):
    with client.application.app_context():
        import_roster(None, XUHUI_COMMUNITY, ["徐家汇路1号", "徐家汇路2号"], ROSTER_DAY)
        visit(city["xuhui_surveyor"], XUHUI_COMMUNITY, "徐家汇路1号", "2023-03-20")
    actions.login("city")
    document = read(client.get(f"/ranking/bulletin.docx?as_of={D1}"))
    assert headings(document)[1:] == ["一、总体情况", "二、各区考核排名", "三、核实确认的问题", "四、整改要求"]
    assert after(document, "二、各区考核排名")[0].startswith("排名靠前的是徐汇区（覆盖率 50.0%")
    assert "排名靠后的是长宁区" in after(document, "二、各区考核排名")[0]
    # A district of the city, drilled into: its own bulletin; a street has none.
    assert headings(read(client.get(f"/ranking/bulletin.docx?as_of={D1}&district={XUHUI}")))[2] == "二、各街镇考核排名"
    assert client.get(f"/ranking/bulletin.docx?street={STREET}").status_code == 404
