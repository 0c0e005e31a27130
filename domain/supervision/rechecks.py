"""回访 back-checks (design section 12): a street draws, per 居委, a random sample of the units surveyed by a day, and
its staff record what each 回访 found: 一致, 不一致 (with what differs) or 未联系上.

The draw is reproducible: the candidates are the 居委's units whose latest record up to the end of day D is
已排摸 (domain.survey.latest), sorted by unit id, and the sample is `random.Random("居委|D|seed").sample(...)`, so the
same 居委, day and seed draw the same units whatever order the database returns them in. The size is the configured
per cent of the candidates, rounded up, and at least the configured minimum (capped at the candidates). A draw is
kept (one Recheck row per sampled record); drawing again with the same 居委, day and seed returns the kept sample.

What a 回访 found is a fact about a record: when a record is in several samples (drawn as of other days or with
other seeds), recording it updates each of its rows, a new draw takes over what was already found, and the
figures count each record once. A 不一致 raises a `recheck` quality signal on the record's author
(domain.supervision.quality) in the same transaction; recording the 回访 again as something else withdraws it.

A 居委 (surveyor) never sees a sample: only street and district users have 回访 scope
(domain.org.permissions.recheck_communities).
"""
import math
import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from peewee import JOIN, Case, Select, fn

from domain.common.clock import end_of_day, now_local
from domain.common.fields import CodeList, Code, Day, Field, Note, OrgCode, Shape, Text
from domain.org.permissions import recheck_communities
from domain.reporting.tabledef import percent
from domain.roster.lists import natural
from domain.supervision import quality
from domain.survey.latest import ranked_records
from domain.survey.record_text import purchase_text, training_text
from domain.survey.store import survey_as_dict
from models import Org, Purchase, QualitySignal, Recheck, Survey, Training, Unit, User, audit, db, is_sqlite

RESULTS = {"match": "一致", "mismatch": "不一致", "unreachable": "未联系上"}
DIFFERS = {"not_visited": "未曾走访", "training_differs": "培训情况不符", "purchase_differs": "购买情况不符"}
MAX_ID = 10**18 - 1  # ids have at most 18 digits (app.RecordId)
SEED_LENGTH = 32  # Recheck.seed
NOTE_LENGTH = 500


# --- the draw ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleRule:
    """How large a 居委's sample is (configuration: RECHECK_SAMPLE_PERCENT, RECHECK_SAMPLE_MINIMUM)."""

    percent: Decimal = Decimal("5")
    minimum: int = 3


def rule_from(config):
    """The SampleRule of the app's configuration (a mapping); the design's 5% and 3 where it says nothing."""
    share, minimum = config.get("RECHECK_SAMPLE_PERCENT"), config.get("RECHECK_SAMPLE_MINIMUM")
    try:
        share = SampleRule.percent if share in (None, "") else Decimal(str(share).strip())
        minimum = SampleRule.minimum if minimum in (None, "") else int(minimum)
    except (InvalidOperation, ValueError):
        raise ValueError(f"RECHECK_SAMPLE_PERCENT 与 RECHECK_SAMPLE_MINIMUM 应为数字：{share!r}、{minimum!r}") from None
    if not share.is_finite() or share < 0 or share > 100 or minimum < 0:
        raise ValueError("RECHECK_SAMPLE_PERCENT 应在 0 到 100 之间，RECHECK_SAMPLE_MINIMUM 不能为负数")
    return SampleRule(share, minimum)


def rule_words(rule):
    """The rule in words: 5%，至少 3 户."""
    share = format(rule.percent, "f")
    share = share.rstrip("0").rstrip(".") if "." in share else share
    return f"{share}%，至少 {rule.minimum} 户"


def sample_size(candidates, rule=SampleRule()):
    """max(minimum, ⌈percent% of the candidates⌉), capped at the candidates (exact arithmetic: 5% of 60 is 3)."""
    wanted = math.ceil(Fraction(rule.percent) * candidates / 100)
    return min(candidates, max(rule.minimum, wanted))


