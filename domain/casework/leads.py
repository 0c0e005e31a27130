"""Leads found by other means than a door-to-door visit (issue 9; design section 8): an online listing, a
WeChat group, a registry, police information. The plan asks for 摸排 "通过线下、线上等多种方式" and names
departments among those who look. A lead is a mention like any other: flagged like a survey training and
matched into the problem list.

Stored exactly once per `client_uuid`, like a survey record: the same body again returns the stored lead,
another body under the same `client_uuid` is a conflict.
"""
from peewee import IntegrityError

from domain.casework import mentions
from domain.common import codes
from domain.common.fields import ClientUuid, Code, CodeList, Money, OrgCode, Shape, Text, Url, YesNo
from domain.common.money import from_fen, to_fen
from domain.common.normalise import institution_key, phone_digits
from domain.org.permissions import district_codes, sees_place, sees_whole_district, works_for_department
from domain.survey import flags as red_flags
from domain.survey.record import record_fingerprint
from domain.survey.store import is_approved_name
from models import LEAD_SOURCES, Lead, Org, audit, db

# Where a lead logged here can come from: not 排摸 (that is a survey record) nor a resident's own report.
SOURCES = {code: label for code, label in LEAD_SOURCES.items() if code not in ("survey", "report")}
MAX_DESCRIPTION = 2000


class Conflict(Exception):
    def __init__(self, lead):
        super().__init__("client_uuid already stored with a different body")
        self.lead = lead


class LeadError(ValueError):
    def __init__(self, errors):
        super().__init__("；".join(errors.values()))
        self.errors = dict(errors)


def something_to_go_on(lead, errors, context):
    if not (lead["institution"] or lead["institution_phone"] or lead["description"]):
        errors.add("institution", "请至少填写机构名称、电话或情况描述之一")


LEAD = Shape("LeadInput", {
    "client_uuid": ClientUuid(),
    "source": Code(SOURCES, "线索来源"),
    "community": OrgCode(description="a 居委 code in the caller's scope"),
    "street": OrgCode(description="a 街镇 code in the caller's scope"),
    "institution": Text("机构名称", 200),
    "institution_phone": Text("联系电话", 40),
    "institution_nature": Code(codes.INSTITUTION_NATURES, "机构性质", default="unknown"),
    "url": Url("网址", 500),
    "description": Text("情况描述", MAX_DESCRIPTION, required=True),
    "mode": Code(codes.MODES, "培训方式", default="other"),
    "trainer_identity": Code(codes.TRAINER_IDENTITIES, "培训人员身份", default="unknown"),
    "fee": Money(),
    "products_pitched": YesNo("是否推销产品"),
    "engineering_solicited": YesNo("是否接洽消防工程"),
    "pitched_products": CodeList(codes.PRODUCTS, "推销的产品",
                                 description="the product codes pitched at the training (one code or a list)"),
}, checks=[something_to_go_on])


def parse_lead(body):
    """(lead, errors) from the API body or the phone form (both with the keys of design section 8)."""
    return LEAD.read(body)


def lead_flags(lead, is_approved=is_approved_name):
    """The red flags of a lead, by the same rules as a survey training (design section 5)."""
    return red_flags.training_flags(lead, [], 0, is_approved)


def _place(user, lead):
    """(community, street, district) of a lead: a 居委 or a 街镇 in the user's scope; a department's or the
    district's lead may name any of its district, or none (a district-wide lead)."""
    community = Org.get_or_none((Org.code == lead["community"]) & (Org.kind == "community")) \
        if lead["community"] else None
    street = Org.get_or_none((Org.code == lead["street"]) & (Org.kind == "street")) if lead["street"] else None
    if lead["community"] and community is None:
        raise LeadError({"community": f"没有这个居委代码：{lead['community']}"})
    if lead["street"] and street is None:
        raise LeadError({"street": f"没有这个街镇代码：{lead['street']}"})
    if community is not None:
        street = community.parent
    district = street.parent_id if street is not None else None
    if works_for_department(user) or sees_whole_district(user):
        # They work district-wide: a lead may name no place at all, or any of their district.
        own = district_codes(user)
        if district is not None and district not in own:
            raise LeadError({"community" if community else "street": "这个地方不在您负责的范围内"})
        return community, street, district or (own[0] if own else None)
    if street is None:
        raise LeadError({"street": "请选择线索所在的街镇或居委"})
    if not sees_place(user, community.code if community else None, street.code, district):
        raise LeadError({"community" if community else "street": "这个地方不在您负责的范围内"})
    return community, street, district


def store_lead(user, lead):
    """Store a cleaned lead once. Returns (lead row, created); raises Conflict or LeadError."""
    fingerprint = record_fingerprint(lead)
    existing = Lead.get_or_none(Lead.client_uuid == lead["client_uuid"])
    if existing is None:
        community, street, district = _place(user, lead)
        flags = lead_flags(lead)
        try:
            with db.atomic():
                row = Lead.create(
                    client_uuid=lead["client_uuid"], source=lead["source"], community=community, street=street,
                    district=district,
                    logged_by=user, department=user.department_id, institution=lead["institution"],
                    institution_key=institution_key(lead["institution"]),
                    institution_phone=lead["institution_phone"], phone_digits=phone_digits(lead["institution_phone"]),
                    institution_nature=lead["institution_nature"], url=lead["url"], description=lead["description"],
                    mode=lead["mode"], trainer_identity=lead["trainer_identity"], fee_fen=to_fen(lead["fee"]),
                    products_pitched=lead["products_pitched"], engineering_solicited=lead["engineering_solicited"],
                    pitched_products=" ".join(lead["pitched_products"]), flags=" ".join(flags),
                    suspect=red_flags.is_suspect(flags), body_hash=fingerprint)
                mentions.lead_added(row)
                audit(user, "create", row, lead["source"])
            return row, True
        except IntegrityError:
            existing = Lead.get(Lead.client_uuid == lead["client_uuid"])
    if existing.body_hash != fingerprint:
        raise Conflict(existing)
    return existing, False


def lead_as_dict(lead):
    return {
        "id": lead.id, "client_uuid": lead.client_uuid, "source": lead.source, "community": lead.community_id,
        "street": lead.street_id, "institution": lead.institution, "institution_phone": lead.institution_phone,
        "institution_nature": lead.institution_nature, "url": lead.url, "description": lead.description,
        "mode": lead.mode, "trainer_identity": lead.trainer_identity, "fee": str(from_fen(lead.fee_fen)),
        "products_pitched": lead.products_pitched, "engineering_solicited": lead.engineering_solicited,
        "pitched_products": lead.pitched_products.split(), "flags": lead.flags.split(), "suspect": lead.suspect,
        "department": lead.department_id, "created_at": lead.created_at.isoformat() + "+08:00",
    }
