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

from peewee import SQL, Case, Value, fn

from domain.casework import mentions as kept_mentions, referrals
from domain.casework.matching import match_groups
from domain.common import codes
from domain.common.clock import end_of_day, today_local
from domain.common.normalise import institution_key, phone_digits
from models import (
    InstitutionDecision, Lead, Mention as KeptMention, Org, Purchase, Report, ReportEvent, Survey, Training, Unit,
    audit, db,
)

NO_NAME = "（未留机构名称）"
SOURCES = {"training": "排摸", "report": "举报", "lead": "线索"}


@dataclass(slots=True)  # a city's tables read hundreds of thousands
class Mention:
    kind: str  # "training" (of a unit's latest record), "report" or "lead"
    id: int
    name: str
    key: str
    phone: str
    community: str
    unit: int  # None unless a training
    survey: int  # None unless a training
    place: str  # the unit's address, the report's place or the lead's URL
    amount_fen: int  # training or lead fee, or the report's amount
    flags: str
    identity: str
    content: str
    at: object
    ref: str  # report number, lead source, or the unit's name
    status: str  # report status ('' for trainings and leads)
    street: str = None  # 街镇 code: the 居委's, or the one a report or lead was placed in without a 居委
    district: str = None  # the street's district, or the one a report or lead was placed in without a street
    suspect: bool = False
    nature: str = "unknown"  # 机构性质 as recorded (trainings and leads)
    products: list = field(default_factory=list)  # [(product, quantity, amount_fen)] bought at the training
    group: str = ""
    position: int = None  # the training's position in its record
    kept: int = None  # the kept mention's id (domain.casework.mentions)

    def __post_init__(self):
        if isinstance(self.at, str):  # SQLite hands back a UNION's timestamps as text
            self.at = datetime.datetime.fromisoformat(self.at)
        self.suspect = bool(self.suspect)

    @property
    def identifiers(self):
        return ([f"n:{self.key}"] if self.key else []) + ([f"p:{self.phone}"] if self.phone else [])

    @property
    def anchor(self):
        """What identifies this mention alone: its case when it names no identifiable institution."""
        if self.kind == "training":
            return f"t:{self.survey}.{self.position}"
        return f"{self.kind[0]}:{self.id}"


def reports_received(as_of):
    """Reports received by the end of day `as_of` and not marked unfounded (不属实) by then.

    A report's status on D is the status of its latest ReportEvent up to D ('new' when none yet); a report
    whose status was never logged as events is taken at its current status.
    """
    eod = end_of_day(as_of)
    status_then = (ReportEvent.select(ReportEvent.status)
                   .where((ReportEvent.report == Report.id) & (ReportEvent.at < eod))
                   .order_by(ReportEvent.at.desc(), ReportEvent.id.desc()).limit(1))
    has_events = fn.EXISTS(ReportEvent.select(SQL("1")).where(ReportEvent.report == Report.id))
    status = Case(None, [(has_events, fn.COALESCE(status_then, "new"))], Report.status)
    return Report.select().where((Report.created_at < eod) & (status != "unfounded"))


