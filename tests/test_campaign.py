"""The campaign calendar as data (design section 10): the 2023 plan's phases, deadlines and contact, loaded from
data/campaign-2023.json, and shown on the table pages."""
import datetime
import json

import pytest

from commands import BASE_DIR
from domain.reporting import campaign as calendar_of
from domain.reporting.campaign import (
    deadlines, demo_shift, load_campaign, load_campaign_file, next_deadline, phase_on, phases,
)
from models import Campaign, CampaignPhase

PLAN = f"{BASE_DIR}/data/campaign-2023.json"


def plan_data():
    with open(PLAN, encoding="utf-8") as fh:
        return json.load(fh)


def day(text):
    return datetime.date.fromisoformat(text)


@pytest.fixture
def plan(world):
    return load_campaign_file(PLAN)


def test_the_2023_plan_has_its_phases_deadlines_and_contact(plan):
    assert plan.name == "长宁区打击冒牌消防培训和制售假冒伪劣消防产品专项整治"
    assert (plan.contact_org, plan.contact_name, plan.contact_phone, plan.contact_mailbox, plan.contact_fax) == \
        ("区消防救援支队", "杨忠", "62259523", "yangzhong@shcn.gov.cn", "52310292")
    assert [(p.name, p.period, p.starts.isoformat(), p.ends.isoformat()) for p in phases(plan)] == [
        ("动员部署", "2023年3月上旬", "2023-03-01", "2023-03-10"),
        ("专项整治", "2023年3月中旬至3月底", "2023-03-11", "2023-03-31"),
        ("巩固提升", "2023年4月", "2023-04-01", "2023-04-30")]
    # "4月5日前报送附件相关内容…每周三前将最新表格发送…4月26日前报送工作总结"
    assert [(d.due.isoformat(), d.kind) for d in deadlines(plan)] == [
        ("2023-04-05", "tables"), ("2023-04-12", "tables"), ("2023-04-19", "tables"), ("2023-04-26", "tables"),
        ("2023-04-26", "summary")]
    assert all(d.due.weekday() == 2 for d in deadlines(plan))  # every one a Wednesday


@pytest.mark.parametrize("today, phase, deadline", [
    ("2023-03-05", "动员部署", "2023-04-05"),
    ("2023-03-22", "专项整治", "2023-04-05"),
    ("2023-04-05", "巩固提升", "2023-04-05"),
    ("2023-04-06", "巩固提升", "2023-04-12"),
    ("2023-05-02", None, None),
])
def test_the_phase_and_the_next_deadline_of_a_day(plan, today, phase, deadline):
    found = phase_on(plan, day(today))
    assert (found.name if found else None) == phase
    upcoming = next_deadline(plan, day(today))
    assert (upcoming.due.isoformat() if upcoming else None) == deadline


def test_the_table_pages_show_the_phase_and_the_next_deadline(plan, actions, client, monkeypatch):
    monkeypatch.setattr(calendar_of, "today_local", lambda: day("2023-03-22"))
    actions.login("street")
    for path in ("/tables/", "/tables/3", "/tables/submissions"):
        page = client.get(path).get_data(as_text=True)
        assert "当前阶段：专项整治</strong>（2023年3月中旬至3月底）" in page, path
        assert "下一个截止：4月5日 首次报送附件1-3（还有 14 天）" in page, path
        assert "联系人：区消防救援支队杨忠，电话 62259523，邮箱 yangzhong@shcn.gov.cn" in page, path
    monkeypatch.setattr(calendar_of, "today_local", lambda: day("2023-05-02"))
    assert "专项行动已于 2023年4月30日结束" in client.get("/tables/").get_data(as_text=True)


def test_loading_again_replaces_the_campaign_and_a_bad_file_writes_nothing(plan, runner, tmp_path):
    result = runner.invoke(args=["load-campaign", PLAN])
    assert result.exit_code == 0, result.output
    assert "3 个阶段，5 个截止日期" in result.output
    assert Campaign.select().count() == 1 and CampaignPhase.select().count() == 3
    bad = tmp_path / "bad.json"
    data = plan_data()
    data["name"] = "另一个活动"
    data["deadlines"][0]["due"] = "4月5日"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["load-campaign", str(bad)])
    assert result.exit_code != 0 and "截止日期应为 YYYY-MM-DD" in result.output
    assert Campaign.select().count() == 1


def test_the_demo_moves_the_plan_by_whole_weeks_into_its_campaign_phase(world):
    data = plan_data()
    today = day("2026-11-30")
    moved = load_campaign(data, demo_shift(today, data), "（演示）")
    assert phase_on(moved, today).name == "专项整治"
    assert all(d.due.weekday() == 2 for d in deadlines(moved))
    assert moved.name.endswith("（演示）")