def draw_units(unit_ids, community, as_of, seed, rule=SampleRule()):
    """The sampled unit ids, in the order drawn: the same for the same 居委 code, day, seed and candidates, in
    whatever order the candidates come."""
    ordered = sorted(set(unit_ids))
    generator = random.Random(f"{community}|{as_of.isoformat()}|{seed}")
    return generator.sample(ordered, sample_size(len(ordered), rule))


def surveyed_units(community, as_of):
    """{unit id: its latest record's id} of the 居委's units whose latest record up to the end of day `as_of` is
    已排摸 (`surveyed`): the units a sample is drawn from."""
    latest = ranked_records(as_of, [community])
    query = (Select(from_list=[latest], columns=[latest.c.unit_id, latest.c.id])
             .where((latest.c.rn == 1) & (latest.c.outcome == "surveyed"))
             .with_cte(latest).bind(db))
    return dict(query.tuples())


@dataclass
class Draw:
    """A kept sample: its rows (Recheck, each with .survey, .survey.unit and .survey.surveyor loaded, by address),
    how many units it was drawn from (None for a sample drawn before, whose candidates were not kept), and
    whether this call drew it."""

    community: Org
    as_of: object
    seed: str
    rows: list
    candidates: object = None
    created: bool = False


def draw(user, community, as_of, seed="", rule=SampleRule()):
    """Draw the 居委's sample as of `as_of` with `seed`, or return the one drawn before (nothing new is created).
    A record already checked in another sample carries what its 回访 found into this one."""
    rows = sample_rows(community.code, as_of, seed)
    if rows:
        return Draw(community, as_of, seed, rows)
    surveys = surveyed_units(community.code, as_of)
    chosen = [surveys[unit] for unit in draw_units(surveys, community.code, as_of, seed, rule)]
    if not chosen:
        return Draw(community, as_of, seed, [], candidates=len(surveys))
    with db.atomic():
        found = _found_before(community.code, chosen)
        now = now_local()
        Recheck.insert_many([
            {"community": community.code, "as_of": as_of, "seed": seed, "survey": survey_id, "drawn_by": user,
             "drawn_at": now, **found.get(survey_id, {})} for survey_id in chosen
        ]).on_conflict_ignore().execute()  # a simultaneous identical draw inserted them first: the same sample
        audit(user, "draw", community,
              f"回访抽样 截至{as_of.isoformat()} 种子“{seed}”：{len(surveys)} 个已排摸单位中抽取 {len(chosen)} 个")
    return Draw(community, as_of, seed, sample_rows(community.code, as_of, seed), candidates=len(surveys),
                created=True)


def _found_before(community, survey_ids):
    """{survey id: the Recheck fields of what its 回访 found} for records of `survey_ids` already checked in
    another sample of the 居委."""
    rows = (Recheck.select().where((Recheck.community == community) & Recheck.survey.in_(survey_ids)
                                   & Recheck.result.is_null(False))
            .order_by(Recheck.checked_at.desc(), Recheck.id.desc()))
    found = {}
    for row in rows:
        found.setdefault(row.survey_id, {
            "result": row.result, "differs": row.differs, "note": row.note, "checked_by": row.checked_by_id,
            "checked_at": row.checked_at, "signal": row.signal_id})
    return found


def _with_records():
    """Recheck rows with their record, its unit and its author (None when the account is gone) in one query."""
    return (Recheck.select(Recheck, Survey, Unit, User)
            .join(Survey, on=(Recheck.survey == Survey.id))
            .join(Unit, on=(Survey.unit == Unit.id))
            .join_from(Survey, User, JOIN.LEFT_OUTER, on=(Survey.surveyor == User.id)))