def mentions(as_of, with_products=True, current=False, where=None):
    """Every mention valid on day `as_of` (domain.casework.mentions keeps them), in one UNION ALL query (plus one
    for the products bought at trainings, which the counts of 附件1 do without):

    - the suspect trainings of units' latest records, and those that only name an institution missing from
      the approved list (待核实, design section 5);
    - the reports received and not marked unfounded;
    - the leads logged (issue 9).

    `current`: today's, each with the group key kept for it (no matching needed); `where` narrows them (an
    expression over models.Mention). Without products (the counts of the tables), only what places and matches a
    mention is read, from the kept mentions alone: a city holds hundreds of thousands."""
    valid = KeptMention.valid_to.is_null() if current else (
        (KeptMention.valid_from <= as_of) & (KeptMention.valid_to.is_null() | (KeptMention.valid_to > as_of)))
    if where is not None:
        valid &= where
    if not with_products:
        light = KeptMention.select(
            KeptMention.id, KeptMention.kind, KeptMention.source, KeptMention.position, KeptMention.name_key,
            KeptMention.phone, KeptMention.community, KeptMention.street, KeptMention.district, KeptMention.suspect,
            KeptMention.group_key, KeptMention.unit, KeptMention.amount_fen).where(valid)
        # Raw rows (thousands of them, and none needs a field's conversion but `suspect`).
        # Positional, in the order of Mention's fields (kind, id, name, key, phone, community, unit, survey, place,
        # amount_fen, flags, identity, content, at, ref, status, street, district, suspect, nature, products,
        # group, position, kept): keywords cost a city's 200,000 mentions half a second more.
        return [Mention(kind, source, "", key, phone, community, unit, source, "", amount_fen, "", "", "", None, "",
                        "", street, district, bool(suspect), "unknown", (), group, position, kept)
                for kept, kind, source, position, key, phone, community, street, district, suspect, group, unit, amount_fen
                in db.execute(light).fetchall()]
    trainings = (KeptMention
                 .select(Value("training").alias("kind"), Training.id, Training.institution.alias("name"),
                         Training.institution_key.alias("key"), Training.phone_digits.alias("phone"),
                         KeptMention.community.alias("community"), KeptMention.unit.alias("unit"),
                         KeptMention.source.alias("survey"),
                         Training.position, Unit.address.alias("place"), Training.fee_fen.alias("amount_fen"),
                         Training.flags, Training.trainer_identity.alias("identity"), Training.content,
                         Survey.visited_at.alias("at"), Unit.name.alias("ref"), Value("").alias("status"),
                         KeptMention.street.alias("street"), KeptMention.district.alias("district"), Training.suspect,
                         Training.institution_nature.alias("nature"), KeptMention.group_key.alias("group"),
                         KeptMention.id.alias("kept"))
                 .join(Training, on=((Training.survey == KeptMention.source)
                                     & (Training.position == KeptMention.position)))
                 .join(Survey, on=(Survey.id == KeptMention.source))
                 .join(Unit, on=(Unit.id == KeptMention.unit))
                 .where((KeptMention.kind == "training") & valid))
    reports = (KeptMention
               .select(Value("report"), Report.id, Report.institution, Report.institution_key, Report.phone_digits,
                       KeptMention.community, SQL("NULL"), SQL("NULL"), SQL("NULL"), Report.place, Report.amount_fen,
                       Report.flags, Value(""), Report.description, Report.created_at, Report.number,
                       Report.status, KeptMention.street, KeptMention.district, Report.suspect, Value("unknown"),
                       KeptMention.group_key, KeptMention.id)
               .join(Report, on=(Report.id == KeptMention.source))
               .where((KeptMention.kind == "report") & valid))
    leads = (KeptMention
             .select(Value("lead"), Lead.id, Lead.institution, Lead.institution_key, Lead.phone_digits,
                     KeptMention.community, SQL("NULL"), SQL("NULL"), SQL("NULL"), Lead.url, Lead.fee_fen, Lead.flags,
                     Lead.trainer_identity, Lead.description, Lead.created_at, Lead.source, Value(""),
                     KeptMention.street, KeptMention.district, Lead.suspect, Lead.institution_nature, KeptMention.group_key,
                     KeptMention.id)
             .join(Lead, on=(Lead.id == KeptMention.source))
             .where((KeptMention.kind == "lead") & valid))
    found = [Mention(**row) for row in trainings.union_all(reports).union_all(leads).dicts()]

    # All purchases at the trainings that are mentions are few.
    by_training = {}
    training_ids = [m.id for m in found if m.kind == "training"]
    for start in range(0, len(training_ids), 500):
        for training, product, quantity, amount_fen in (
                Purchase.select(Purchase.training, Purchase.product, Purchase.quantity, Purchase.amount_fen)
                .where(Purchase.training.in_(training_ids[start:start + 500])).order_by(Purchase.id).tuples()):
            by_training.setdefault(training, []).append((product, quantity, amount_fen))
    for mention in found:
        if mention.kind == "training":
            mention.products = by_training.get(mention.id, [])
    return found


