"""Checking a survey record as a device or a form sends it (design section 8), with no database.

`parse_record(body)` returns `(record, errors)`: `record` is the cleaned record (codes checked, money as
Decimal, times as naive Shanghai time) when `errors` is empty; `errors` maps a field path such as
`trainings.0.fee` to a message in Chinese, shown at that field.
"""
import datetime
import hashlib
import json
from decimal import Decimal

from domain.common import codes
from domain.common.clock import now_local, to_local
from domain.common.fields import (
    DIGITS, ClientUuid, Code, CodeList, Context, Day, Field, Items, Money, Nested, OrgCode, RecordErrors, Shape, Text,
    YesNo, absent_or, whole_number,
)

MAX_QUANTITY = 100000
MAX_ITEMS = 20
MAX_DEPTH = 4  # body → trainings → item → field; anything deeper is no record
BAD_TEXT = "含有无法识别的字符，请删除后重新输入"
CLOCK_SKEW = datetime.timedelta(minutes=10)  # a phone's clock may run a little fast


def parse_visited_at(value, errors, now):
    if not value or not isinstance(value, str):
        errors.add("visited_at", "请填写走访时间")
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        errors.add("visited_at", "走访时间格式不正确，应如 2023-03-20T10:15:00+08:00")
        return None
    # The year before converting the offset: year 1 or 9999 with an offset overflows datetime's range.
    if moment.year > now.year + 1:
        errors.add("visited_at", "走访时间不能晚于现在")
        return None
    if moment.year < 2000:
        errors.add("visited_at", "走访时间不正确")
        return None
    moment = to_local(moment).replace(microsecond=0)
    if moment > now + CLOCK_SKEW:
        errors.add("visited_at", "走访时间不能晚于现在")
    elif moment.year < 2000:
        errors.add("visited_at", "走访时间不正确")
    return moment


def parse_quantity(value, path, errors):
    if isinstance(value, bool) or value in (None, ""):
        errors.add(path, "请填写数量")
        return 0
    try:
        quantity = whole_number(value)
    except ValueError:
        errors.add(path, "数量应为整数")
        return 0
    if quantity < 1:
        errors.add(path, "数量至少为 1")
    elif quantity > MAX_QUANTITY:
        errors.add(path, "数量过大，请核对")
    return quantity


def parse_index(value):
    """A list index sent as 0, 0.0 or "0"; None for anything else (Infinity, 1e400, NaN, 0.5, "²", true)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None  # False for inf and nan
    if isinstance(value, str):
        text = value.strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None
    return None


def _storable(text):
    """False for text with lone surrogates ("\\ud800" in JSON), which no database can store as UTF-8, or with a
    NUL character, which PostgreSQL's text cannot hold."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text_and_depth(body, errors):
    """Flag, at their paths, what no field parser should meet: text that cannot be stored (lone surrogates,
    in values or keys) and nesting deeper than any record has. Iterative, so a deep body cannot exhaust the
    stack (json.loads accepts nesting close to the recursion limit)."""
    pending = [("", body, 0)]
    while pending:
        path, value, depth = pending.pop()
        if depth > MAX_DEPTH:
            errors.add(path or "body", "内容层次过深")
        elif isinstance(value, str):
            if not _storable(value):
                errors.add(path or "body", BAD_TEXT)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not _storable(str(key)):
                    errors.add(path or "body", BAD_TEXT)
                else:
                    pending.append((f"{path}.{key}" if path else str(key), item, depth + 1))
        elif isinstance(value, list):
            pending.extend((f"{path}.{index}", item, depth + 1) for index, item in enumerate(value))


# --- the record's shape (design section 8): read and described from one definition -----------------------


class VisitTime(Field):
    """When the unit was visited: ISO 8601; without an offset, Shanghai time; from 2000, not after now."""

    required = True

    def read(self, value, path, errors, context, required):
        return parse_visited_at(value, errors, context.now)

    def schema(self):
        return {"type": "string", "anyOf": [
            {"format": "date-time"},
            {"pattern": f"^{DIGITS}{{4}}-{DIGITS}{{2}}-{DIGITS}{{2}}T{DIGITS}{{2}}:{DIGITS}{{2}}(:{DIGITS}{{2}})?$"}]}


class Quantity(Field):
    required = True

    def read(self, value, path, errors, context, required):
        return parse_quantity(value, path, errors)

    def schema(self):
        return {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
                          {"type": "string", "pattern": f"^0*([1-9]{DIGITS}{{0,4}}|100000)$"}]}


