"""附件2 区消防产品监督抽查统计表 (design section 6): the spot checks departments enter, the samples 消防救援
collects from survey purchases, and the table's definition.

A department enters, per day, channel and product type, the batches it checked, how many failed, the cases
it opened (立案查处) and the fines (罚没款), for the channels it is responsible for. The 培训兜售 row also
counts survey samples: a product bought from a fake trainer (at a training, or from a door-to-door seller)
and marked 可送检 in a unit's latest record is on 消防救援's collection list; each sample collected and tested
is one batch, failed or not by its result, on the day of its result.
"""
import datetime

from peewee import JOIN, Case, fn

from domain.casework import routing
from domain.common import codes
from domain.common.fields import ClientUuid, Code, Count, Day, Money, OrgCode, Shape, parse_code
from domain.common.money import from_fen, to_fen
from domain.org.permissions import SAMPLE_DEPARTMENT
from domain.reporting.entries import Conflict, NotYours, new_errors, parse_day, store_once
from domain.reporting.tabledef import MONEY, PERCENT, Column, Derived, Row, Source, Table, departments_in, percent
from domain.survey.latest import latest_record_of
from models import SAMPLE_RESULTS, Department, Org, Purchase, Sample, SpotCheck, Survey, Training, Unit, User, audit, db

__all__ = ["Conflict", "NotYours", "TABLE2"]

SAMPLE_CHANNELS = ("training", "door_to_door")  # purchase channels of a fake trainer's sale


def channels_of(department):
    """The 附件2 channels a department enters (by its plan code), in the glossary's order."""
    return {code: label for code, label in codes.SPOT_CHECK_CHANNELS.items()
            if codes.CHANNEL_DEPARTMENTS[code] == department.plan}


# --- entering spot checks -------------------------------------------------------------------------------------


def no_more_failed_than_checked(values, errors, context):
    if values["failed"] > values["batches"] and "batches" not in errors:
        errors.add("failed", "不合格批次不能多于抽查批次")


def some_figure(values, errors, context):
    if not errors and not any(values[k] for k in ("batches", "cases_opened", "fine")):
        errors.add("batches", "请至少填写一项数字")


SPOT_CHECK = Shape("SpotCheckInput", {
    "client_uuid": ClientUuid(),
    "department": OrgCode(required=True, missing="请填写部门代码",
                          description="the caller's department, responsible for the channel"),
    "channel": Code(codes.SPOT_CHECK_CHANNELS, "抽查渠道"),
    "product": Code(codes.PRODUCTS, "产品类别"),
    "date": Day("抽查日期", required=True),
    "batches": Count("抽查批次", required=True),
    "failed": Count("不合格批次"),
    "cases_opened": Count("立案查处"),
    "fine": Money(),
}, checks=[no_more_failed_than_checked, some_figure])


def parse_spot_check(body, today=None, require_uuid=True):
    """(values, errors) from a spot-check body (design section 8); errors map each field to a Chinese message."""
    now = datetime.datetime.combine(today, datetime.time()) if today else None
    return SPOT_CHECK.read(body, now=now, optional=() if require_uuid else ("client_uuid",))


def check_department(user, values, errors):
    """The entry must be the user's own department's, in a channel that department is responsible for."""
    if values["department"] and values["department"] != user.department_id:
        errors.add("department", "只能填报本部门的抽查情况")
    elif values["channel"] and codes.CHANNEL_DEPARTMENTS[values["channel"]] != user.department.plan:
        responsible = Department.get_or_none((Department.plan == codes.CHANNEL_DEPARTMENTS[values["channel"]])
                                             & (Department.district == user.department.district_id))
        errors.add("channel", f"{codes.SPOT_CHECK_CHANNELS[values['channel']]}由"
                              f"{responsible.name if responsible else '其他部门'}填报")
    return errors


def store_spot_check(user, values):
    """Store a checked entry once: (entry, created); raises Conflict or NotYours (domain.reporting.entries)."""
    def create(fingerprint):
        entry = SpotCheck.create(
            client_uuid=values["client_uuid"], department=values["department"], channel=values["channel"],
            product=values["product"], date=values["date"], batches=values["batches"], failed=values["failed"],
            cases_opened=values["cases_opened"], fine_fen=to_fen(values["fine"]), body_hash=fingerprint,
            entered_by=user)
        audit(user, "create", entry)
        return entry

    return store_once(SpotCheck, values, create, mine=lambda entry: entry.department_id == user.department_id)