def match(found, decisions=None):
    """Give each mention its institution key (the smallest identifier of its group, domain.casework.matching);
    returns the mentions."""
    decisions = list(InstitutionDecision.select()) if decisions is None else decisions
    # A group depends on a mention's name key and phone alone: match each pair once (a city's 200,000 mentions
    # name a few thousand institutions), and give a mention without either its own anchor.
    pairs = {(m.key, m.phone) for m in found if m.key or m.phone}
    keys = match_groups([(pair, pair[0], pair[1], None) for pair in pairs], decisions)
    for mention in found:
        mention.group = keys[(mention.key, mention.phone)] if mention.key or mention.phone else mention.anchor
    return found


def kept_groups_hold(as_of):
    """Whether the groups kept for today (domain.casework.mentions) are those of day D: no mention began or ended
    after D, so the mentions valid on D are today's (the district's merges and splits count as they are now, either
    way). Then matching as of D is reading the kept keys: the tables of the latest days cost no matching."""
    began, ended = KeptMention.select(fn.MAX(KeptMention.valid_from), fn.MAX(KeptMention.valid_to)).tuples().get()
    return all(day is None or _as_day(day) <= as_of for day in (began, ended))


def _as_day(value):
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value)[:10])


def matched(found, as_of):
    """The mentions of day D, each with its institution key: the kept key when the kept groups hold for D, else
    matched anew (`match`)."""
    return found if kept_groups_hold(as_of) else match(found)


def is_institution(group):
    """Whether a group key is an institution's (an identifier) rather than a single unidentified mention's."""
    return group[:2] in ("n:", "p:")


# --- groups of mentions: the problem list's institutions, and the cases -----------------------------------

KIND_OF_ANCHOR = {"t": "survey", "r": "report", "l": "lead"}
KIND_TITLES = {"survey": "排摸发现（未留机构名称）", "report": "群众举报（未留机构名称）", "lead": "线索（未留机构名称）"}
REFERRAL_OUTCOMES = (("penalised", "已查处"), ("to_police", "已移送公安"))


@dataclass
class Group:
    """The mentions of one institution, or the single mention of a report, lead or suspect training that names
    no identifiable institution, as of a day; with the referrals of its case by then (domain.casework.referrals)."""

    key: str
    mentions: list
    streets: list  # street names
    communities: list  # 居委 names
    referrals: list = field(default_factory=list)

    @property
    def is_institution(self):
        return is_institution(self.key)

    @property
    def kind(self):
        return "institution" if self.is_institution else KIND_OF_ANCHOR[self.key[0]]

    @property
    def anchors(self):
        """What its case rows are anchored on: its identifiers, or its one mention's own anchor."""
        return self.identifiers if self.is_institution else [self.key]

    @property
    def names(self):
        return sorted({m.name.strip() for m in self.mentions if m.name.strip()})

    @property
    def name(self):
        named = Counter(m.name.strip() for m in self.mentions if m.name.strip())
        if named:
            return min(named, key=lambda n: (-named[n], n))
        if self.phones:
            return f"{NO_NAME} 电话 {self.phones[0]}"
        if self.is_institution:
            # A case whose mentions have all gone (its record corrected, its report unfounded) keeps its anchor's
            # name or phone: it is still a case, with its referrals (a 500 Schemathesis found).
            kind, _, value = self.key.partition(":")
            return value if kind == "n" else f"{NO_NAME} 电话 {value}"
        return KIND_TITLES[self.kind]

    @property
    def phones(self):
        return sorted({m.phone for m in self.mentions if m.phone})

    @property
    def identifiers(self):
        return sorted({i for m in self.mentions for i in m.identifiers})

    @property
    def suspect(self):
        """Suspect when any mention is; an institution only named without approval is 待核实 (design section 5)."""
        return any(m.suspect for m in self.mentions)

    @property
    def nature_code(self):
        """机构性质 as the surveys and leads recorded it (the most said, other than 不清楚)."""
        said = Counter(m.nature for m in self.mentions if m.nature and m.nature != "unknown")
        return min(said, key=lambda n: (-said[n], n)) if said else "unknown"

    @property
    def nature(self):
        return codes.INSTITUTION_NATURES.get(self.nature_code, "不清楚")

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
        """Fees of its trainings and leads, the amounts bought at its trainings and the amounts its reports name."""
        return sum(m.amount_fen + sum(amount for _, _, amount in m.products) for m in self.mentions)

    @property
    def sources(self):
        return [label for kind, label in SOURCES.items() if any(m.kind == kind for m in self.mentions)]

    @property
    def departments(self):
        """移交部门: the departments its case was referred to."""
        return sorted({r.department_name for r in self.referrals})

    @property
    def status(self):
        """处置情况: the referrals' outcome, else how far its reports got, else waiting to be checked."""
        if self.referrals:
            statuses = {r.status for r in self.referrals}
            for code, label in REFERRAL_OUTCOMES:
                if code in statuses:
                    return label
            if statuses & {"referred", "accepted", "investigating"}:
                return "已移交，处置中"
            return "不属实" if "unfounded" in statuses else "已退回，待重新移交"
        statuses = {m.status for m in self.mentions if m.kind == "report"}
        for status, label in (("confirmed", "已核实"), ("checking", "核查中")):
            if status in statuses:
                return label
        return "待核查" if self.suspect else "待核实"