def sample_rows(community, as_of, seed):
    """The kept sample of a 居委, day and seed: Recheck rows with their record, unit and surveyor, by address."""
    rows = _with_records().where((Recheck.community == community) & (Recheck.as_of == as_of) & (Recheck.seed == seed))
    return sorted(rows, key=lambda row: (natural(row.survey.unit.address), row.survey.unit_id))


def sampled_record(user, survey_id, as_of="", seed=""):
    """The Recheck row of a record in a sample `user` may see, with its record and details: the row of the sample
    drawn as of `as_of` (YYYY-MM-DD) with `seed` when the record is in it, else of its first sample; None when it
    is in none."""
    rows = list(_with_records().where((Recheck.survey == survey_id)
                                      & Recheck.community.in_(recheck_communities(user)))
                .order_by(Recheck.drawn_at, Recheck.id))
    if not rows:
        return None
    chosen = next((row for row in rows if row.as_of.isoformat() == as_of and row.seed == seed), rows[0])
    return with_details([chosen])[0]


def draws(community):
    """The 居委's kept samples, newest draw first: [{"as_of", "seed", "sampled", "done", "drawn_at"}]."""
    query = (Recheck.select(Recheck.as_of, Recheck.seed, fn.COUNT(Recheck.id).alias("sampled"),
                            fn.COUNT(Recheck.result).alias("done"), fn.MAX(Recheck.drawn_at).alias("drawn_at"))
             .where(Recheck.community == community)
             .group_by(Recheck.as_of, Recheck.seed)
             .order_by(fn.MAX(Recheck.drawn_at).desc(), Recheck.as_of.desc(), Recheck.seed))
    return list(query.dicts())


# --- recording a 回访 ----------------------------------------------------------------------------------------------


class NotSampled(Exception):
    """The record is in no sample the user may see (or does not exist): 404."""


def rows_of_record(user, survey_id, for_update=False):
    """The Recheck rows of a record in the samples `user` may see, oldest draw first."""
    query = (Recheck.select().where((Recheck.survey == survey_id)
                                    & Recheck.community.in_(recheck_communities(user)))
             .order_by(Recheck.drawn_at, Recheck.id))
    if for_update and not is_sqlite():  # SQLite: the transaction holds the one write lock already
        query = query.for_update()
    return list(query)


def describe(result, differs, note):
    """What a 回访 found, in words (the audit log)."""
    text = RESULTS[result]
    if differs:
        text += "（" + "、".join(DIFFERS[code] for code in differs) + "）"
    return text + (f"：{note}" if note else "")


def record(user, survey_id, values):
    """Record what the 回访 of a sampled record found (`values`: result, differs, note, as parse_recheck reads them)
    on each of its rows; returns (its first row, whether anything changed). The same answer again changes nothing.
    A 不一致 raises the `recheck` signal on the record's author (once, however often it is recorded); a 不一致
    recorded again as something else withdraws it. NotSampled when the record is in no sample of the user's."""
    result, note = values["result"], values["note"]
    differs = " ".join(values["differs"]) if result == "mismatch" else ""
    with db.atomic():
        rows = rows_of_record(user, survey_id, for_update=True)
        if not rows:
            raise NotSampled(survey_id)
        changed = [row for row in rows if (row.result, row.differs, row.note) != (result, differs, note)]
        if not changed:
            return rows[0], False
        raised = next((row.signal_id for row in rows if row.signal_id), None)
        now = now_local()
        for row in rows:
            row.result, row.differs, row.note, row.checked_by, row.checked_at = result, differs, note, user, now
        if result == "mismatch" and raised is None:
            signal = quality.raise_recheck(rows[0], user)
            raised = signal.id if signal is not None else None
        _save(rows, raised if result == "mismatch" else None)
        if result != "mismatch" and raised is not None:  # no longer 不一致: the signal goes (kept if reviewed)
            signal = QualitySignal.get_or_none(QualitySignal.id == raised)
            if signal is not None:
                quality.withdraw_recheck(signal, user)
        words = describe(result, values["differs"] if result == "mismatch" else [], note)
        for row in changed:
            audit(user, "recheck", row, words[:1000])
    return rows[0], True


