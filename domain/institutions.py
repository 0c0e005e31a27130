"""Suspect institutions and the problem list (问题清单), design sections 5 and 6.

The mentions are the suspect trainings of units' latest records up to day D and the public reports
received by D and not marked unfounded, anywhere in the district, fetched with one query. Two mentions are
the same institution when their normalised names are equal or they share phone digits, transitively: a
union-find over the identifiers "n:<name key>" and "p:<phone digits>" that each mention links together.
The district's manual decisions apply on top: a merge joins two identifiers' groups, a split cuts the link
a name and a phone make (a mention with both then stays with its name). Mentions are few (about 2% of
units), so this part runs in Python.
"""
import datetime
from collections import Counter
from dataclasses import dataclass, field

from peewee import SQL, Value

from domain import codes
from domain.clock import end_of_day
from domain.tables import latest_records, reports_received
from models import (
    Department, InstitutionDecision, Org, Purchase, Referral, Report, Training, Unit, audit, db,
)

NO_NAME = "（未留机构名称）"
SOURCES = {"training": "排摸", "report": "举报"}


@dataclass
class Mention:
    kind: str  # "training" (a suspect training of a unit's latest record) or "report"
    id: int
    name: str
    key: str
    phone: str
    community: str
    unit: int  # None for a report
    survey: int  # None for a report
    place: str  # the unit's address or the report's place
    amount_fen: int  # training fee or the report's amount
    flags: str
    identity: str
    content: str
    at: object
    ref: str  # report number, or the unit's name
    status: str  # report status ('' for trainings)
    street: str = None  # 街镇 code: the 居委's, or the one a report was placed in without a 居委
    products: list = field(default_factory=list)  # [(product, quantity, amount_fen)] bought at the training
    group: str = ""

    def __post_init__(self):
        if isinstance(self.at, str):  # SQLite hands back a UNION's timestamps as text
            self.at = datetime.datetime.fromisoformat(self.at)

    @property
    def identifiers(self):
        return ([f"n:{self.key}"] if self.key else []) + ([f"p:{self.phone}"] if self.phone else [])


def mentions(as_of, with_products=True):
    """Every identifiable mention up to day `as_of`, district-wide: one UNION ALL query, plus one for the
    products bought at the suspect trainings (which the counts of 附件1 do without)."""
    latest = latest_records(as_of)
    c = latest.c
    trainings = (Training
                 .select(Value("training").alias("kind"), Training.id, Training.institution.alias("name"),
                         Training.institution_key.alias("key"), Training.phone_digits.alias("phone"),
                         c.community_id.alias("community"), c.unit_id.alias("unit"), c.id.alias("survey"),
                         Unit.address.alias("place"), Training.fee_fen.alias("amount_fen"), Training.flags,
                         Training.trainer_identity.alias("identity"), Training.content,
                         c.visited_at.alias("at"), Unit.name.alias("ref"), Value("").alias("status"),
                         SQL("NULL").alias("street"))
                 .join(latest, on=(Training.survey == c.id))
                 .join(Unit, on=(c.unit_id == Unit.id))
                 .where((c.rn == 1) & (c.outcome == "surveyed") & (Training.suspect == True)  # noqa: E712
                        & ((Training.institution_key != "") | (Training.phone_digits != ""))))
    reports = (reports_received(as_of)
               .select(Value("report"), Report.id, Report.institution, Report.institution_key, Report.phone_digits,
                       Report.community, SQL("NULL"), SQL("NULL"), Report.place, Report.amount_fen, Report.flags,
                       Value(""), Report.description, Report.created_at, Report.number, Report.status,
                       Report.street)
               .where((Report.institution_key != "") | (Report.phone_digits != "")))
    query = trainings.union_all(reports).with_cte(latest)
    found = [Mention(**row) for row in query.dicts()]
    street_of = dict(Org.select(Org.code, Org.parent).where(Org.kind == "community").tuples())
    for mention in found:
        mention.street = street_of.get(mention.community) or mention.street
    if not with_products:
        return found

    # All purchases at suspect trainings are few; those of records that are no longer latest are dropped
    # below. (Joining the ranked records again lets PostgreSQL pick a nested loop over the window.)
    sold = (Purchase.select(Purchase.training, Purchase.product, Purchase.quantity, Purchase.amount_fen)
            .join(Training, on=(Purchase.training == Training.id))
            .where(Training.suspect == True)  # noqa: E712
            .order_by(Purchase.id).tuples())
    by_training = {}
    for training, product, quantity, amount_fen in sold:
        by_training.setdefault(training, []).append((product, quantity, amount_fen))
    for mention in found:
        if mention.kind == "training":
            mention.products = by_training.get(mention.id, [])
    return found