def _in_place(place):
    """The kept mentions in a street or a district (an Org)."""
    return (KeptMention.street if place.kind == "street" else KeptMention.district) == place.code


def linked_mentions(as_of, place):
    """The light mentions valid on D that decide the institutions of a street or a district: its own, and every
    mention linked to them by a shared name or phone or a merge, and so on (an institution seen in two districts
    is one). The groups of its mentions matched over these alone are those of matching the whole deployment, and a
    city's district reads thousands of mentions, not hundreds of thousands."""
    if place.kind == "district" and not Org.select().where((Org.kind == "district") & (Org.code != place.code)).exists():
        return mentions(as_of, with_products=False)  # the deployment's only district: all of them
    found = {m.kept: m for m in mentions(as_of, with_products=False, where=_in_place(place))}
    partners = {}
    for decision in InstitutionDecision.select().where(InstitutionDecision.kind == "merge"):
        partners.setdefault(decision.key_a, set()).add(decision.key_b)
        partners.setdefault(decision.key_b, set()).add(decision.key_a)
    seen, new = set(), list(found.values())
    while new:
        wanted = {i for m in new for i in m.identifiers} - seen
        wanted |= {p for i in wanted for p in partners.get(i, ())} - seen
        seen |= wanted
        new = []
        for prefix, column in (("n:", KeptMention.name_key), ("p:", KeptMention.phone)):
            values = sorted(i[2:] for i in wanted if i.startswith(prefix))
            for start in range(0, len(values), 500):
                linked = column.in_(values[start:start + 500]) & ~_in_place(place)  # the place's own are read
                new += [m for m in mentions(as_of, with_products=False, where=linked) if m.kept not in found]
        for mention in new:
            found[mention.kept] = mention
    return list(found.values())


