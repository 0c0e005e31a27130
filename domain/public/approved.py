"""The published list of legally approved fire-safety training institutions (design sections 1 and 5).

Looked up by normalised name (domain.common.normalise.institution_key) or by 统一社会信用代码; an entry past its
`valid_until` no longer counts as approved. The list is loaded from a CSV
`name,credit_code,address,phone,approval_no,valid_until` (or the same header in Chinese, as the template the
district downloads has it; checked as a whole first: a bad file changes nothing) and kept by the district in
the UI.
"""
import datetime

from domain.common.clock import now_local
from domain.common.normalise import credit_code_key, institution_key
from domain.org.org_import import ImportError_, read_rows
from models import ApprovedInstitution, audit, db

CSV_HEADER = ["name", "credit_code", "address", "phone", "approval_no", "valid_until"]
CSV_COLUMNS = {"name": "机构名称", "credit_code": "统一社会信用代码", "address": "地址", "phone": "电话",
               "approval_no": "批准文号", "valid_until": "有效期至"}
FIELD_LIMITS = {"name": 200, "credit_code": 18, "address": 200, "phone": 40, "approval_no": 64}


class ApprovedError(ValueError):
    def __init__(self, errors):
        super().__init__("；".join(errors.values()))
        self.errors = errors


def lookup(text, on=None):
    """(current matches, expired matches) for a name or 统一社会信用代码 as someone typed it."""
    name_key, code = institution_key(text), credit_code_key(text)
    if not name_key and not code:
        return [], []
    match = ApprovedInstitution.name_key == name_key
    if len(code) == 18:
        match |= ApprovedInstitution.credit_code == code
    found = list(ApprovedInstitution.select().where(match).order_by(ApprovedInstitution.name))
    on = on or now_local().date()
    current = [a for a in found if a.valid_until is None or a.valid_until >= on]
    return current, [a for a in found if a not in current]


def csv_template():
    """An empty import file with its header in Chinese, UTF-8 with a BOM so that Excel and WPS open it as such."""
    return "\ufeff" + ",".join(CSV_COLUMNS.values()) + "\r\n"


def _with_english_header(text):
    """The file with a Chinese header (the template's) read as if it had the English one."""
    text = text.lstrip("\ufeff")
    first, newline, rest = text.partition("\n")
    header = [cell.strip() for cell in first.rstrip("\r").split(",")]
    if header == list(CSV_COLUMNS.values()):
        return ",".join(CSV_HEADER) + newline + rest
    if header != CSV_HEADER:
        raise ImportError_(f"第 1 行：表头应为 {','.join(CSV_COLUMNS.values())}（可下载模板照填）")
    return text


def clean_entry(values):
    """(fields, errors) for one entry, from a form or a CSV row (a dict of strings)."""
    errors, fields = {}, {}
    for name, limit in FIELD_LIMITS.items():
        text = " ".join((values.get(name) or "").split())
        if len(text) > limit:
            errors[name] = f"最多 {limit} 个字符"
        fields[name] = text
    fields["credit_code"] = credit_code_key(fields["credit_code"])
    if not fields["name"] or not institution_key(fields["name"]):
        errors["name"] = "请填写机构名称"
    if fields["credit_code"] and (len(fields["credit_code"]) != 18 or not fields["credit_code"].isalnum()):
        errors["credit_code"] = "统一社会信用代码应为 18 位字母或数字"
    fields["valid_until"] = None
    text = (values.get("valid_until") or "").strip()
    if text:
        try:
            fields["valid_until"] = datetime.date.fromisoformat(text.replace("/", "-"))
        except ValueError:
            errors["valid_until"] = "有效期格式应为 2024-12-31"
    fields["name_key"] = institution_key(fields["name"])
    return fields, errors


def _existing(fields):
    if fields["credit_code"]:
        found = ApprovedInstitution.get_or_none(ApprovedInstitution.credit_code == fields["credit_code"])
        if found:
            return found
    return ApprovedInstitution.get_or_none(ApprovedInstitution.name_key == fields["name_key"])


def import_csv(text, user=None):
    """(added, updated). An entry is the same as a stored one when its credit code (else its name) matches."""
    rows = []
    for line_no, cells in read_rows(_with_english_header(text), CSV_HEADER):
        fields, errors = clean_entry(dict(zip(CSV_HEADER, cells)))
        if errors:
            field, message = next(iter(errors.items()))
            raise ImportError_(f"第 {line_no} 行：{field} {message}")
        rows.append(fields)
    added = updated = 0
    with db.atomic():
        for fields in rows:
            entry = _existing(fields)
            if entry is None:
                entry = ApprovedInstitution.create(**fields)
                added += 1
            elif any(getattr(entry, k) != v for k, v in fields.items()):
                ApprovedInstitution.update(**fields).where(ApprovedInstitution.id == entry.id).execute()
                updated += 1
        if added or updated:
            audit(user, "import", ApprovedInstitution(id=0), f"新增 {added}，更新 {updated}")
    return added, updated


def add_entry(user, values):
    fields, errors = clean_entry(values)
    if not errors and _existing(fields) is not None:
        errors["name"] = "名单上已有这个机构（名称或信用代码相同）"
    if errors:
        raise ApprovedError(errors)
    entry = ApprovedInstitution.create(**fields)
    audit(user, "create", entry, entry.name)
    return entry


def update_entry(user, entry, values):
    stored = {k: "" if getattr(entry, k) is None else str(getattr(entry, k)) for k in CSV_HEADER}
    fields, errors = clean_entry({**stored, **values})
    if errors:
        raise ApprovedError(errors)
    ApprovedInstitution.update(**fields).where(ApprovedInstitution.id == entry.id).execute()
    audit(user, "update", entry, f"有效期 {fields['valid_until'] or '长期'}")
    return ApprovedInstitution.get_by_id(entry.id)


def delete_entry(user, entry):
    audit(user, "delete", entry, entry.name)
    entry.delete_instance()


def published(search="", on=None):
    """The list as the public sees it: entries still valid on `on` (today), by name, `search` as for entries()."""
    on = on or now_local().date()
    return entries(search).where(ApprovedInstitution.valid_until.is_null() | (ApprovedInstitution.valid_until >= on))


def entries(search=""):
    query = ApprovedInstitution.select().order_by(ApprovedInstitution.name)
    key = institution_key(search)
    if key:
        query = query.where(ApprovedInstitution.name_key.contains(key)
                            | (ApprovedInstitution.credit_code == credit_code_key(search)))
    return query
