"""Checking a survey record as a device or a form sends it (design section 8), with no database.

`parse_record(body)` returns `(record, errors)`: `record` is the cleaned record (codes checked, money as
Decimal, times as naive Shanghai time) when `errors` is empty; `errors` maps a field path such as
`trainings.0.fee` to a message in Chinese, shown at that field.
"""
import datetime
import hashlib
import json
import re
import uuid
from decimal import Decimal, InvalidOperation

from domain.common import codes
from domain.common.clock import iso_day, now_local, to_local

MAX_MONEY = Decimal("100000000")  # 一亿元: anything above is a typing slip
MAX_QUANTITY = 100000
MAX_ITEMS = 20
MAX_DEPTH = 4  # body → trainings → item → field; anything deeper is no record
BAD_TEXT = "含有无法识别的字符，请删除后重新输入"
CLOCK_SKEW = datetime.timedelta(minutes=10)  # a phone's clock may run a little fast


class RecordErrors(dict):
    def add(self, path, message):
        self.setdefault(path, message)


def parse_money(value, path, errors, required=False, label="金额"):
    """Money as Decimal; `label` names the field in the messages (a training's fee is 收费, not 金额)."""
    if value is None or value == "":
        if required:
            errors.add(path, f"请填写{label}")
        return Decimal("0.00")
    if isinstance(value, bool):
        errors.add(path, f"{label}应为数字，例如 298.00")
        return Decimal("0.00")
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        errors.add(path, f"{label}应为数字，例如 298.00")
        return Decimal("0.00")
    if not amount.is_finite():
        errors.add(path, f"{label}应为数字，例如 298.00")
        return Decimal("0.00")
    # Size by the exponent first, with no arithmetic: Decimal keeps "1E+100000000000" as written, and abs(),
    # rounding or quantize() of it overflow the context (a 500 before this check).
    if amount.adjusted() > MAX_MONEY.adjusted() or amount > MAX_MONEY:
        errors.add(path, f"{label}过大，请核对")
        return Decimal("0.00")
    if amount < 0:
        errors.add(path, f"{label}不能为负数")
        return Decimal("0.00")
    rounded = amount.quantize(Decimal("0.01"))
    if amount != rounded:
        errors.add(path, f"{label}最多保留两位小数")
    return rounded


def parse_code(value, allowed, path, errors, label, default=None):
    if value in (None, "") and default is not None:
        return default
    if value in (None, ""):
        errors.add(path, f"请选择{label}")
        return None
    if not isinstance(value, str) or value not in allowed:
        errors.add(path, f"{label}的取值不正确：{value}")
        return None
    return value


def parse_text(value, path, errors, label, max_length, required=False):
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(path, f"{label}应为文字")
        return ""
    value = value.strip()
    if required and not value:
        errors.add(path, f"请填写{label}")
    elif len(value) > max_length:
        errors.add(path, f"{label}最多 {max_length} 个字")
    return value[:max_length]


def parse_bool(value, path, errors, label, nullable=False):
    if value is None or value == "":
        return None if nullable else False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "是"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0", "no", "off", "否"):
        return False
    errors.add(path, f"{label}应为是或否")
    return None if nullable else False


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


def parse_client_uuid(value, errors, required=True):
    """The UUID a device or script made for what it sends (its identity for retries), canonical. None when absent
    (null or ""), which is an error when `required`; anything but text naming a UUID is an error, not an absence
    ({} and false included)."""
    if value is None or value == "":
        if required:
            errors.add("client_uuid", "缺少或无效的编号（client_uuid 应为 UUID）")
        return None
    try:
        if isinstance(value, str):
            return str(uuid.UUID(value))
    except ValueError:
        pass
    errors.add("client_uuid", "缺少或无效的编号（client_uuid 应为 UUID）")
    return None


def parse_date(value, path, errors, label, today, required=False):
    """A day (YYYY-MM-DD) not after today, or None when absent and not `required`."""
    if value in (None, ""):
        if required:
            errors.add(path, f"请填写{label}")
        return None
    try:
        day = iso_day(value)
    except ValueError:
        errors.add(path, f"{label}格式不正确，应如 2023-03-20")
        return None
    if day > today:
        errors.add(path, f"{label}不能晚于今天")
    elif day.year < 2000:
        errors.add(path, f"{label}不正确")
    return day


def parse_list(value, path, errors, label):
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add(path, f"{label}应为列表")
        return []
    if len(value) > MAX_ITEMS:
        errors.add(path, f"{label}最多 {MAX_ITEMS} 项")
        return value[:MAX_ITEMS]
    return value


