"""Reading what a person or a script sends, field by field, and each API shape written once (issue 16).

The `parse_*` functions read one value as JSON or a form sends it (a form sends "200", "true", "") and add a
message in Chinese at the field's path when it is wrong. The field types below wrap them with the JSON Schema
that says the same, and a `Shape` is an ordered table of fields (plus the rules that span fields): the same
definition checks a request body and describes it in the OpenAPI document (domain.api.openapi), so the
document cannot drift from what the code accepts. Shapes are defined beside the rules they feed: the survey
record in domain.survey.record, a lead in domain.casework.leads, and so on.
"""
import re
import uuid
from decimal import Decimal, InvalidOperation

from domain.common.clock import iso_day, now_local

MAX_MONEY = Decimal("100000000")  # 一亿元: anything above is a typing slip
MAX_COUNT = 1_000_000  # 一百万: anything above in one day's entry is a typing slip


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


def parse_date(value, path, errors, label, today, required=False, format_message=None):
    """A day (YYYY-MM-DD) not after today, or None when absent and not `required`."""
    if value in (None, ""):
        if required:
            errors.add(path, f"请填写{label}")
        return None
    try:
        day = iso_day(value)
    except ValueError:
        errors.add(path, format_message or f"{label}格式不正确，应如 2023-03-20")
        return None
    if day > today:
        errors.add(path, f"{label}不能晚于今天")
    elif day.year < 2000:
        errors.add(path, f"{label}不正确")
    return day


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


def parse_count(value, path, errors, label, required=False):
    """A whole number ≥ 0 (empty: 0, unless required)."""
    if value is None or value == "":
        if required:
            errors.add(path, f"请填写{label}")
        return 0
    if isinstance(value, bool):
        errors.add(path, f"{label}应为整数")
        return 0
    try:
        number = whole_number(value)
    except ValueError:
        errors.add(path, f"{label}应为整数")
        return 0
    if number < 0:
        errors.add(path, f"{label}不能为负数")
    elif number > MAX_COUNT:
        errors.add(path, f"{label}过大，请核对")
    return max(0, min(number, MAX_COUNT))


# --- field types: one definition reads a value and describes it -------------------------------------------

DIGITS = "[0-9]"  # never \d: Python's \d also matches other scripts' digits, which no date or amount parser reads
UUID_SCHEMA = {"type": "string", "format": "uuid"}


def enum(values, description=None):
    schema = {"type": "string", "enum": list(values)}
    if description:
        schema["description"] = description
    return schema


def labelled(mapping):
    return "; ".join(f"`{code}` {label}" for code, label in mapping.items())


def absent_or(*schemas):
    """Any of `schemas`, or null, or "" (what a form sends for a field left empty)."""
    return {"anyOf": [*schemas, {"type": "null"}, {"const": ""}]}


class Context:
    """What reading a body may need besides the body: the time now (days are not after today), and the names
    of fields read as optional this time (a form has no client_uuid: the page makes one)."""

    def __init__(self, now=None, optional=(), **extra):
        self.now = now
        self.optional = frozenset(optional)
        self.extra = extra

    @property
    def today(self):
        return self.now.date()


class Field:
    """One field of a shape: `read` checks a value at its path and returns it cleaned; `schema` says the same as
    JSON Schema. `required` fields refuse an absent value (missing, null or "")."""

    required = False

    def __init__(self, label="", *, description=None):
        self.label = label
        self.description = description

    def read(self, value, path, errors, context, required):
        raise NotImplementedError

    def schema(self):
        raise NotImplementedError

    def document(self):
        schema = self.schema()
        return {**schema, "description": self.description} if self.description else schema


class Text(Field):
    """Text, trimmed; at most `max_length` characters."""

    def __init__(self, label, max_length, required=False, **kw):
        super().__init__(label, **kw)
        self.max_length, self.required = max_length, required

    def read(self, value, path, errors, context, required):
        return parse_text(value, path, errors, self.label, self.max_length, required)

    def schema(self):
        if self.required:
            return {"type": "string", "maxLength": self.max_length, "pattern": r"\S"}
        return {"type": ["string", "null"], "maxLength": self.max_length}


class Note(Field):
    """A note in one paragraph: runs of whitespace become one space."""

    def __init__(self, label, max_length, **kw):
        super().__init__(label, **kw)
        self.max_length = max_length

    def read(self, value, path, errors, context, required):
        if value is not None and not isinstance(value, str):
            errors.add(path, f"{self.label}应为文字")
        note = " ".join(value.split()) if isinstance(value, str) else ""
        if len(note) > self.max_length:
            errors.add(path, f"{self.label}最多 {self.max_length} 字")
        return note

    def schema(self):
        return {"type": ["string", "null"], "maxLength": self.max_length}