def _save(rows, signal_id):
    for row in rows:
        row.signal = signal_id
        row.save()


# --- figures per 居委 ----------------------------------------------------------------------------------------------

FIGURE_KEYS = ("sampled", "done", "match", "mismatch", "unreachable")


def figures(communities, as_of=None):
    """{居委 code: {"sampled", "done", "match", "mismatch", "unreachable", "rate"}} for the 居委 of `communities` (codes
    or a query of them) that have a sample: records sampled, 回访 done and what they found, each record counted once
    however many samples hold it. With `as_of`, only samples drawn as of that day or before and 回访 recorded by its
    end. `rate` is 一致率 = 一致 / (一致 + 不一致) as a percentage with one decimal (None without either)."""
    done = Recheck.result.is_null(False)
    if as_of is not None:
        done &= Recheck.checked_at < end_of_day(as_of)
    counts = [_distinct_records(done).alias("done")] + [
        _distinct_records(done & (Recheck.result == result)).alias(result) for result in RESULTS]
    query = (Recheck.select(Recheck.community, fn.COUNT(fn.DISTINCT(Recheck.survey)).alias("sampled"), *counts)
             .where(Recheck.community.in_(communities)).group_by(Recheck.community))
    if as_of is not None:
        query = query.where(Recheck.as_of <= as_of)
    return {row["community"]: with_rate({key: int(row[key] or 0) for key in FIGURE_KEYS}) for row in query.dicts()}


def _distinct_records(condition):
    return fn.COUNT(fn.DISTINCT(Case(None, [(condition, Recheck.survey)], None)))


def with_rate(counts):
    return {**counts, "rate": percent(counts["match"], counts["match"] + counts["mismatch"])}


def summed(many):
    """The figures of several 居委 together (a street's), 一致率 from the sums."""
    return with_rate({key: sum(f[key] for f in many) for key in FIGURE_KEYS})


EMPTY = with_rate(dict.fromkeys(FIGURE_KEYS, 0))


def figures_by_street(street_codes, as_of=None):
    """[{"code", "name", figures…, "communities": [{"code", "name", figures…}]}] of the streets of `street_codes`
    and each of their 居委 (those without a sample too), by code."""
    streets = list(Org.select(Org.code, Org.name).where((Org.kind == "street") & Org.code.in_(street_codes))
                   .order_by(Org.code))
    communities = list(Org.select(Org.code, Org.name, Org.parent).where(
        (Org.kind == "community") & Org.parent.in_([s.code for s in streets])).order_by(Org.code))
    found = figures([c.code for c in communities], as_of) if communities else {}
    rows = []
    for street in streets:
        mine = [{"code": c.code, "name": c.name, **found.get(c.code, EMPTY)}
                for c in communities if c.parent_id == street.code]
        rows.append({"code": street.code, "name": street.name, **summed(mine), "communities": mine})
    return rows


def rate_text(rate):
    """一致率 on screen: "80.0%", or "—" when no 回访 found 一致 or 不一致."""
    return "—" if rate is None else f"{rate}%"


# --- what the checker compares against ------------------------------------------------------------------------------


def with_details(rows):
    """Load the trainings and purchases of the rows' records in two queries (for survey_as_dict)."""
    ids = [row.survey_id for row in rows]
    trainings, purchases = {}, {}
    for training in Training.select().where(Training.survey.in_(ids)).order_by(Training.position):
        trainings.setdefault(training.survey_id, []).append(training)
    for purchase in Purchase.select().where(Purchase.survey.in_(ids)).order_by(Purchase.position):
        purchases.setdefault(purchase.survey_id, []).append(purchase)
    for row in rows:
        row.survey.details = (trainings.get(row.survey_id, []), purchases.get(row.survey_id, []))
    return rows