class TrainingIndex(Field):
    """Which training of the record a purchase was bought at (its index); whether that training exists is
    `bought_at_a_training_of_the_record`'s to say."""

    def read(self, value, path, errors, context, required):
        if value in ("", None):
            return None
        index = parse_index(value)
        if index is None:
            errors.add(path, "关联培训不正确")
        return index

    def schema(self):
        return absent_or({"type": "integer", "minimum": 0, "maximum": MAX_ITEMS - 1},
                         {"type": "string", "pattern": f"^{DIGITS}{{1,2}}$"})


TRAINING = Shape("TrainingInput", {
    "institution": Text("机构名称", 200),
    "institution_phone": Text("联系电话", 40),
    "trainer_identity": Code(codes.TRAINER_IDENTITIES, "培训人员身份", default="unknown"),
    "mode": Code(codes.MODES, "培训方式"),
    "date": Day("培训日期"),
    "fee": Money("收费"),
    "content": Text("培训内容", 500),
    "products_pitched": YesNo("是否推销产品"),
    "engineering_solicited": YesNo("是否接洽消防工程"),
    "institution_nature": Code(codes.INSTITUTION_NATURES, "机构性质", default="unknown"),
    "pitched_products": CodeList(codes.PRODUCTS, "推销的产品",
                                 description="the product codes pitched at the training (one code or a list)"),
})

PURCHASE = Shape("PurchaseInput", {
    "product": Code(codes.PRODUCTS, "产品"),
    "quantity": Quantity("数量"),
    "amount": Money(),
    "channel": Code(codes.CHANNELS, "购买渠道"),
    "training": TrainingIndex("关联培训", description="the index of the training of this record it was bought at; "
                                                     "with channel `training` and null, the record's only training"),
    **{name: YesNo(label, nullable=True) for name, label in codes.PRODUCT_CHECKS.items()},
})

UNIT = Shape("UnitInput", {
    "type": Code(codes.UNIT_TYPES, "单位类型"),
    "address": Text("地址", 200, required=True),
    "name": Text("单位名称", 100),
})


def nothing_recorded_at_an_absent_unit(record, errors, context):
    if record["outcome"] in ("absent", "refused") and (record["trainings"] or record["purchases"]):
        errors.add("outcome", "无人在家或拒绝配合的记录不能填写培训或购买情况")


def bought_at_a_training_of_the_record(record, errors, context):
    for index, purchase in enumerate(record["purchases"]):
        training = purchase.get("training")
        if training is not None and not 0 <= training < len(record["trainings"]):
            errors.add(f"purchases.{index}.training", "关联的培训不存在")
            purchase["training"] = None


SURVEY_RECORD = Shape("SurveyRecordInput", {
    "client_uuid": ClientUuid(description="made on the device: the record's identity for retries"),
    "community": OrgCode(required=True, missing="请填写居委代码", description="a 居委 code in the caller's scope"),
    "unit": Nested(UNIT, missing="请填写单位信息"),
    "visited_at": VisitTime(description="ISO 8601; without an offset, Shanghai time; between 2000 and now"),
    "outcome": Code(codes.OUTCOMES, "走访结果"),
    "trainings": Items(TRAINING, "培训", MAX_ITEMS, not_an_object="培训信息格式不正确"),
    "purchases": Items(PURCHASE, "购买", MAX_ITEMS, not_an_object="购买信息格式不正确"),
    "note": Text("备注", 2000),
}, checks=[nothing_recorded_at_an_absent_unit, bought_at_a_training_of_the_record], schema_extra={
    # A unit where nobody was home, or that refused, has no trainings or purchases to record.
    "if": {"properties": {"outcome": {"enum": ["absent", "refused"]}}, "required": ["outcome"]},
    "then": {"properties": {"trainings": {"maxItems": 0}, "purchases": {"maxItems": 0}}}})


def parse_record(body, now=None):
    """Check a record body; return (record, errors). See the module docstring."""
    errors = RecordErrors()
    if not isinstance(body, dict):
        errors.add("body", "请求内容应为 JSON 对象")
        return None, errors
    check_text_and_depth(body, errors)
    return SURVEY_RECORD.read_fields(body, "", errors, Context(now or now_local())), errors


# Training fields added after records were first stored (issue 9), with their defaults: left out of the
# fingerprint at their default, so that a record stored before they existed and sent again still matches.
LATER_TRAINING_DEFAULTS = {"institution_nature": "unknown", "pitched_products": []}


def _without_later_defaults(training):
    return {k: v for k, v in training.items() if LATER_TRAINING_DEFAULTS.get(k, object()) != v}


def record_fingerprint(record):
    """A hash of a cleaned record: the same record sent twice has the same fingerprint."""
    def plain(value):
        if isinstance(value, (Decimal, datetime.date, datetime.datetime)):
            return str(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    record = {**record, "trainings": [_without_later_defaults(t) for t in record.get("trainings", [])]}
    text = json.dumps(plain(record), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