def spot_check_as_dict(entry):
    return {"id": entry.id, "client_uuid": entry.client_uuid, "department": entry.department_id,
            "channel": entry.channel, "product": entry.product, "date": entry.date.isoformat(),
            "batches": entry.batches, "failed": entry.failed, "cases_opened": entry.cases_opened,
            "fine": str(from_fen(entry.fine_fen)), "created_at": entry.created_at.isoformat() + "+08:00"}


def entries_of(user, limit=50):
    """The department's latest entries, newest first."""
    return list(SpotCheck.select().where(SpotCheck.department == user.department_id)
                .order_by(SpotCheck.date.desc(), SpotCheck.id.desc()).limit(limit))


def entry_of(user, entry_id):
    return SpotCheck.get_or_none((SpotCheck.id == entry_id) & (SpotCheck.department == user.department_id))


def delete_entry(user, entry):
    with db.atomic():
        audit(user, "delete", entry, f"{entry.date} {entry.channel} {entry.product} 批次 {entry.batches}")
        entry.delete_instance()


# --- survey samples -----------------------------------------------------------------------------------------


def _sample_purchases():
    """Purchases marked 可送检, bought from a fake trainer, in units' latest records (any day)."""
    return (Purchase.sample_available == True) & (  # noqa: E712
        Purchase.channel.in_(SAMPLE_CHANNELS) | Purchase.training.is_null(False)) & (
        Survey.id == latest_record_of(Survey.unit, "id")) & (Survey.outcome == "surveyed")


def collection_list():
    """消防救援's collection list: where (居委, address), what (product, quantity, from whom), who to call (the
    worker who recorded it), and the sample taken so far, if any. Samples already taken stay on the list
    even when a later record no longer names the purchase."""
    surveyor = User.alias()
    pending = list(Purchase
                   .select(Purchase, Survey, Unit, Org, Training, surveyor, Sample)
                   .join(Survey).join(Unit).switch(Survey).join(Org, on=(Survey.community == Org.code))
                   .switch(Purchase).join(Training, JOIN.LEFT_OUTER)
                   .switch(Survey).join(surveyor, JOIN.LEFT_OUTER, on=(Survey.surveyor == surveyor.id))
                   .switch(Purchase).join(Sample, JOIN.LEFT_OUTER,
                                          on=((Sample.survey == Purchase.survey)
                                              & (Sample.position == Purchase.position)))
                   .where(_sample_purchases())
                   .order_by(Sample.id.is_null(False), Survey.visited_at, Purchase.id))
    return pending


def samples_taken(limit=200):
    return list(Sample.select(Sample, Org).join(Org, on=(Sample.community == Org.code))
                .order_by(Sample.result.is_null(False), Sample.collected_on.desc(), Sample.id.desc()).limit(limit))


class SampleError(ValueError):
    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def collect_sample(user, survey_id, position, collected_on):
    """Mark the purchase at `position` of record `survey_id` as collected. Returns (sample, created)."""
    purchase = (Purchase.select(Purchase, Survey).join(Survey)
                .where((Purchase.survey == survey_id) & (Purchase.position == position) & _sample_purchases())
                .first())
    if purchase is None:
        raise SampleError({"purchase": "这件产品不在待取样清单上"})
    existing = Sample.get_or_none((Sample.survey == survey_id) & (Sample.position == position))
    if existing is not None:
        return existing, False
    with db.atomic():
        sample = Sample.create(survey=survey_id, position=position, community=purchase.survey.community_id,
                               product=purchase.product, collected_on=collected_on, collected_by=user)
        audit(user, "collect", sample, f"{purchase.product} 记录 {survey_id} 第{position + 1}项")
    return sample, True


def record_result(user, sample, result, tested_on):
    """A sample's test result (合格/不合格) on a day; recording it again corrects it."""
    if tested_on < sample.collected_on:
        raise SampleError({"tested_on": "检测日期不能早于取样日期"})
    with db.atomic():
        sample.result, sample.tested_on, sample.recorded_by = result, tested_on, user
        sample.save(only=[Sample.result, Sample.tested_on, Sample.recorded_by])
        audit(user, "result", sample, f"{result} {tested_on}")
    return sample


def parse_result(form, today):
    errors = new_errors()
    result = parse_code(form.get("result"), SAMPLE_RESULTS, "result", errors, "检测结果")
    tested_on = parse_day(form.get("tested_on"), "tested_on", errors, "检测日期", today)
    return result, tested_on, errors


# --- the table ----------------------------------------------------------------------------------------------


