"""Design section 5, table-driven: the red flags and the normalisation of names, phones and addresses."""
import pytest

from domain.common.normalise import address_key, institution_key, phone_digits
from domain.survey.flags import is_suspect, training_flags

BASE = {"mode": "gathering", "fee": "0", "trainer_identity": "institution", "products_pitched": False,
        "engineering_solicited": False, "institution": ""}

# (what the design says, training overrides, purchases, expected flags)
FLAG_CASES = [
    ("no flag: a free gathering by an institution", {}, [], []),
    ("sells_products: products were pitched at the training", {"products_pitched": True}, [], ["sells_products"]),
    ("sells_products: a purchase with channel training linked to it", {},
     [{"channel": "training", "training": 0}], ["sells_products"]),
    ("a purchase at the training linked to another training does not count", {},
     [{"channel": "training", "training": 1}], []),
    ("an unlinked door-to-door purchase is no flag of the training", {},
     [{"channel": "door_to_door", "training": None}], []),
    ("door_to_door_fee: mode door_to_door and a fee above 0", {"mode": "door_to_door", "fee": "0.01"}, [],
     ["door_to_door_fee"]),
    ("door_to_door without a fee is not door_to_door_fee", {"mode": "door_to_door", "fee": "0"}, [], []),
    ("a fee at a gathering is not door_to_door_fee", {"fee": "100"}, [], []),
    ("engineering: used to solicit fire-engineering work", {"engineering_solicited": True}, [], ["engineering"]),
    ("impersonation: claimed firefighter and a fee", {"trainer_identity": "firefighter", "fee": "20"}, [],
     ["impersonation"]),
    ("impersonation: claimed official and a sale", {"trainer_identity": "official"},
     [{"channel": "door_to_door", "training": 0}], ["impersonation"]),
    ("claimed firefighter with no fee and no sale is no impersonation", {"trainer_identity": "firefighter"}, [], []),
    ("claimed institution with a fee is no impersonation", {"trainer_identity": "institution", "fee": "20"}, [], []),
    ("all four at once", {"mode": "door_to_door", "fee": "200", "trainer_identity": "firefighter",
                          "products_pitched": True, "engineering_solicited": True}, [],
     ["sells_products", "door_to_door_fee", "engineering", "impersonation"]),
]


@pytest.mark.parametrize("rule, overrides, purchases, expected", FLAG_CASES, ids=[c[0] for c in FLAG_CASES])
def test_flag_rules(rule, overrides, purchases, expected):
    assert training_flags({**BASE, **overrides}, purchases, 0) == expected


def test_unapproved_needs_a_name_that_is_not_on_the_list():
    approved = {"上海正规消防培训学校"}.__contains__
    assert training_flags({**BASE, "institution": "上海冒牌消防培训中心"}, [], 0, approved) == ["unapproved"]
    assert training_flags({**BASE, "institution": "上海正规消防培训学校"}, [], 0, approved) == []
    assert training_flags({**BASE, "institution": ""}, [], 0, approved) == []


@pytest.mark.parametrize("flags, suspect", [
    ([], False), (["unapproved"], False), (["sells_products"], True), (["door_to_door_fee"], True),
    (["engineering"], True), (["impersonation", "unapproved"], True),
])
def test_unapproved_alone_does_not_make_a_training_suspect(flags, suspect):
    assert is_suspect(flags) is suspect


NAME_CASES = [
    ("上海某某消防培训中心", "上海某某消防培训中心"),
    ("上海 某某 消防培训中心", "上海某某消防培训中心"),                 # whitespace removed
    ("上海某某消防培训中心\u3000", "上海某某消防培训中心"),             # ideographic space
    ("上海（某某）消防培训中心", "上海某某消防培训中心"),              # full-width punctuation (P*)
    ("上海(某某)消防·培训中心。", "上海某某消防培训中心"),
    ("上海某某消防科技有限公司", "上海某某消防科技"),                  # trailing 有限公司 dropped
    ("上海某某消防科技有限责任公司", "上海某某消防科技"),              # longest suffix first
    ("上海某某消防科技公司", "上海某某消防科技"),
    ("上海某某公司消防科技有限公司", "上海某某公司消防科技"),          # only one, only trailing
    ("ＡＢＣ消防１２３", "ABC消防123"),                              # NFKC: full-width letters and digits
    ("", ""),
]


@pytest.mark.parametrize("name, key", NAME_CASES)
def test_institution_names_normalise(name, key):
    assert institution_key(name) == key


@pytest.mark.parametrize("phone, digits", [
    ("021-6000 0000", "02160000000"), ("(021) 6000-0000", "02160000000"), ("１３８ ０００１ １１１１", "13800011111"),
    ("", ""), (None, ""),
])
def test_phones_match_on_digits(phone, digits):
    assert phone_digits(phone) == digits


@pytest.mark.parametrize("address, key", [
    ("长宁路100号", "长宁路100号"), ("长宁路 100 号", "长宁路100号"), ("长宁路１００号", "长宁路100号"),
    ("长宁路100号\t", "长宁路100号"),
])
def test_unit_addresses_normalise(address, key):
    assert address_key(address) == key