class Url(Text):
    """A web address (an online listing): http:// or https://."""

    def read(self, value, path, errors, context, required):
        url = super().read(value, path, errors, context, required)
        if url and not url.startswith(("http://", "https://")):
            errors.add(path, "网址应以 http:// 或 https:// 开头")
        return url

    def schema(self):
        return absent_or({"type": "string", "maxLength": self.max_length, "pattern": "^https?://"})


class OrgCode(Field):
    """The code of a 居委, 街镇 or department, as text; what it names is checked against the database later."""

    def __init__(self, label="", required=False, missing=None, **kw):
        super().__init__(label, **kw)
        self.required, self.missing = required, missing

    def read(self, value, path, errors, context, required):
        if value is None:
            value = ""
        if not isinstance(value, str):  # {} or false too: not silently "no place" (Schemathesis)
            errors.add(path, "代码应为文字")
            return ""
        if required and not value.strip():
            errors.add(path, self.missing)
        return value.strip()

    def schema(self):
        return {"type": "string", "pattern": r"\S"} if self.required else {"type": ["string", "null"]}


class Code(Field):
    """One code of a glossary list (design section 4); without a `default`, it must be given."""

    def __init__(self, values, label, default=None, **kw):
        super().__init__(label, **kw)
        self.values, self.default = values, default
        self.required = default is None

    def read(self, value, path, errors, context, required):
        return parse_code(value, self.values, path, errors, self.label, default=self.default)

    def schema(self):
        if self.default is None:
            return enum(self.values, labelled(self.values) if isinstance(self.values, dict) else None)
        return {**absent_or(enum(self.values)), "description": f"default `{self.default}`"}


class CodeList(Field):
    """Codes of a glossary list: a JSON list or one code; in the list's order, no repeats."""

    def __init__(self, values, label, **kw):
        super().__init__(label, **kw)
        self.values = values

    def read(self, value, path, errors, context, required):
        return parse_codes(value, self.values, path, errors, self.label)

    def schema(self):
        return absent_or({"type": "array", "items": enum(self.values)}, enum(self.values))


class Money(Field):
    """Yuan with at most two decimals, 0 to 100,000,000, as a number or text; absent is 0."""

    def __init__(self, label="金额", **kw):
        kw.setdefault("description", "yuan, at most two decimals, 0 to 100,000,000 (null or \"\": 0)")
        super().__init__(label, **kw)

    def read(self, value, path, errors, context, required):
        return parse_money(value, path, errors, label=self.label)

    def schema(self):
        return absent_or(
            {"type": "number", "minimum": 0, "maximum": 100000000, "multipleOf": 0.01},
            {"type": "string", "pattern": f"^(100000000(\\.0{{1,2}})?|{DIGITS}{{1,8}}(\\.{DIGITS}{{1,2}})?)$"})


YES_NO_TEXT = ["", "true", "false", "1", "0", "yes", "no", "on", "off", "是", "否"]


class YesNo(Field):
    """Yes or no, as JSON or as a form sends it; absent is no (or, when `nullable`, not seen)."""

    def __init__(self, label, nullable=False, **kw):
        super().__init__(label, **kw)
        self.nullable = nullable

    def read(self, value, path, errors, context, required):
        return parse_bool(value, path, errors, self.label, nullable=self.nullable)

    def schema(self):
        return {"anyOf": [{"type": "boolean"}, {"type": "null"}, {"enum": YES_NO_TEXT}]}


class Day(Field):
    """A day, YYYY-MM-DD, from 2000 and not after today (Asia/Shanghai)."""

    def __init__(self, label, required=False, format_message=None, **kw):
        kw.setdefault("description", "YYYY-MM-DD, not after today (Asia/Shanghai)")
        super().__init__(label, **kw)
        self.required, self.format_message = required, format_message

    def read(self, value, path, errors, context, required):
        return parse_date(value, path, errors, self.label, context.today, required=required,
                          format_message=self.format_message)

    def schema(self):
        day = {"type": "string", "format": "date"}
        return day if self.required else absent_or(day)

    def document(self):
        if self.required:
            return super().document()
        return absent_or({"type": "string", "format": "date", "description": self.description})