def groups(as_of, place=None, with_products=True):
    """Every group of mentions up to day D (institutions and single unidentified mentions) with the referrals
    of its case by D. For a street or a district (an Org), only groups with mentions in it, described by those
    alone; matching itself is across the whole deployment (one institution seen in two districts is one)."""
    if place is None:
        found = matched(mentions(as_of, with_products), as_of)
        linked = found
    else:
        linked = matched(linked_mentions(as_of, place), as_of)
        if with_products:
            group_of_kept = {m.kept: m.group for m in linked}
            found = mentions(as_of, where=_in_place(place))
            for mention in found:
                mention.group = group_of_kept[mention.kept]
        else:
            found = [m for m in linked if (m.street if place.kind == "street" else m.district) == place.code]
    by_group = {}
    for mention in found:
        by_group.setdefault(mention.group, []).append(mention)
    if with_products:  # to be shown: in order, with their places' names
        orgs = {o.code: o for o in Org.select().where(Org.kind.in_(("street", "community")))}
        result = {key: Group(key=key, mentions=sorted(group, key=lambda m: (m.kind, str(m.at), m.id)),
                             streets=sorted({orgs[m.street].name for m in group if m.street in orgs}),
                             communities=sorted({orgs[m.community].name for m in group if m.community in orgs}))
                  for key, group in by_group.items()}
    else:  # to be counted (the tables)
        result = {key: Group(key=key, mentions=group, streets=[], communities=[]) for key, group in by_group.items()}
    states = referrals.states(as_of)
    anchors = {state.anchor for state in states}
    group_of = {}  # the group of each case anchor: an identifier of one of its mentions, or a mention's own
    own_kinds = {anchor[0] for anchor in anchors if anchor[:2] not in ("n:", "p:")}  # t, r or l: a mention's own
    # Membership by the bare name key and phone: no identifier strings built for each of a city's mentions.
    name_anchors = {anchor[2:] for anchor in anchors if anchor[:2] == "n:"}
    phone_anchors = {anchor[2:] for anchor in anchors if anchor[:2] == "p:"}
    for mention in linked:
        if mention.key and mention.key in name_anchors:
            group_of[f"n:{mention.key}"] = mention.group
        if mention.phone and mention.phone in phone_anchors:
            group_of[f"p:{mention.phone}"] = mention.group
        if mention.kind[0] in own_kinds and mention.anchor in anchors:
            group_of[mention.anchor] = mention.group
    for state in states:
        found_group = result.get(group_of.get(state.anchor))
        if found_group is not None:
            found_group.referrals.append(state)
    return list(result.values())


def _grouped(found, as_of, full_places=None):
    """Groups of already-keyed mentions, with the street and 居委 names of each (`full_places`: {group key: (street
    codes, 居委 codes)} of all its mentions, when `found` holds only some) and the referrals of its case by D."""
    orgs = {o.code: o for o in Org.select().where(Org.kind.in_(("street", "community")))}
    by_group = {}
    for mention in found:
        by_group.setdefault(mention.group, []).append(mention)
    result = {}
    for key, group in by_group.items():
        streets, communities = (full_places or {}).get(key) or ({m.street for m in group}, {m.community for m in group})
        result[key] = Group(key=key, mentions=sorted(group, key=lambda m: (m.kind, str(m.at), m.id)),
                            streets=sorted({orgs[s].name for s in streets if s in orgs}),
                            communities=sorted({orgs[c].name for c in communities if c in orgs}))
    anchors = {a: key for key, group in result.items() for a in group.anchors}
    for state in referrals.states(as_of, anchors=list(anchors)):
        found_group = result.get(anchors.get(state.anchor))
        if found_group is not None:
            found_group.referrals.append(state)
    return list(result.values())


def current_groups(where=None, today=None):
    """Today's groups of the current mentions `where` says (an expression over models.Mention; all when None), from
    the group keys kept as mentions come and go (domain.casework.mentions): no matching on a read. Each group holds
    only those mentions, but names the streets and 居委 of all of its own."""
    today = today or today_local()
    found = mentions(today, current=True, where=where)
    keys = sorted({m.group for m in found})
    places = {}
    for start in range(0, len(keys), 500):
        for key, street, community in (KeptMention.select(KeptMention.group_key, KeptMention.street,
                                                          KeptMention.community)
                                       .where(KeptMention.valid_to.is_null()
                                              & KeptMention.group_key.in_(keys[start:start + 500])).tuples()):
            streets, communities = places.setdefault(key, (set(), set()))
            streets.add(street)
            communities.add(community)
    return _grouped(found, today, places)


def _anchor_clause(anchors):
    names = [a[2:] for a in anchors if a.startswith("n:")]
    phones = [a[2:] for a in anchors if a.startswith("p:")]
    clause = SQL("1 = 0")
    if names:
        clause |= KeptMention.name_key.in_(names)
    if phones:
        clause |= KeptMention.phone.in_(phones)
    for anchor in anchors:
        kind, _, rest = anchor.partition(":")
        if kind in KIND_OF_ANCHOR:
            source, _, position = rest.partition(".")
            kind = {"t": "training", "r": "report", "l": "lead"}[kind]
            clause |= ((KeptMention.kind == kind) & (KeptMention.source == int(source))
                       & (KeptMention.position == int(position or 0)))
    return clause