class _UnionFind:
    def __init__(self):
        self.parent = {}

    def add(self, item):
        self.parent.setdefault(item, item)

    def find(self, item):
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller identifier is the root, so a group's key is its smallest identifier ("n:" < "p:").
            low, high = sorted((ra, rb))
            self.parent[high] = low


def match(found, decisions=None):
    """Give each mention its institution key (the smallest identifier of its group); returns the mentions."""
    decisions = list(InstitutionDecision.select()) if decisions is None else decisions
    splits = {(d.key_a, d.key_b) for d in decisions if d.kind == "split"}
    groups = _UnionFind()
    for mention in found:
        ids = mention.identifiers
        if len(ids) == 2 and tuple(ids) in splits:
            ids = ids[:1]  # the district said this phone is not this name's: the name wins
        for item in ids:
            groups.add(item)
        if len(ids) == 2:
            groups.union(*ids)
        mention._ids = ids
    for decision in decisions:
        if decision.kind == "merge" and decision.key_a in groups.parent and decision.key_b in groups.parent:
            groups.union(decision.key_a, decision.key_b)
    for mention in found:
        mention.group = groups.find(mention._ids[0])
    return found


def training_groups(as_of):
    """[(居委 code, institution key)] of the suspect trainings of units' latest records up to D."""
    return [(m.community, m.group) for m in match(mentions(as_of, with_products=False)) if m.kind == "training"]


# --- the problem list ---------------------------------------------------------------------------------


@dataclass
class Institution:
    key: str
    mentions: list
    streets: list  # street names
    communities: list  # 居委 names
    departments: list  # names of the departments it (or one of its reports) was referred to
    status: str

    @property
    def names(self):
        return sorted({m.name.strip() for m in self.mentions if m.name.strip()})

    @property
    def name(self):
        named = Counter(m.name.strip() for m in self.mentions if m.name.strip())
        if named:
            return min(named, key=lambda n: (-named[n], n))
        return f"{NO_NAME} 电话 {self.phones[0]}"

    @property
    def phones(self):
        return sorted({m.phone for m in self.mentions if m.phone})

    @property
    def identifiers(self):
        return sorted({i for m in self.mentions for i in m.identifiers})

    @property
    def nature(self):
        """机构性质, from what the mentions say: a name not on the approved list, or no name at all."""
        if not self.names:
            return "身份不明（未留名称）"
        if any("unapproved" in m.flags.split() for m in self.mentions if m.kind == "training"):
            return "非批准机构"
        return "待核实"

    @property
    def identities(self):
        found = {m.identity for m in self.mentions if m.identity}
        return [label for code, label in codes.TRAINER_IDENTITIES.items() if code in found]

    @property
    def contents(self):
        return sorted({m.content.strip() for m in self.mentions if m.kind == "training" and m.content.strip()})

    @property
    def products(self):
        found = {product for m in self.mentions for product, _, _ in m.products}
        return [label for code, label in codes.PRODUCTS.items() if code in found]

    @property
    def flags(self):
        found = {flag for m in self.mentions for flag in m.flags.split()}
        return [code for code in ("sells_products", "door_to_door_fee", "engineering", "impersonation", "unapproved")
                if code in found]

    @property
    def units(self):
        return len({m.unit for m in self.mentions if m.unit})

    @property
    def reports(self):
        return [m for m in self.mentions if m.kind == "report"]

    @property
    def amount_fen(self):
        """Fees of its trainings, the amounts bought at them and the amounts its reports name."""
        return sum(m.amount_fen + sum(amount for _, _, amount in m.products) for m in self.mentions)

    @property
    def sources(self):
        return [label for kind, label in SOURCES.items() if any(m.kind == kind for m in self.mentions)]


