"""The plan's red-flag rules (design section 5), applied to one training of a record or a report.

凡是推销消防产品的培训都是假培训、凡是上门收费的培训都是假培训、凡是以培训为名接洽消防工程的都是假培训.
"""
from decimal import Decimal

# Code → (label, why it matters in words a resident understands). Order is the order shown.
FLAGS = {
    "sells_products": ("推销产品", "凡是推销消防产品的培训都是假培训：正规培训不卖产品。"),
    "door_to_door_fee": ("上门收费", "凡是上门收费的培训都是假培训：正规消防培训不会上门收钱。"),
    "engineering": ("接洽工程", "凡是以培训为名接洽消防工程的都是假培训。"),
    "impersonation": ("冒充身份", "消防员和政府工作人员不会上门收费或卖产品，自称是他们的人很可能是冒充的。"),
    "unapproved": ("非批准机构", "这个机构不在依法批准的消防安全培训机构名单上。"),
}
# A training is suspect (疑似冒牌培训) when any of these holds; `unapproved` alone only raises priority.
SUSPECT_FLAGS = ("sells_products", "door_to_door_fee", "engineering", "impersonation")


def training_flags(training, purchases, index, is_approved=None):
    """The flag codes of training number `index`, in FLAGS order.

    `training` is a dict with mode, fee (Decimal), trainer_identity, products_pitched,
    engineering_solicited and institution; `purchases` the record's purchases, each with channel and
    training (the index of the training it was bought at, or None); `is_approved(name)` tells whether an
    institution name is on the approved list (None: the list is not consulted).
    """
    linked = [p for p in purchases if p.get("training") == index]
    fee = Decimal(training.get("fee") or 0)
    sold = bool(linked)
    found = set()
    if training.get("products_pitched") or training.get("pitched_products") \
            or any(p.get("channel") == "training" for p in linked):
        found.add("sells_products")
    if training.get("mode") == "door_to_door" and fee > 0:
        found.add("door_to_door_fee")
    if training.get("engineering_solicited"):
        found.add("engineering")
    if training.get("trainer_identity") in ("firefighter", "official") and (fee > 0 or sold):
        found.add("impersonation")
    name = (training.get("institution") or "").strip()
    if name and is_approved is not None and not is_approved(name):
        found.add("unapproved")
    return [code for code in FLAGS if code in found]


def is_suspect(flags):
    return any(code in SUSPECT_FLAGS for code in flags)


def describe(flags):
    """[(code, label, reason)] for showing flags with their reasons."""
    return [(code, FLAGS[code][0], FLAGS[code][1]) for code in flags if code in FLAGS]