def answer_lines(survey_record):
    """[(label, text)] of what the record says about trainings and purchases (a record in the API's shape), for
    the checker to read out and compare."""
    lines = [(f"第{i + 1}条培训", training_text(t)) for i, t in enumerate(survey_record["trainings"])] \
        or [("培训", "没有参加过消防培训")]
    lines += [(f"第{i + 1}项购买", purchase_text(p)) for i, p in enumerate(survey_record["purchases"])] \
        or [("购买", "没有购买消防产品")]
    if survey_record.get("note"):
        lines.append(("备注", survey_record["note"]))
    return lines


def recheck_as_dict(row):
    """What a 回访 found so far, in the API's shape."""
    return {"result": row.result, "differs": row.differs.split(), "note": row.note,
            "checked_at": row.checked_at.isoformat() + "+08:00" if row.checked_at else None,
            "signal": row.signal_id}


def sample_as_dict(found):
    """A Draw in the API's shape: the sample's survey records, each with its 回访 so far."""
    return {"community": found.community.code, "as_of": found.as_of.isoformat(), "seed": found.seed,
            "candidates": found.candidates,
            "records": [{**survey_as_dict(row.survey), "recheck": recheck_as_dict(row)}
                        for row in with_details(found.rows)]}


def answer_as_dict(row):
    """A recorded 回访 in the API's shape."""
    return {"record": row.survey_id, "community": row.community_id, **recheck_as_dict(row)}


# --- what a street sends ---------------------------------------------------------------------------------------------


class RecordNumber(Field):
    """A survey record's id: a whole number from 1, as JSON or as the text a form sends."""

    required = True

    def read(self, value, path, errors, context, required):
        number = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
            number = int(value)
        if value in (None, ""):
            errors.add(path, f"请指明要回访的{self.label}")
        elif number is None or not 1 <= number <= MAX_ID:
            errors.add(path, f"{self.label}应为记录编号（正整数）")
            number = None
        return number

    def schema(self):
        return {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID},
                          {"type": "string", "pattern": "^0*[1-9][0-9]*$", "maxLength": 18}],
                "description": "the id of a sampled survey record"}


def _mismatch_says_what_differs(values, errors, context):
    if values["result"] == "mismatch" and not values["differs"]:
        errors.add("differs", "选择“不一致”时，请勾选哪里不符：未曾走访、培训情况不符或购买情况不符")


DIFFERS_LIST = {"type": "array", "items": {"type": "string", "enum": list(DIFFERS)}}

DRAW = Shape("RecheckDrawInput", {
    "community": OrgCode("居委", required=True, missing="请选择要抽样的居委"),
    "as_of": Day("抽样截至日期", description="the units surveyed by the end of this day (Asia/Shanghai); not after "
                                          "today; without it, today"),
    "seed": Text("随机种子", SEED_LENGTH, description="any text (empty by default): the same 居委, day and seed "
                                                    "draw the same sample"),
}, description="Draw a 居委's 回访 sample (or get the one drawn before with the same 居委, day and seed)")

RECHECK = Shape("RecheckInput", {
    "record": RecordNumber("记录"),
    "result": Code(RESULTS, "回访结果"),
    "differs": CodeList(DIFFERS, "不符之处", description="what differs; needed with `mismatch`, ignored otherwise"),
    "note": Note("备注", NOTE_LENGTH),
}, checks=(_mismatch_says_what_differs,), schema_extra={
    "if": {"properties": {"result": {"const": "mismatch"}}, "required": ["result"]},
    "then": {"required": ["differs"], "properties": {"differs": {"anyOf": [
        {**DIFFERS_LIST, "minItems": 1}, {"type": "string", "enum": list(DIFFERS)}]}}},
}, description="What the 回访 of a sampled record found")


def parse_draw(body, now=None):
    """(values, errors) of a draw: community, as_of (None: today), seed."""
    return DRAW.read(body, now=now)


def parse_recheck(body, now=None):
    """(values, errors) of a 回访: record, result, differs (a list of codes), note."""
    return RECHECK.read(body, now=now)
