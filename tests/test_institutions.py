"""Design section 5: which mentions are one institution, the problem list, and the district's merges and
splits, which the tables then use."""
import datetime

import pytest

from domain.casework import institutions
from domain.casework.institutions import Mention, match, problem_list
from domain.common.normalise import institution_key, phone_digits
from domain.reporting.tables import table1
from models import AuditLog, InstitutionDecision, Org
from tests.conftest import STREET
from tests.test_tables import D1, D2, build_district


def mention(id, name="", phone="", kind="training"):
    return Mention(kind=kind, id=id, name=name, key=institution_key(name), phone=phone_digits(phone),
                   community="310105001001", unit=id, survey=id, place="", amount_fen=0, flags="", identity="",
                   content="", at=datetime.datetime(2023, 3, 20), ref="", status="")


class Decision:
    def __init__(self, kind, key_a, key_b):
        self.kind, self.key_a, self.key_b = kind, key_a, key_b


def groups(found, decisions=()):
    """The mention ids of each institution, as a set of frozensets."""
    by_group = {}
    for m in match(found, list(decisions)):
        by_group.setdefault(m.group, set()).add(m.id)
    return {frozenset(ids) for ids in by_group.values()}


@pytest.mark.parametrize("names, same", [
    # "NFKC, then remove every whitespace and punctuation character, then drop one trailing 有限责任公司, 有限公司 or 公司"
    (["上海某某消防培训中心", "上海 某某消防培训中心有限公司"], True),
    (["上海某某消防（培训）中心", "上海某某消防培训中心有限责任公司"], True),
    (["ＡＢＣ消防公司", "abc消防"], False),  # NFKC folds width, not case
    (["ABC消防公司", "ABC消防"], True),
    (["城南消防", "城北消防"], False),
])
def test_names_match_after_normalising(names, same):
    found = [mention(i, name) for i, name in enumerate(names)]
    assert (len(groups(found)) == 1) is same


def test_shared_phones_join_names_transitively():
    # A—(phone 1)—B—(phone 2)—C: one institution; D shares nothing.
    found = [mention(1, "甲消防", "021-6000 0001"), mention(2, "乙消防", "02160000001"),
             mention(3, "乙消防", "139 0000 0002"), mention(4, "丙消防", "１３９－００００－０００２"),
             mention(5, "丁消防", "13700000000")]
    assert groups(found) == {frozenset({1, 2, 3, 4}), frozenset({5})}


def test_a_phone_alone_is_enough_and_a_report_counts_like_a_training():
    found = [mention(1, "", "13900000002"), mention(2, "城南消防", "13900000002", kind="report")]
    assert groups(found) == {frozenset({1, 2})}


def test_merge_and_split_apply_on_top_of_the_rules():
    found = [mention(1, "甲消防", "13800000001"), mention(2, "乙消防", "13800000001"), mention(3, "丙消防")]
    assert groups(found, [Decision("merge", "n:丙消防", "n:甲消防")]) == {frozenset({1, 2, 3})}
    # The phone is not 乙's: 乙 stands alone, 甲 keeps the phone.
    assert groups(found, [Decision("split", "n:乙消防", "p:13800000001")]) == {
        frozenset({1}), frozenset({2}), frozenset({3})}
    assert groups(found, [Decision("split", "n:乙消防", "p:13800000001"),
                          Decision("merge", "n:乙消防", "n:丙消防")]) == {frozenset({1}), frozenset({2, 3})}


@pytest.fixture
def district(world):
    build_district(world)
    return world


def names(items):
    return [sorted(i.names) for i in items]


def test_problem_list_as_of_two_days(district):
    early = problem_list(D1)
    # A (4 units in two streets); R1's institution alone; R2 not yet found unfounded on D1; and, below the
    # suspect ones, U4's lawful-looking school that is not on the (empty) approved list: 待核实 (design section 5).
    assert names(early) == [["上海 某某消防培训中心有限公司", "上海某某消防培训中心", "平安消防服务部"],
                            ["某某消防"], ["无关公司"], ["上海消防安全培训学校"]]
    assert [i.suspect for i in early] == [True, True, True, False] and early[-1].status == "待核实"
    a = early[0]
    assert (a.units, a.amount_fen, a.streets, a.sources, a.status) == (
        4, 20000 + 112000 + 30000 + 78000 + 5000, ["华阳路街道", "江苏路街道"], ["排摸"], "待核查")
    assert a.identities == ["自称消防员/消防救援人员", "培训机构人员"]
    assert a.products == ["灭火器", "逃生缓降器"]
    assert a.nature == "不清楚"  # 机构性质 as recorded: nobody recorded it

    late = problem_list(D2)
    # U7's 城南消防公司 shares R1's phone; R1 was referred to 公安 on 03-24; R2 was found unfounded.
    assert names(late) == [["上海 某某消防培训中心有限公司", "上海某某消防培训中心", "平安消防服务部"],
                           ["城南消防公司", "某某消防"], ["上海消防安全培训学校"]]
    b = late[1]
    assert (b.units, len(b.reports), b.amount_fen, b.sources, b.status, b.departments) == (
        1, 1, 10000 + 29800, ["排摸", "举报"], "已移交，处置中", ["区公安分局"])


def test_a_street_sees_only_its_own_mentions(district):
    other = problem_list(D2, Org["310105002"])
    assert len(other) == 1 and other[0].units == 1 and other[0].streets == ["江苏路街道"]
    assert {m.community for m in other[0].mentions} == {"310105002001"}


