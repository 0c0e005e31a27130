"""The survey form and the API record are one shape: a form field is named by its record path in dotted
form (`trainings.0.fee`), so a submitted form turns into the API's JSON body generically and then goes
through the same `parse_record` as a device's record. Error paths of `parse_record` are then exactly the
names of the form fields, which is how each message lands at its field.

Rules of the conversion (the offline outbox applies the same ones):
- a segment made of digits is a list index; items are kept in index order;
- values stay strings (checkboxes send "true", tri-state selects ""/"true"/"false"); parse_record reads them;
- a group of checkboxes (a field named in LIST_FIELDS, such as `trainings.0.pitched_products`) is a list;
- trailing list items whose every value is empty are dropped: a block the worker added but left blank.
  Only trailing ones, so the index a purchase uses to name its training never shifts.
"""
import uuid

from domain.common.clock import now_local
from domain.survey.flags import is_suspect
from domain.survey.record import MAX_ITEMS
from domain.survey.store import (
    Conflict, ScopeError, clean_record, correct_record, parse_correction_uuid, record_flags, store_record,
)

# Form controls that are not part of the record (the edit form's correction_id names the correction).
NOT_RECORD_FIELDS = ("csrf_token", "add", "correction_id")
# Record fields that are lists of codes, sent by a group of checkboxes (static/js/outbox.js knows them too).
LIST_FIELDS = ("pitched_products",)


def _index(part):
    """A dotted-name segment as a list index, or None. ASCII digits only ("²".isdigit() is true, and int() of
    it fails), and short: an index is below MAX_ITEMS, and int() refuses 4,300 digits."""
    return int(part) if part.isascii() and part.isdigit() and len(part) <= 6 else None


def _insert(tree, parts, value):
    head, rest = parts[0], parts[1:]
    key = head if _index(head) is None else _index(head)
    if not rest:
        tree[key] = value
        return
    child = tree.get(key)
    if not isinstance(child, dict):
        child = tree[key] = {}
    _insert(child, rest, value)


def _is_blank(value):
    if isinstance(value, dict):
        return all(_is_blank(v) for v in value.values())
    return value in ("", None)


def _listify(node):
    """Dicts whose keys are all ints become lists in index order (trailing blank items dropped)."""
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(isinstance(k, int) for k in converted):
        items = [converted[k] for k in sorted(converted)]
        while items and _is_blank(items[-1]):
            items.pop()
        return items
    return converted


def form_to_body(form):
    """A submitted form (a MultiDict or dict of dotted names) as the API's record body."""
    tree = {}
    for name, value in form_values(form).items():
        if name in NOT_RECORD_FIELDS or not name:
            continue
        parts = name.split(".")
        if any(part == "" for part in parts):
            continue
        _insert(tree, parts, value)
    return _listify(tree)


def form_values(form):
    """The form's values by name: the first value sent, or the list of them for a field of LIST_FIELDS (a
    MultiDict keeps them all; to_dict() would keep only the first)."""
    if not hasattr(form, "lists"):
        return dict(form)
    return {name: values if name.rsplit(".", 1)[-1] in LIST_FIELDS else values[0] for name, values in form.lists()}


def _flatten(value, prefix, out):
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        out[prefix] = value  # a list of codes is one field sent more than once (checkboxes)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}", out)
    elif isinstance(value, bool):
        out[prefix] = "true" if value else "false"
    else:
        out[prefix] = "" if value is None else str(value)
    return out


def record_to_form(record):
    """A stored record (survey_as_dict) as flat form values keyed by dotted name, for the edit form."""
    return _flatten(record, "", {})


def count_items(values, name):
    """How many `name` blocks (trainings or purchases) the form values hold: highest index + 1. Indexes from
    MAX_ITEMS on name no block (a record has at most that many), so `purchases.2000000.x` cannot make the
    page render two million blocks."""
    indexes = set()
    for key in values:
        parts = key.split(".")
        if len(parts) > 2 and parts[0] == name and _index(parts[1]) is not None and _index(parts[1]) < MAX_ITEMS:
            indexes.add(_index(parts[1]))
    return max(indexes) + 1 if indexes else 0


