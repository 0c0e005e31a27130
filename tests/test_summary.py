"""The work summary (工作总结) drafted as a Word document (design section 10), read back with python-docx: the
figures of each phase from the three tables, the problem list's size and outcomes, and the plan's headings."""
import datetime
import io

import docx

from domain.casework.institutions import problem_list
from domain.reporting.campaign import load_campaign_file
from domain.reporting.campaign_tables import result
from domain.reporting.tabledef import Scope
from models import Org
from tests.conftest import STREET
from tests.test_actions import campaign  # noqa: F401 (fixture)
from tests.test_campaign import PLAN
from tests.test_spot_checks import entered, shichang  # noqa: F401 (fixtures)
from tests.test_tables import D2

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
END_OF_PHASE_1 = datetime.date(2023, 3, 10)


def read(reply):
    assert reply.status_code == 200
    assert reply.mimetype == DOCX
    return docx.Document(io.BytesIO(reply.data))


def headings(document):
    return [p.text for p in document.paragraphs if p.style.name.startswith("Heading") or p.style.name == "Title"]


def figures(table):
    """{row header: [cell per phase]} of a docx table."""
    return {row.cells[0].text: [c.text for c in row.cells[1:]] for row in table.rows[1:]}


def test_the_district_summary_holds_each_phase_of_the_three_tables(campaign, entered, actions, client):
    load_campaign_file(PLAN)
    actions.login("district")
    document = read(client.get(f"/tables/summary.docx?as_of={D2}"))
    found = headings(document)
    assert found[0] == "长宁区打击冒牌消防培训和制售假冒伪劣消防产品专项整治工作总结"
    assert found[1:] == ["一、各阶段工作数据", "附件1 长宁区消防培训情况排摸统计表", "附件2 长宁区消防产品监督抽查统计表",
                         "附件3 长宁区专项整治行动情况统计表", "二、问题清单", "三、工作成效", "四、典型做法", "五、存在不足"]
    texts = [p.text for p in document.paragraphs]
    for heading in ("三、工作成效", "四、典型做法", "五、存在不足"):
        assert texts[texts.index(heading) + 1] == "（请填写）"

    # D2 (3/31) is in the second phase: its columns are the figures at the end of 3/10 and at the end of D2.
    assert len(document.tables) == 3
    assert [c.text for c in document.tables[0].rows[0].cells] == \
        ["项目", "动员部署阶段\n截至3月10日", "专项整治阶段\n截至3月31日"]
    for table, number in zip(document.tables, (1, 2, 3)):
        d2 = result(number, D2, Scope("district")).as_json()["total"]
        early = result(number, END_OF_PHASE_1, Scope("district")).as_json()["total"]
        cells = figures(table)
        definition = result(number, D2, Scope("district")).table
        assert len(cells) == len(definition.columns)
        for column in definition.columns:
            header = column.header if column.type != "money" or "元" in column.header else column.header + "（元）"
            shown = cells[header][1].split("（")[0].replace(",", "")
            assert shown == ("—" if d2[column.key] is None else str(d2[column.key])), (number, column.key)
            assert cells[header][0].split("（")[0].replace(",", "") in (str(early[column.key]), "—")
    # Nothing was recorded by 3/10, so the second phase added everything.
    t1, surveyed = figures(document.tables[0]), result(1, D2, Scope("district")).total["surveyed"]
    assert surveyed > 0 and t1["排摸单位数"] == ["0", f"{surveyed}（+{surveyed}）"]
    amount = result(1, D2, Scope("district")).as_json()["total"]["amount"]
    assert t1["涉及金额（元）"] == ["0.00", f"{float(amount):,.2f}（+{float(amount):,.2f}）"]

    problems = problem_list(D2)
    summary = texts[texts.index("二、问题清单") + 1]
    suspect = sum(1 for i in problems if i.suspect)
    assert f"问题清单共有机构 {len(problems)} 个（疑似冒牌培训机构 {suspect} 个，待核实 {len(problems) - suspect} 个）" \
        in summary
    assert "已移交，处置中 1 个" in summary and "移交部门：区公安分局 1 个" in summary


def test_a_street_summary_has_its_own_tables_and_problem_list(campaign, actions, client):
    load_campaign_file(PLAN)
    actions.login("street")
    document = read(client.get(f"/tables/summary.docx?as_of={D2}"))
    assert headings(document)[0] == "长宁区华阳路街道打击冒牌消防培训和制售假冒伪劣消防产品专项整治工作总结"
    assert "附件2 长宁区消防产品监督抽查统计表" not in headings(document)
    assert len(document.tables) == 2
    assert figures(document.tables[0])["排摸单位数"][-1] == "6（+6）"
    texts = [p.text for p in document.paragraphs]
    street_problems = problem_list(D2, Org[STREET])
    assert f"问题清单共有机构 {len(street_problems)} 个" in texts[texts.index("二、问题清单") + 1]
    assert client.get(f"/tables/summary.docx?as_of={D2}&street=310105002").status_code == 404


def test_a_summary_without_a_campaign_still_has_the_figures_and_headings(campaign, actions, client):
    actions.login("street")
    document = read(client.get(f"/tables/summary.docx?as_of={D2}"))
    assert [c.text for c in document.tables[0].rows[0].cells] == ["项目", "累计\n截至3月31日"]
    assert {"三、工作成效", "四、典型做法", "五、存在不足"} <= set(headings(document))