def _status(mentions, departments):
    """处置情况: referred, else the furthest state of its reports, else waiting to be checked."""
    if departments:
        return "已移交"
    statuses = {m.status for m in mentions if m.kind == "report"}
    for status, label in (("confirmed", "已核实"), ("checking", "核查中")):
        if status in statuses:
            return label
    return "待核查"


def problem_list(as_of, street=None):
    """One Institution per suspect institution up to D, biggest first. For a street (an Org), only the
    institutions with mentions in its 居委, described by those mentions alone (its scope)."""
    found = match(mentions(as_of))
    orgs = {o.code: o for o in Org.select().where(Org.kind.in_(("street", "community")))}
    if street is not None:
        found = [m for m in found if m.street == street.code]
    by_group = {}
    for mention in found:
        by_group.setdefault(mention.group, []).append(mention)

    referrals = list(Referral.select(Referral.report, Referral.institution_key, Department.name)
                     .join(Department).where(Referral.referred_at < end_of_day(as_of)).tuples())
    result = []
    for key, group in by_group.items():
        report_ids = {m.id for m in group if m.kind == "report"}
        keys = {key} | {i for m in group for i in m.identifiers} | {i[2:] for m in group for i in m.identifiers}
        departments = sorted({name for report, ikey, name in referrals
                              if (report and report in report_ids) or (ikey and ikey in keys)})
        result.append(Institution(
            key=key, mentions=sorted(group, key=lambda m: (m.kind, str(m.at), m.id)),
            streets=sorted({orgs[m.street].name for m in group if m.street in orgs}),
            communities=sorted({orgs[m.community].name for m in group if m.community in orgs}),
            departments=departments,
            status=_status(group, departments)))
    result.sort(key=lambda i: (-i.units, -len(i.mentions), -i.amount_fen, i.key))
    return result


def find_institution(as_of, key, street=None):
    return next((i for i in problem_list(as_of, street) if i.key == key), None)


# --- the district's merges and splits ------------------------------------------------------------------------


class DecisionError(ValueError):
    pass


def merge(user, key_a, key_b, note=""):
    """Treat the institutions holding identifiers key_a and key_b as one."""
    if not key_a or not key_b or key_a == key_b:
        raise DecisionError("请选择两个不同的机构")
    return _decide(user, "merge", *sorted((key_a, key_b)), note)


def split(user, name_id, phone_id, note=""):
    """The phone `phone_id` ("p:…") does not make mentions named `name_id` ("n:…") the same institution."""
    if not (name_id.startswith("n:") and phone_id.startswith("p:")):
        raise DecisionError("拆分要指明一个机构名称和一个电话")
    return _decide(user, "split", name_id, phone_id, note)


def _decide(user, kind, key_a, key_b, note):
    with db.atomic():
        decision = InstitutionDecision.get_or_none(
            (InstitutionDecision.kind == kind) & (InstitutionDecision.key_a == key_a)
            & (InstitutionDecision.key_b == key_b))
        if decision is None:
            decision = InstitutionDecision.create(kind=kind, key_a=key_a, key_b=key_b, note=note, decided_by=user)
            audit(user, kind, decision, f"{key_a} {key_b}")
    return decision


def undo(user, decision_id):
    decision = InstitutionDecision.get_or_none(InstitutionDecision.id == decision_id)
    if decision is None:
        return False
    with db.atomic():
        audit(user, "undo_" + decision.kind, decision, f"{decision.key_a} {decision.key_b}")
        decision.delete_instance()
    return True


def links(institution):
    """The (name id, phone id) pairs that tie this institution's mentions together: what a split can cut."""
    return sorted({tuple(m.identifiers) for m in institution.mentions if len(m.identifiers) == 2})


def community_names():
    return dict(Org.select(Org.code, Org.name).where(Org.kind == "community").tuples())


def split_pairs():
    """{(name id, phone id)} the district has split."""
    return {(d.key_a, d.key_b) for d in InstitutionDecision.select().where(InstitutionDecision.kind == "split")}


def decisions():
    return list(InstitutionDecision.select().order_by(InstitutionDecision.decided_at.desc(),
                                                      InstitutionDecision.id.desc()))