def parse_training(item, path, errors, today):
    if not isinstance(item, dict):
        errors.add(path, "培训信息格式不正确")
        return {}
    return {
        "institution": parse_text(item.get("institution"), f"{path}.institution", errors, "机构名称", 200),
        "institution_phone": parse_text(item.get("institution_phone"), f"{path}.institution_phone", errors,
                                        "联系电话", 40),
        "trainer_identity": parse_code(item.get("trainer_identity"), codes.TRAINER_IDENTITIES,
                                       f"{path}.trainer_identity", errors, "培训人员身份", default="unknown"),
        "mode": parse_code(item.get("mode"), codes.MODES, f"{path}.mode", errors, "培训方式"),
        "date": parse_date(item.get("date"), f"{path}.date", errors, "培训日期", today),
        "fee": parse_money(item.get("fee"), f"{path}.fee", errors, label="收费"),
        "content": parse_text(item.get("content"), f"{path}.content", errors, "培训内容", 500),
        "products_pitched": parse_bool(item.get("products_pitched"), f"{path}.products_pitched", errors,
                                       "是否推销产品"),
        "engineering_solicited": parse_bool(item.get("engineering_solicited"), f"{path}.engineering_solicited",
                                            errors, "是否接洽消防工程"),
        "institution_nature": parse_code(item.get("institution_nature"), codes.INSTITUTION_NATURES,
                                         f"{path}.institution_nature", errors, "机构性质", default="unknown"),
        "pitched_products": parse_codes(item.get("pitched_products"), codes.PRODUCTS, f"{path}.pitched_products",
                                        errors, "推销的产品"),
    }


def parse_codes(value, allowed, path, errors, label):
    """A list of codes (a JSON list, or one code), each from `allowed`; in `allowed`'s order, no repeats."""
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else [value]
    if any(not isinstance(item, str) or item not in allowed for item in items):
        errors.add(path, f"{label}的取值不正确")
        return []
    return [code for code in allowed if code in items]


WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def whole_number(value):
    """An integer sent as 3, 3.0 (JSON's integers include it) or "3"; ValueError for anything else: 3.5, true,
    "３" or "1_000" (which int() reads)."""
    if isinstance(value, bool):
        raise ValueError("a boolean is no number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError(f"not a whole number: {value!r}")


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


def parse_purchase(item, path, errors, training_count):
    if not isinstance(item, dict):
        errors.add(path, "购买信息格式不正确")
        return {}
    training = item.get("training")
    if training in ("", None):
        training = None
    else:
        training = parse_index(training)
        if training is None:
            errors.add(f"{path}.training", "关联培训不正确")
        elif not 0 <= training < training_count:
            errors.add(f"{path}.training", "关联的培训不存在")
            training = None
    checks = {name: parse_bool(item.get(name), f"{path}.{name}", errors, label, nullable=True)
              for name, label in codes.PRODUCT_CHECKS.items()}
    return {
        "product": parse_code(item.get("product"), codes.PRODUCTS, f"{path}.product", errors, "产品"),
        "quantity": parse_quantity(item.get("quantity"), f"{path}.quantity", errors),
        "amount": parse_money(item.get("amount"), f"{path}.amount", errors),
        "channel": parse_code(item.get("channel"), codes.CHANNELS, f"{path}.channel", errors, "购买渠道"),
        "training": training,
        **checks,
    }


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


def parse_record(body, now=None):
    """Check a record body; return (record, errors). See the module docstring."""
    now = now or now_local()
    errors = RecordErrors()
    if not isinstance(body, dict):
        errors.add("body", "请求内容应为 JSON 对象")
        return None, errors
    check_text_and_depth(body, errors)

    client_uuid = parse_client_uuid(body.get("client_uuid"), errors)

    community = body.get("community")
    if not isinstance(community, str) or not community.strip():
        errors.add("community", "请填写居委代码")
        community = ""

    unit = body.get("unit")
    if not isinstance(unit, dict):
        errors.add("unit", "请填写单位信息")
        unit = {}
    unit = {
        "type": parse_code(unit.get("type"), codes.UNIT_TYPES, "unit.type", errors, "单位类型"),
        "address": parse_text(unit.get("address"), "unit.address", errors, "地址", 200, required=True),
        "name": parse_text(unit.get("name"), "unit.name", errors, "单位名称", 100),
    }

    outcome = parse_code(body.get("outcome"), codes.OUTCOMES, "outcome", errors, "走访结果")
    trainings = parse_list(body.get("trainings"), "trainings", errors, "培训")
    purchases = parse_list(body.get("purchases"), "purchases", errors, "购买")
    if outcome in ("absent", "refused") and (trainings or purchases):
        errors.add("outcome", "无人在家或拒绝配合的记录不能填写培训或购买情况")

    record = {
        "client_uuid": client_uuid,
        "community": community.strip(),
        "unit": unit,
        "visited_at": parse_visited_at(body.get("visited_at"), errors, now),
        "outcome": outcome,
        "trainings": [parse_training(t, f"trainings.{i}", errors, now.date()) for i, t in enumerate(trainings)],
        "purchases": [parse_purchase(p, f"purchases.{i}", errors, len(trainings))
                      for i, p in enumerate(purchases)],
        "note": parse_text(body.get("note"), "note", errors, "备注", 2000),
    }
    return record, errors


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
