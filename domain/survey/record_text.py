"""A survey record in words, line by line, and two versions of one record side by side: what the worker
reads to settle a conflict between the phone's version and the stored one (issue 8)."""
from domain.common import codes

NOTHING = "—"


def _yes_no(value):
    return NOTHING if value is None else ("是" if value else "否")


def training_text(training):
    parts = [training.get("institution") or "机构名称未填"]
    if training.get("institution_phone"):
        parts.append(f"电话 {training['institution_phone']}")
    parts += [codes.MODES.get(training.get("mode"), NOTHING),
              codes.TRAINER_IDENTITIES.get(training.get("trainer_identity"), NOTHING)]
    if training.get("date"):
        parts.append(f"{training['date']}")
    parts.append(f"收费 {training.get('fee') or '0.00'} 元")
    if training.get("content"):
        parts.append(training["content"])
    if training.get("products_pitched"):
        parts.append("推销了消防产品")
    if training.get("engineering_solicited"):
        parts.append("接洽消防工程")
    return " · ".join(str(p) for p in parts)


def purchase_text(purchase):
    text = (f"{codes.PRODUCTS.get(purchase.get('product'), NOTHING)} × {purchase.get('quantity')}，"
            f"{purchase.get('amount')} 元，{codes.CHANNELS.get(purchase.get('channel'), NOTHING)}")
    if purchase.get("training") is not None:
        text += f"（第{purchase['training'] + 1}条培训）"
    for check, label in codes.PRODUCT_CHECKS.items():
        if purchase.get(check) is not None:
            text += f" · {label}：{_yes_no(purchase[check])}"
    return text


def record_lines(record):
    """[(label, text)] of a cleaned record (domain.survey.record.parse_record), in the order of the form."""
    unit = record.get("unit") or {}
    visited = record.get("visited_at")
    lines = [
        ("走访结果", codes.OUTCOMES.get(record.get("outcome"), NOTHING)),
        ("地址", unit.get("address") or NOTHING),
        ("单位类型", codes.UNIT_TYPES.get(unit.get("type"), NOTHING)),
        ("单位名称", unit.get("name") or NOTHING),
        ("走访时间", visited.strftime("%Y-%m-%d %H:%M") if visited else NOTHING),
    ]
    lines += [(f"第{i + 1}条培训", training_text(t)) for i, t in enumerate(record.get("trainings") or [])]
    lines += [(f"第{i + 1}项购买", purchase_text(p)) for i, p in enumerate(record.get("purchases") or [])]
    lines.append(("备注", record.get("note") or NOTHING))
    return lines


def compare(mine, theirs):
    """[{label, mine, theirs, differs}] of two versions of a record: every line of either, in form order."""
    a, b = dict(record_lines(mine)), dict(record_lines(theirs))

    def most(key):
        return max(len(mine.get(key) or []), len(theirs.get(key) or []))

    labels = ([label for label, _ in record_lines(mine)][:5]
              + [f"第{i + 1}条培训" for i in range(most("trainings"))]
              + [f"第{i + 1}项购买" for i in range(most("purchases"))] + ["备注"])
    return [{"label": label, "mine": a.get(label, NOTHING), "theirs": b.get(label, NOTHING),
             "differs": a.get(label, NOTHING) != b.get(label, NOTHING)} for label in labels]
