"""Demo data: a street with 居委, buildings, users of every role and a few days of records.

Everything goes through the same functions the app uses (accounts, units, parse_record + store_record),
so the demo shows what real use produces. Loading twice adds nothing.
"""
import datetime
import json
import os
import random
import uuid

from domain.casework import cases, leads
from domain.common import codes
from domain.common.clock import now_local, today_local
from domain.org import accounts
from domain.org.org_import import import_orgs
from domain.public import reports
from domain.reporting import actions, campaign, spot_checks, submissions
from domain.reporting.tabledef import Scope
from domain.supervision import orders
from domain.survey.record import parse_record
from domain.survey.store import store_record
from domain.survey.units import floor_addresses, lay_out_building
from models import ApprovedInstitution, Org, Poster, Report, Survey, Unit, User, db

CAMPAIGN_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                             "campaign-2023.json")
DEMO_STREET = "310105001"  # 华阳路街道
DEMO_COMMUNITIES = [
    ("310105001001", "华阳路第一居委（演示）"),
    ("310105001002", "华阳路第二居委（演示）"),
    ("310105001003", "华阳路第三居委（演示）"),
]
DEMO_PASSWORD = "paimo-demo-2023"
# username, password, role, org code, label
DEMO_USERS = [
    ("juwei1", DEMO_PASSWORD, "surveyor", "310105001001", "排摸员 · 华阳路第一居委"),
    ("wuye1", DEMO_PASSWORD, "surveyor", "310105001001", "排摸员（物业）· 华阳路第一居委"),
    ("juwei2", DEMO_PASSWORD, "surveyor", "310105001002", "排摸员 · 华阳路第二居委"),
    ("jiezhen", DEMO_PASSWORD, "street", DEMO_STREET, "街镇管理员 · 华阳路街道"),
    ("quban", DEMO_PASSWORD, "district", "310105", "区管理员 · 长宁区"),
    ("xiaofang", DEMO_PASSWORD, "department", "xiaofang", "部门 · 区消防救援支队"),
    ("shichang", DEMO_PASSWORD, "department", "shichang", "部门 · 区市场监管局"),
]
FAKE_INSTITUTIONS = [
    ("上海安居消防培训中心", "021-6000 1234"),
    ("上海安居消防培训中心有限公司", "13800001111"),
    ("平安消防宣传站", "13900002222"),
]


class DemoRefused(RuntimeError):
    """The database holds data the demo did not create: loading public passwords into it is refused."""


def real_data():
    """What the database holds that the demo did not create, in words ([] for a fresh or demo database):
    the default 长宁区 and its 街镇 and the departments (init-db) do not count."""
    demo_names = [u[0] for u in DEMO_USERS]
    demo_codes = [c for c, _ in DEMO_COMMUNITIES]
    demo_user_ids = User.select(User.id).where(User.username.in_(demo_names))
    found = [
        ("个用户", User.select().where(User.username.not_in(demo_names))),
        ("个居委", Org.select().where((Org.kind == "community") & Org.code.not_in(demo_codes))),
        ("条排摸记录", Survey.select().where(Survey.surveyor.is_null() | Survey.surveyor.not_in(demo_user_ids))),
        ("条群众举报", Report.select()),
        ("张海报", Poster.select()),
        ("家批准机构", ApprovedInstitution.select()),
    ]
    return [f"{query.count()} {what}" for what, query in found if query.exists()]


def load_demo_data(hash_method, seed=2023, force=False):
    """Create the demo street, users and records; returns False when they were already there. Refuses
    (DemoRefused) a database with real data unless `force`: the demo's passwords are public, and one of its
    users is a district administrator who sees everything."""
    if User.select().where(User.username == DEMO_USERS[0][0]).exists():
        return False
    found = real_data()
    if found and not force:
        raise DemoRefused("数据库里已有不是演示数据的内容（" + "、".join(found) + "），拒绝载入演示数据："
                          "演示账号的密码是公开的，其中的区管理员能看到全区数据。"
                          "只有测试用的数据库才可以加 --force 强行载入。")
    clashes = [u[0] for u in DEMO_USERS if User.select().where(User.username == u[0]).exists()]
    if clashes:
        raise DemoRefused(f"已有同名用户：{'、'.join(clashes)}，无法载入演示数据")
    rng = random.Random(seed)
    with db.atomic():
        import_orgs("code,name,parent_code\n" + "".join(f"{c},{n},{DEMO_STREET}\n" for c, n in DEMO_COMMUNITIES))
        users = {}
        for username, password, role, org, label in DEMO_USERS:
            users[username] = accounts.create_user(username, role, org, password, hash_method, display_name=label)
        for code, _ in DEMO_COMMUNITIES:
            for lane in (1, 2):
                name = f"长宁路{lane * 100}弄{lane}号楼"
                lay_out_building(None, code, name, floor_addresses(name, floors=6, per_floor=2))
    surveyors = {"310105001001": users["juwei1"], "310105001002": users["juwei2"]}
    for code, surveyor in surveyors.items():
        units = list(Unit.select().where(Unit.community == code).order_by(Unit.position))
        for index, unit in enumerate(units[: int(len(units) * 0.7)]):
            store_record(surveyor, _demo_record(rng, code, unit, index))
    _demo_cases(users)
    load_demo_campaign(users, rng)
    _demo_supervision(users, rng)
    return True