def anchors_seen(anchors, where):
    """Those of `anchors` that a current mention `where` says (an expression over models.Mention) holds."""
    if not anchors:
        return set()
    found = set()
    for kind, source, position, name_key, phone in (
            KeptMention.select(KeptMention.kind, KeptMention.source, KeptMention.position, KeptMention.name_key,
                               KeptMention.phone)
            .where(KeptMention.valid_to.is_null() & where & _anchor_clause(anchors)).tuples()):
        found |= {f"n:{name_key}", f"p:{phone}",
                  f"t:{source}.{position}" if kind == "training" else f"{kind[0]}:{source}"}
    return found & set(anchors)


def group_keys_of(anchors):
    """The keys of today's groups holding any of `anchors` (identifiers "n:…"/"p:…", or a mention's own anchor)."""
    return {key for (key,) in KeptMention.select(KeptMention.group_key).distinct()
            .where(KeptMention.valid_to.is_null() & _anchor_clause(anchors)).tuples()}


def problem_list(as_of, place=None):
    """The problem list (问题清单) up to D: its suspect institutions, biggest first, then those only named
    without approval (待核实). For a street or district (an Org), its institutions as its own mentions describe
    them."""
    found = [g for g in groups(as_of, place) if g.is_institution]
    found.sort(key=_sort_key)
    return found


def _sort_key(group):
    return (not group.suspect, -group.units, -len(group.mentions), -group.amount_fen, group.key)


def problem_page(as_of, place=None, query="", page=1, size=50):
    """(the institutions of page `page`, its number, how many in all) of the problem list up to D, in its order,
    narrowed to those a name or phone of which holds `query`. Matched and ordered from the kept mentions alone (their
    keys, places, units and amounts); only the page's institutions are read whole."""
    if place is None:
        light = matched(mentions(as_of, with_products=False), as_of)
    else:
        light = [m for m in matched(linked_mentions(as_of, place), as_of)
                 if (m.street if place.kind == "street" else m.district) == place.code]
    by_group = {}
    for mention in light:
        by_group.setdefault(mention.group, []).append(mention)
    found = [Group(key=key, mentions=group, streets=[], communities=[]) for key, group in by_group.items()
             if is_institution(key)]
    wanted_key, wanted_phone = institution_key(query), phone_digits(query)
    if query:
        found = [g for g in found if any((wanted_key and wanted_key in m.key) or (wanted_phone and wanted_phone in m.phone)
                                         for m in g.mentions)]
    found.sort(key=_sort_key)
    page = page if (page - 1) * size < len(found) else 1
    shown = found[(page - 1) * size:page * size]
    kept = [m.kept for g in shown for m in g.mentions]
    group_of = {m.kept: g.key for g in shown for m in g.mentions}
    whole = [m for start in range(0, len(kept), 500)
             for m in mentions(as_of, where=KeptMention.id.in_(kept[start:start + 500]))]
    for mention in whole:
        mention.group = group_of[mention.kept]
    order = {g.key: index for index, g in enumerate(shown)}
    return sorted(_grouped(whole, as_of), key=lambda g: order[g.key]), page, len(found)


def find_institution(as_of, key, place=None):
    return next((i for i in problem_list(as_of, place) if i.key == key), None)


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
            kept_mentions.decisions_changed(key_a, key_b)
            audit(user, kind, decision, f"{key_a} {key_b}")
    return decision


def undo(user, decision_id):
    decision = InstitutionDecision.get_or_none(InstitutionDecision.id == decision_id)
    if decision is None:
        return False
    with db.atomic():
        audit(user, "undo_" + decision.kind, decision, f"{decision.key_a} {decision.key_b}")
        decision.delete_instance()
        kept_mentions.decisions_changed(decision.key_a, decision.key_b)
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