class ClientUuid(Field):
    """The UUID a device or script made for what it sends: its identity for retries."""

    def __init__(self, required=True, **kw):
        super().__init__("编号", **kw)
        self.required = required

    def read(self, value, path, errors, context, required):
        return parse_client_uuid(value, errors, required=required)

    def schema(self):
        return UUID_SCHEMA if self.required else absent_or(UUID_SCHEMA)


class Count(Field):
    """A whole number, 0 to 1,000,000; absent is 0 unless `required`."""

    def __init__(self, label, required=False, **kw):
        kw.setdefault("description", ("required: " if required else "") + "a whole number, 0 to 1,000,000"
                      + ("" if required else " (null or \"\": 0)"))
        super().__init__(label, **kw)
        self.required = required

    def read(self, value, path, errors, context, required):
        return parse_count(value, path, errors, self.label, required=required)

    def schema(self):
        return absent_or({"type": "integer", "minimum": 0, "maximum": MAX_COUNT},
                         {"type": "string", "pattern": f"^0*({DIGITS}{{1,6}}|1000000)$"})


class Nested(Field):
    """An object of its own shape (a record's unit): when it is no object, its fields are read as absent."""

    def __init__(self, shape, missing, **kw):
        super().__init__(**kw)
        self.shape, self.missing = shape, missing
        self.required = True

    def read(self, value, path, errors, context, required):
        if not isinstance(value, dict):
            errors.add(path, self.missing)
            value = {}
        return self.shape.read_fields(value, path, errors, context)

    def schema(self):
        return self.shape.schema()


class Items(Field):
    """A list of objects of one shape, at most `max_items`; absent is an empty list."""

    def __init__(self, shape, label, max_items, not_an_object, **kw):
        super().__init__(label, **kw)
        self.shape, self.max_items, self.not_an_object = shape, max_items, not_an_object

    def read(self, value, path, errors, context, required):
        if value is None:
            return []
        if not isinstance(value, list):
            errors.add(path, f"{self.label}应为列表")
            return []
        if len(value) > self.max_items:
            errors.add(path, f"{self.label}最多 {self.max_items} 项")
            value = value[:self.max_items]
        found = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                found.append(self.shape.read_fields(item, f"{path}.{index}", errors, context))
            else:
                errors.add(f"{path}.{index}", self.not_an_object)
                found.append({})
        return found

    def schema(self):
        return {"type": ["array", "null"], "maxItems": self.max_items,
                "items": {"$ref": f"#/components/schemas/{self.shape.name}"}}


class Shape:
    """A request body as an ordered table of fields, plus `checks`: rules over the fields read (each called as
    check(values, errors, context) after every field). `read(body)` returns (values, errors); `schema()` is its
    JSON Schema for the OpenAPI document. Bodies are open: properties the API does not know are ignored."""

    def __init__(self, name, fields, checks=(), schema_extra=None, description=None, extends=None):
        self.name, self.fields, self.checks = name, fields, tuple(checks)
        self.schema_extra, self.description, self.extends = schema_extra or {}, description, extends

    def read(self, body, now=None, optional=(), **extra):
        errors = RecordErrors()
        if not isinstance(body, dict):
            errors.add("body", "请求内容应为 JSON 对象")
            return None, errors
        context = Context(now=now or now_local(), optional=optional, **extra)
        return self.read_fields(body, "", errors, context), errors

    def read_fields(self, body, path, errors, context):
        values = {}
        for name, field in self.fields.items():
            required = field.required and name not in context.optional
            values[name] = field.read(body.get(name), f"{path}.{name}" if path else name, errors, context, required)
        for check in self.checks:
            check(values, errors, context)
        return values

    def schema(self):
        schema = {"type": "object", "properties": {name: field.document() for name, field in self.fields.items()}}
        required = [name for name, field in self.fields.items() if field.required]
        if required:
            schema["required"] = required
        if self.description:
            schema["description"] = self.description
        schema = {**schema, **self.schema_extra}
        if self.extends is not None:  # its fields beside those of the shape it extends (read separately)
            return {"allOf": [{"$ref": f"#/components/schemas/{self.extends.name}"}, schema]}
        return schema

    def named_inside(self):
        """The shapes this one refers to by name (list items, the shape it extends): schemas of their own."""
        inside = [field.shape for field in self.fields.values() if isinstance(field, Items)]
        return inside + ([self.extends] if self.extends is not None else [])


def schemas_of(*shapes):
    """{name: JSON Schema} of `shapes` and of every shape they name, for the document's components."""
    found, pending = {}, list(shapes)
    while pending:
        shape = pending.pop(0)
        if shape.name not in found:
            found[shape.name] = shape.schema()
            pending.extend(shape.named_inside())
    return found
