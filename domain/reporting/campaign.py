"""The campaign calendar (design section 10): its phases, its deadlines and its contact, as data.

A campaign is loaded from a JSON file (data/campaign-2023.json holds the district's 2023 plan): name, dates,
contact, phases with their days, and deadlines — one day, or a day repeated every week up to another
(`weekly_until`: the plan's "每周三前将最新表格发送"). The table pages show the phase of the day and the next
deadline; submissions are judged against the deadlines of kind `tables`.
"""
import datetime
import json
from dataclasses import dataclass

from domain.common.clock import today_local
from models import DEADLINE_KINDS, Campaign, CampaignDeadline, CampaignPhase, db


class CampaignError(ValueError):
    pass


@dataclass(frozen=True)
class Deadline:
    due: datetime.date
    kind: str  # "tables" | "summary"
    label: str
    weekly: bool = False

    @property
    def key(self):
        return f"{self.kind}-{self.due.isoformat()}"

    @property
    def title(self):
        return f"{self.due.month}月{self.due.day}日 {self.label}"


def _day(value, what):
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise CampaignError(f"{what}应为 YYYY-MM-DD：{value!r}")


def load_campaign(data, shift_days=0, name_suffix=""):
    """Store the campaign `data` (the JSON file's shape), replacing one of the same name. `shift_days` moves
    every date by that many days (a multiple of 7 keeps Wednesdays on Wednesdays), for the demo."""
    shift = datetime.timedelta(days=shift_days)

    def day(value, what):
        return _day(value, what) + shift

    try:
        contact = data.get("contact") or {}
        name = data["name"] + name_suffix
        phases = [(p["name"], "" if shift_days else p.get("period", ""), day(p["starts"], "阶段开始日期"),
                   day(p["ends"], "阶段结束日期")) for p in data.get("phases", [])]
        deadlines = []
        for item in data.get("deadlines", []):
            if item["kind"] not in DEADLINE_KINDS:
                raise CampaignError(f"截止事项的类别应为 {'、'.join(DEADLINE_KINDS)}：{item['kind']!r}")
            until = item.get("weekly_until")
            deadlines.append((item["kind"], item["label"], day(item["due"], "截止日期"),
                              day(until, "每周截止的结束日期") if until else None))
        starts, ends = day(data["starts"], "开始日期"), day(data["ends"], "结束日期")
    except (KeyError, TypeError, AttributeError) as exc:
        raise CampaignError(f"活动文件缺少内容：{exc}")
    with db.atomic():
        Campaign.delete().where(Campaign.name == name).execute()
        campaign = Campaign.create(
            name=name, document=data.get("document", ""), starts=starts, ends=ends,
            contact_name=contact.get("name", ""), contact_org=contact.get("org", ""),
            contact_phone=contact.get("phone", ""), contact_mailbox=contact.get("mailbox", ""),
            contact_fax=contact.get("fax", ""))
        for position, (phase, period, phase_starts, phase_ends) in enumerate(phases):
            CampaignPhase.create(campaign=campaign, position=position, name=phase, period=period,
                                 starts=phase_starts, ends=phase_ends)
        for kind, label, due, until in deadlines:
            CampaignDeadline.create(campaign=campaign, kind=kind, label=label, due=due, weekly_until=until)
    return campaign


def load_campaign_file(path, shift_days=0, name_suffix=""):
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise CampaignError(f"不是有效的 JSON：{exc}")
    return load_campaign(data, shift_days, name_suffix)


def current_campaign(today=None):
    """The campaign running on `today`; else the last one that started; else the next one; else None."""
    today = today or today_local()
    running = (Campaign.select().where((Campaign.starts <= today) & (Campaign.ends >= today))
               .order_by(Campaign.starts.desc(), Campaign.id.desc()).first())
    return running or (Campaign.select().where(Campaign.starts <= today)
                       .order_by(Campaign.starts.desc(), Campaign.id.desc()).first()) \
        or Campaign.select().order_by(Campaign.starts, Campaign.id).first()


def phases(campaign):
    return list(campaign.phases.order_by(CampaignPhase.position)) if campaign else []


def phase_on(campaign, day):
    return next((p for p in phases(campaign) if p.starts <= day <= p.ends), None)


def deadlines(campaign, kind=None):
    """Every deadline of the campaign, weekly ones spelt out, by day (tables before the summary on one day)."""
    if campaign is None:
        return []
    found = []
    for item in campaign.deadlines:
        due = item.due
        while True:
            found.append(Deadline(due=due, kind=item.kind, label=item.label, weekly=item.weekly_until is not None))
            if item.weekly_until is None or due + datetime.timedelta(days=7) > item.weekly_until:
                break
            due += datetime.timedelta(days=7)
    found.sort(key=lambda d: (d.due, list(DEADLINE_KINDS).index(d.kind)))
    return [d for d in found if kind is None or d.kind == kind]


def next_deadline(campaign, today=None):
    today = today or today_local()
    return next((d for d in deadlines(campaign) if d.due >= today), None)


@dataclass
class Calendar:
    """What the table pages show: the campaign, the phase of the day, the next deadline."""

    campaign: object
    phase: object
    next: Deadline
    today: datetime.date

    @property
    def days_left(self):
        return (self.next.due - self.today).days if self.next else None


def calendar(today=None):
    today = today or today_local()
    campaign = current_campaign(today)
    return Calendar(campaign=campaign, phase=phase_on(campaign, today), next=next_deadline(campaign, today),
                    today=today)


def demo_shift(today, data):
    """Whole weeks that move the plan so that `today` falls in its 专项整治 phase (the demo's campaign runs now)."""
    phase = next((p for p in data["phases"] if p["name"] == "专项整治"), data["phases"][0])
    middle = _day(phase["starts"], "") + (_day(phase["ends"], "") - _day(phase["starts"], "")) / 2
    return 7 * round((today - middle).days / 7)