def institutions_of(day, code=None):
    table = table1(day).as_json()
    return table["total"]["institutions"] if code is None else next(
        r for r in table["rows"] if r["code"] == code)["institutions"]


def test_district_merges_two_institutions_and_the_tables_follow(district, actions, client):
    assert (institutions_of(D2, STREET), institutions_of(D2)) == (2, 2)
    actions.login("district")
    reply = client.post("/tables/problems/merge", data={"key_a": "n:城南消防", "key_b": "n:上海某某消防培训中心",
                                                        "note": "同一伙人", "as_of": D2.isoformat()})
    assert reply.status_code == 302
    assert (institutions_of(D2, STREET), institutions_of(D2)) == (1, 1)
    assert len([i for i in problem_list(D2) if i.suspect]) == 1
    assert AuditLog.get(AuditLog.action == "merge").user.username == "district"
    page = client.get(f"/tables/problems?as_of={D2}").get_data(as_text=True)
    assert "同一伙人" in page and "撤销" in page

    decision = InstitutionDecision.get()
    client.post(f"/tables/problems/decisions/{decision.id}/undo")
    assert (institutions_of(D2, STREET), institutions_of(D2)) == (2, 2)


def test_district_splits_a_wrong_phone_match(district, actions, client):
    actions.login("district")
    key = problem_list(D1)[0].key
    page = client.get("/tables/problems/institution", query_string={"key": key, "as_of": D1.isoformat()})
    assert "平安消防服务部 — 电话 13800000001" in page.get_data(as_text=True)
    assert (institutions_of(D1, STREET), institutions_of(D1)) == (1, 1)
    client.post("/tables/problems/split", data={"name_id": "n:平安消防服务部", "phone_id": "p:13800000001"})
    # 平安消防服务部 is now an institution of its own, in 华阳路 and so in the total.
    assert (institutions_of(D1, STREET), institutions_of(D1)) == (2, 2)
    assert "平安消防服务部" in [i.name for i in problem_list(D1)]


def test_only_the_district_decides(district, actions, client):
    actions.login("street")
    reply = client.post("/tables/problems/merge", data={"key_a": "n:城南消防", "key_b": "n:上海某某消防培训中心"})
    assert reply.status_code == 404
    assert InstitutionDecision.select().count() == 0
    assert "合并两个机构" not in client.get(f"/tables/problems?as_of={D2}").get_data(as_text=True)


def test_a_merge_needs_two_institutions(district, actions, client):
    actions.login("district")
    reply = client.post("/tables/problems/merge", data={"key_a": "n:城南消防", "key_b": "n:城南消防"})
    assert reply.status_code == 422
    assert "请选择两个不同的机构" in reply.get_data(as_text=True)


def test_street_user_opens_mentions_in_its_street_only(district, actions, client):
    actions.login("other_street")
    page = client.get(f"/tables/problems?as_of={D2}").get_data(as_text=True)
    assert "上海某某消防培训中心" in page and "城南消防" not in page
    opened = client.get("/tables/problems/institution",
                        query_string={"key": "n:上海某某消防培训中心", "as_of": D2.isoformat()})
    assert opened.status_code == 200
    assert "愚园路8号" in opened.get_data(as_text=True) and "长宁路" not in opened.get_data(as_text=True)
    assert client.get("/tables/problems/institution",
                      query_string={"key": "n:城南消防", "as_of": D2.isoformat()}).status_code == 404


def test_the_problem_list_comes_a_page_at_a_time_and_finds_by_name_or_phone(app, world, actions, client):
    # Every list page stays small on a phone (issue 17): 50 institutions a page; ?q= finds the two to merge.
    from domain.public import reports as public_reports
    from models import db

    with app.app_context():
        for n in range(53):
            values, _ = public_reports.parse_report({"kinds": ["door_to_door_fee"], "description": "上门收费",
                                                     "institution": f"第{n}号消防培训中心",
                                                     "institution_phone": f"1390000{n:04d}"})
            public_reports.create_report(values, community=Org.get(Org.code == "310105001001"))
        db.close()
    actions.login("district")
    first = client.get("/tables/problems").get_data(as_text=True)
    assert "共 53 个" in first and first.count('<td class="title">') == 50 and "下一页" in first
    assert client.get("/tables/problems?page=2").get_data(as_text=True).count('<td class="title">') == 3
    found = client.get("/tables/problems?q=13900000007").get_data(as_text=True)
    assert found.count('<td class="title">') == 1 and "第7号消防培训中心" in found


@pytest.mark.parametrize("day", [D1, D2])
@pytest.mark.parametrize("place", [None, "310105", "310105001", "310105002"])
def test_a_page_of_the_problem_list_is_the_whole_list_in_pages(district, day, place):
    # Ordered from the kept mentions alone, then read whole a page at a time (issue 17): the same list.
    org = Org[place] if place else None
    whole = problem_list(day, org)
    pages = []
    for number in (1, 2, 3):
        found, _, total = institutions.problem_page(day, org, page=number, size=1)
        assert total == len(whole)
        pages += found if number <= total else []
    assert [(g.key, g.names, g.units, g.amount_fen, g.status, g.streets) for g in pages] == \
        [(g.key, g.names, g.units, g.amount_fen, g.status, g.streets) for g in whole[:3]]
