"""Demo data: a street with 居委, buildings, users of every role and a few days of records.

Everything goes through the same functions the app uses (accounts, units, parse_record + store_record),
so the demo shows what real use produces. Loading twice adds nothing.
"""
import datetime
import random
import uuid

from domain import accounts
from domain.clock import now_local
from domain.org_import import import_orgs
from domain.survey_record import parse_record
from domain.survey_store import store_record
from domain.units import floor_addresses, lay_out_building
from models import Unit, User, db

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
]
FAKE_INSTITUTIONS = [
    ("上海安居消防培训中心", "021-6000 1234"),
    ("上海安居消防培训中心有限公司", "13800001111"),
    ("平安消防宣传站", "13900002222"),
]


def load_demo_data(hash_method, seed=2023):
    """Create the demo street, users and records; returns False when they were already there."""
    if User.select().where(User.username == DEMO_USERS[0][0]).exists():
        return False
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
    return True


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