def _demo_supervision(users, rng):
    """考核 to look at: the 物业 worker's records of six doors late one evening (a 夜间记录 signal for the street to
    check) and the district's 督办 to the street about 华阳路第二居委's coverage."""
    code = DEMO_COMMUNITIES[0][0]
    surveyed = Survey.select(Survey.unit).where(Survey.community == code)
    evening = (now_local() - datetime.timedelta(days=2)).replace(hour=22, minute=5, second=0, microsecond=0)
    late = Unit.select().where((Unit.community == code) & Unit.id.not_in(surveyed)).order_by(Unit.position).limit(6)
    for n, unit in enumerate(late):
        record, errors = parse_record({
            "client_uuid": str(uuid.UUID(int=rng.getrandbits(128))), "community": code,
            "unit": {"type": unit.type, "address": unit.address}, "outcome": "surveyed", "trainings": [],
            "purchases": [], "visited_at": (evening + datetime.timedelta(minutes=7 * n)).isoformat() + "+08:00"})
        assert not errors, errors
        store_record(users["wuye1"], record)
    values, errors = orders.parse_order({
        "client_uuid": "3e1d6c1e-6b3a-4c55-9d7e-0d2b8f0c9a14", "to": DEMO_STREET,
        "subject": {"kind": "community", "id": DEMO_COMMUNITIES[1][0]},
        "request": "华阳路第二居委走访进度偏慢，请于期限前补齐未走访单位并反馈整改情况", "due": orders.default_due().isoformat()})
    assert not errors, errors
    orders.issue(users["quban"], values)


def _demo_cases(users):
    """Cases in every state: 安居 referred to 市场监管 (lead, 已查处, published) and 消防救援 (accepted); 平安 referred
    to 消防救援 and overdue, so the 消防救援 user has work to do; a lead found online; an anonymous report; one
    case marked 重要 and one escalated by its 居委."""
    district, street = users["quban"], users["jiezhen"]
    resident = {"kinds": ["door_to_door_fee"], "description": "有人自称消防员上门，说要培训，收了每户50元",
                "institution": "", "institution_phone": "", "place": "长宁路100弄", "contact": "", "amount": "50"}
    values, _ = reports.parse_report(resident)
    reports.create_report(values, community=Org.get_by_id(DEMO_COMMUNITIES[0][0]))
    lead, _ = leads.parse_lead({
        "client_uuid": "7a0c6f2e-3b61-4c55-9d7e-0d2b8f0c9a11", "source": "online", "street": DEMO_STREET,
        "institution": "安心消防科普服务社", "institution_phone": "13700003333", "institution_nature": "social_org",
        "url": "https://example.cn/shop/anxin", "description": "微信群里招揽“社区消防培训”，课后推销灭火毯",
        "mode": "gathering", "pitched_products": ["fire_blanket"]})
    leads.store_lead(street, lead)
    # Two leads from the hotline: one the department found unfounded (closed), one it returned.
    for uuid_text, name, phone in (("5b1d6c1e-6b3a-4c55-9d7e-0d2b8f0c9a12", "长宁平安消防器材行", "13600004444"),
                                   ("4c2d6c1e-6b3a-4c55-9d7e-0d2b8f0c9a13", "华阳灭火毯团购群", "13500005555")):
        lead, _ = leads.parse_lead({"client_uuid": uuid_text, "source": "hotline", "street": DEMO_STREET,
                                    "institution": name, "institution_phone": phone,
                                    "description": "热线反映：上门推销灭火器、灭火毯，价格很高", "mode": "door_to_door",
                                    "products_pitched": True})
        leads.store_lead(street, lead)
    found = {view.title: view for view in cases.cases_for(district)}
    anju = next(v for t, v in found.items() if t.startswith("上海安居"))
    ping = found.get("平安消防宣传站")
    today = today_local()
    market, fire = cases.refer(district, anju, ["shichang", "xiaofang"], "shichang",
                               cases.working_days_after(today, 10), "请依法查处，并对兜售的产品抽样送检")
    workers = {u.department_id: u for u in users.values() if u.department_id}
    cases.work(workers["shichang"], market, {"status": "accepted"})
    cases.work(workers["shichang"], market, {"status": "penalised", "case_opened": True, "fine": "20000",
                                             "note": "虚假宣传、价格欺诈，已立案并罚没"})
    cases.work(workers["xiaofang"], fire, {"status": "accepted"})
    anju = cases.case_for(district, anju.id)
    cases.publish(district, anju, cases.draft_publication(anju))
    if ping is not None:
        cases.refer(street, ping, ["xiaofang"], "xiaofang", today - datetime.timedelta(days=1), "请尽快核查")
        cases.set_important(street, ping, True)
    shop, = cases.refer(street, found["长宁平安消防器材行"], ["shichang"], "shichang",
                        cases.working_days_after(today, 10), "")
    cases.work(workers["shichang"], shop, {"status": "accepted"})
    cases.work(workers["shichang"], shop, {"status": "unfounded", "note": "实地核查为正规门店，明码标价"})
    group_buy, = cases.refer(street, found["华阳灭火毯团购群"], ["xiaofang"], "xiaofang",
                             cases.working_days_after(today, 10), "")
    cases.work(workers["xiaofang"], group_buy, {"status": "returned", "note": "属网络销售，请移交市场监管"})
    anonymous = next((v for v in cases.cases_for(district) if v.kind == "report"), None)
    if anonymous is not None:
        cases.escalate(users["juwei1"], anonymous, "居民说对方穿着类似消防制服")