class SpotCheckSum(Source):
    """A sum of one field of the spot checks entered up to D, per department, channel and product."""

    def __init__(self, field):
        self.field = field

    def collect(self, ctx, column):
        totals = ctx.once(SpotCheckSum, lambda: _spot_check_sums(ctx))
        return [(key, None, int(values[self.field] or 0)) for key, values in totals.items()]


def _spot_check_sums(ctx):
    fields = {s.field for c in ctx.columns_with(SpotCheckSum) for s in c.sources if isinstance(s, SpotCheckSum)}
    query = (SpotCheck.select(SpotCheck.department, SpotCheck.channel, SpotCheck.product,
                              *[fn.SUM(getattr(SpotCheck, f)).alias(f) for f in sorted(fields)])
             .where(SpotCheck.date <= ctx.as_of)
             .group_by(SpotCheck.department, SpotCheck.channel, SpotCheck.product))
    if ctx.scope.kind == "department":
        query = query.where(SpotCheck.department == ctx.scope.code)
    return {(r["department"], r["channel"], r["product"]): r for r in query.dicts()}


class SamplesTested(Source):
    """Survey samples with a result by D, as batches of the 培训兜售 row (only the failed ones when `failed`)."""

    def __init__(self, failed=False):
        self.failed = failed

    def collect(self, ctx, column):
        counts = ctx.once(SamplesTested, lambda: _sample_counts(ctx.as_of))
        return [((department, "training", product), None, failed if self.failed else tested)
                for (department, product), (tested, failed) in counts.items()]


def _sample_counts(as_of):
    """{(the collecting department of the sample's district, product): (tested, failed)} by the end of D."""
    street = Org.alias()
    collector = {district: code for code, district in Department.select(Department.code, Department.district)
                 .where(Department.plan == SAMPLE_DEPARTMENT).tuples()}
    query = (Sample.select(street.parent.alias("district"), Sample.product, fn.COUNT(Sample.id).alias("tested"),
                           fn.SUM(Case(None, [(Sample.result == "failed", 1)], 0)).alias("failed"))
             .join(Org, on=(Sample.community == Org.code)).join(street, on=(Org.parent == street.code))
             .where(Sample.result.is_null(False) & (Sample.tested_on <= as_of))
             .group_by(street.parent, Sample.product))
    return {(collector.get(r["district"], SAMPLE_DEPARTMENT), r["product"]): (int(r["tested"]), int(r["failed"] or 0))
            for r in query.dicts()}


def _department_name(code):
    department = Department.get_or_none(Department.code == code)
    return department.name if department else routing.DEPARTMENT_NAMES.get(code, code)


def _rows(scope):
    """A row per channel and product, in the department responsible for the channel; a city's rows name the plan's
    department (区市场监管局) and add up every district's."""
    if scope.kind == "city":
        departments = {plan: Department(code=plan, name=name) for plan, name in routing.DEPARTMENT_NAMES.items()}
    else:
        departments = {d.plan: d for d in departments_in(scope)}
    rows = []
    for channel, channel_label in codes.SPOT_CHECK_CHANNELS.items():
        department = departments.get(codes.CHANNEL_DEPARTMENTS[channel])
        if department is None:
            continue
        for product, product_label in codes.PRODUCTS.items():
            rows.append(Row(key=(department.code, channel, product),
                            labels=(department.name, channel_label, product_label),
                            identity={"department": department.code, "channel": channel, "product": product},
                            kind="department"))
    return rows


TABLE2 = Table(
    number=2, name="消防产品监督抽查统计表", filled_by=("department",), label_headers=("部门", "渠道", "产品"),
    rows=_rows, sheet="附件2", label_widths=(16, 13, 24),
    city_key=lambda key, lifts: (lifts.plan.get(key[0], key[0]), key[1], key[2]),
    json_label=lambda row: "·".join((
        _department_name(row["department"]), codes.SPOT_CHECK_CHANNELS.get(row["channel"], row["channel"]),
        codes.PRODUCTS.get(row["product"], row["product"]))),
    columns=(
        Column("batches", "抽查批次", (SpotCheckSum("batches"), SamplesTested())),
        Column("failed", "不合格批次", (SpotCheckSum("failed"), SamplesTested(failed=True))),
        Column("failure_rate", "不合格率（%）", Derived(lambda f: percent(f["failed"], f["batches"])), type=PERCENT),
        Column("cases_opened", "立案查处", SpotCheckSum("cases_opened")),
        Column("fine", "罚没款（元）", SpotCheckSum("fine_fen"), type=MONEY, width=12),
    ),
)