def visit_time():
    """The visit time a form is rendered with: now in Shanghai, ISO with its +08:00 offset."""
    return now_local().isoformat() + "+08:00"


def correction_form_values(record):
    """A stored record (survey_as_dict) as the edit form's values, with a new correction_id: sending the
    form twice (a double tap, a retry) applies the correction once."""
    return {**record_to_form(record), "correction_id": str(uuid.uuid4())}


def new_form_values(unit, outcome="surveyed"):
    """Form values for a fresh record of `unit`: a new client_uuid, the visit time, the unit's fields."""
    return {"client_uuid": str(uuid.uuid4()), "community": unit.community_id, "unit.type": unit.type,
            "unit.address": unit.address, "unit.name": unit.name or "", "visited_at": visit_time(),
            "outcome": outcome, "note": ""}


# --- saving and previewing a submitted form (one validation path with the API) ---------------------------

CONFLICT_MESSAGE = "这条记录已保存过、内容不同；如需修改，请在今日记录里点“更正”"
CORRECTION_CONFLICT_MESSAGE = "这次更正已用另一份内容保存过，请刷新后重新更正"


def save_form(user, form):
    """Store the record a form describes. Returns (survey or None, errors keyed by field name)."""
    record, errors = clean_record(form_to_body(form))
    if errors:
        return None, errors
    try:
        survey, _created = store_record(user, record)
    except ScopeError as exc:
        return None, exc.errors
    except Conflict:
        return None, {"client_uuid": CONFLICT_MESSAGE}
    return survey, {}


def correct_form(user, survey, form):
    """An explicit, audited correction of a stored record from the edit form. Returns (survey, errors)."""
    record, errors = clean_record(form_to_body(form))
    correction_uuid = parse_correction_uuid(form.get("correction_id"), errors)
    if errors:
        return None, errors
    try:
        corrected, _applied = correct_record(user, survey, record, correction_uuid)
    except ScopeError as exc:
        return None, exc.errors
    except Conflict:
        return None, {"client_uuid": CORRECTION_CONFLICT_MESSAGE}
    return corrected, {}


def preview_form(form):
    """(errors, flag sets, hints) for a form being filled in: what saving it now would say, without saving."""
    record, errors = clean_record(form_to_body(form))
    trainings = [t if isinstance(t, dict) else {} for t in record["trainings"]]
    return errors, flag_sets(trainings, record_flags({**record, "trainings": trainings})), hints(record)


SALE_WITHOUT_TRAINING = "有产品是在培训现场买的，但还没有填写这条培训：请增加这条培训，才能判断是不是冒牌培训。"


def hints(record):
    """What the worker should still add, without stopping the save: a sale 培训现场 with no training recorded."""
    sold_at_training = any(isinstance(p, dict) and p.get("channel") == "training" for p in record["purchases"])
    return [SALE_WITHOUT_TRAINING] if sold_at_training and not record["trainings"] else []


def flag_sets(trainings, flags_per_training):
    """[{index, institution, flags, suspect}] for showing each training's red flags with their reasons."""
    return [{"index": index, "institution": training.get("institution") or "", "flags": list(flags),
             "suspect": is_suspect(flags)}
            for index, (training, flags) in enumerate(zip(trainings, flags_per_training))]


# Where each field is on the record form, top to bottom: after a failed save the first wrong one gets the focus.
FORM_ORDER = ("outcome", "unit.type", "unit.name", "trainings", "purchases", "note")
ITEM_ORDER = {
    "trainings": ("institution", "institution_phone", "trainer_identity", "mode", "date", "fee", "content"),
    "purchases": ("product", "quantity", "amount", "channel", "training", "ccc_mark", "id_label", "sample_available"),
}


def first_error(errors):
    """The name of the wrong field that comes first on the record form (None: no error)."""
    def position(name):
        parts = name.split(".")
        if len(parts) == 3 and parts[0] in ITEM_ORDER and parts[1].isdigit():
            order = ITEM_ORDER[parts[0]]
            return FORM_ORDER.index(parts[0]), int(parts[1]), order.index(parts[2]) if parts[2] in order else len(order)
        return (FORM_ORDER.index(name) if name in FORM_ORDER else -1), 0, 0
    return min(errors, key=position) if errors else None