def load_demo_campaign(users, rng):
    """The 2023 plan (moved by whole weeks so that today falls in its 专项整治 phase), a few days of 附件2 spot
    checks and 附件3 entries, one collected and tested survey sample, and two submissions of the street."""
    today = now_local().date()
    with open(CAMPAIGN_FILE, encoding="utf-8") as fh:
        plan = json.load(fh)
    campaign.load_campaign(plan, campaign.demo_shift(today, plan), "（演示，日期已平移到当前）")
    department, street = users["xiaofang"], users["jiezhen"]
    for days_ago in range(5, -1, -1):
        day = (today - datetime.timedelta(days=days_ago)).isoformat()
        for user, parse, check, store, body in (
                (street, actions.parse_action, actions.check_org, actions.store_action,
                 {"org": DEMO_STREET, "inspectors": rng.randint(4, 12), "publicity_events": rng.randint(0, 2)}),
                (department, actions.parse_action, actions.check_org, actions.store_action,
                 {"org": "xiaofang", "inspectors": rng.randint(2, 6), "units_checked": rng.randint(3, 15)}),
                (department, spot_checks.parse_spot_check, spot_checks.check_department, spot_checks.store_spot_check,
                 {"department": "xiaofang", "channel": "in_use", "product": rng.choice(list(codes.PRODUCTS)[:8]),
                  "batches": (batches := rng.randint(2, 6)), "failed": rng.randint(0, batches // 2),
                  "cases_opened": rng.randint(0, 1), "fine": rng.choice(["0", "2000.00", "5000.00"])})):
            values, errors = parse({"client_uuid": str(uuid.UUID(int=rng.getrandbits(128))), "date": day, **body})
            assert not errors, errors
            check(user, values, errors)
            assert not errors, errors
            store(user, values)
    pending = spot_checks.collection_list()
    if pending:
        sample, _ = spot_checks.collect_sample(department, pending[0].survey_id, pending[0].position,
                                               today - datetime.timedelta(days=2))
        spot_checks.record_result(department, sample, "failed", today - datetime.timedelta(days=1))
    scope = Scope("street", street.org)
    submissions.submit(street, scope, today - datetime.timedelta(days=3))
    submissions.submit(street, scope, today)


def _demo_record(rng, community, unit, index):
    visited = now_local() - datetime.timedelta(days=rng.randint(0, 6), minutes=rng.randint(0, 600))
    outcome = rng.choices(["surveyed", "absent", "refused"], weights=[80, 15, 5])[0]
    trainings, purchases = [], []
    if outcome == "surveyed" and index % 6 == 2:
        name, phone = rng.choice(FAKE_INSTITUTIONS)
        trainings.append({"institution": name, "institution_phone": phone, "trainer_identity": "firefighter",
                          "mode": "door_to_door", "date": (visited.date() - datetime.timedelta(days=10)).isoformat(),
                          "fee": "50.00", "content": "灭火器使用讲解", "products_pitched": True})
        purchases.append({"product": rng.choice(["fire_blanket", "smoke_alarm", "fire_extinguisher"]),
                          "quantity": rng.randint(1, 3), "amount": "298.00", "channel": "training", "training": 0,
                          "ccc_mark": False, "sample_available": True})
    body = {"client_uuid": str(uuid.UUID(int=rng.getrandbits(128))), "community": community,
            "unit": {"type": unit.type, "address": unit.address}, "visited_at": visited.isoformat() + "+08:00",
            "outcome": outcome, "trainings": trainings, "purchases": purchases}
    record, errors = parse_record(body)
    assert not errors, errors
    return record
