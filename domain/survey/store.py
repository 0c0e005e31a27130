"""Storing survey records exactly once, correcting them, and reading them back in the API's shape.

Idempotency (reliability.md): `client_uuid` has a unique index; the same record sent again returns the
stored one; the same `client_uuid` with another body is a conflict; two simultaneous sends meet at the
unique index and the loser returns the winner's record. Corrections work the same way with their own
`correction_uuid` (a SurveyCorrection row): a correction sent again is applied once.
"""
import uuid

from peewee import IntegrityError

from domain.common.clock import now_local
from domain.common.fields import UUID_SCHEMA, Context, Field, Shape
from domain.common.money import from_fen, to_fen
from domain.common.normalise import address_key, institution_key, phone_digits
from domain.org.permissions import (
    can_see_community, community_codes, community_in_scope, records_for_own_community,
)
from domain.casework import mentions
from domain.supervision import quality
from domain.survey import flags as red_flags, unit_state
from domain.survey.latest import latest_record_of
from domain.survey.record import SURVEY_RECORD, parse_record, record_fingerprint
from models import (
    ApprovedInstitution, BuiltOnce, Org, Purchase, Survey, SurveyCorrection, Training, Unit, audit, db, is_sqlite,
)


class ScopeError(Exception):
    """The record names a 居委 the user may not record for (or that does not exist)."""

    def __init__(self, field, message):
        super().__init__(message)
        self.errors = {field: message}


class Conflict(Exception):
    def __init__(self, survey):
        super().__init__("client_uuid (or correction_uuid) already stored with a different body")
        self.survey = survey


TRAINING_SITE_UNLINKED = "这条记录有多条培训，请选择这件产品是在哪条培训上买的"


def link_training_site_purchases(record, errors):
    """A purchase 培训现场 (channel `training`) that names no training was bought at a training of this record:
    with exactly one training it is that one (so the sale flags it, design section 5); with several, the
    worker is asked which, at the purchase's field. Changes `record` in place."""
    trainings = record["trainings"]
    for index, purchase in enumerate(record["purchases"]):
        if purchase.get("channel") != "training" or purchase.get("training") is not None:
            continue
        if len(trainings) == 1:
            purchase["training"] = 0
        elif len(trainings) > 1:
            errors.add(f"purchases.{index}.training", TRAINING_SITE_UNLINKED)


def clean_record(body):
    """(record, errors) for a record body from a device or a form: parse_record, then the rules that need the
    whole record (a purchase at the training site belongs to a training)."""
    record, errors = parse_record(body)
    if record is not None:
        link_training_site_purchases(record, errors)
    return record, errors


def clean_correction(body):
    """(record, correction_uuid, errors) for a correction sent to the API: the record plus `correction_id`."""
    record, errors = clean_record(body)
    extra = CORRECTION.read_fields(body if isinstance(body, dict) else {}, "", errors, Context(now_local()))
    return record, extra["correction_id"], errors


def parse_correction_uuid(value, errors):
    """The correction's own UUID (made on the device or by the edit form), or None with an error."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        errors.add("correction_id", "缺少或无效的更正编号（correction_id 应为 UUID）")
        return None


class CorrectionId(Field):
    required = True

    def read(self, value, path, errors, context, required):
        return parse_correction_uuid(value, errors)

    def schema(self):
        return UUID_SCHEMA


# A correction (PUT /api/v1/surveys/<id>): the whole record as corrected, with the stored record's own
# client_uuid, and the correction's own id.
CORRECTION = Shape("SurveyCorrectionInput", {
    "correction_id": CorrectionId(description="made on the device for this correction: applied once"),
}, extends=SURVEY_RECORD, description="the record as corrected, with the stored record's own client_uuid")


def is_approved_name(name):
    key = institution_key(name)
    return bool(key) and ApprovedInstitution.current().where(ApprovedInstitution.name_key == key).exists()


def approved_among(names):
    """The approved-list keys of those of `names` that are on the list today (one query; none for no names)."""
    keys = {key for key in map(institution_key, names) if key}
    if not keys:
        return set()
    return {key for (key,) in ApprovedInstitution.current().select(ApprovedInstitution.name_key)
            .where(ApprovedInstitution.name_key.in_(keys)).tuples()}


def record_flags(record, is_approved=None):
    """[flags of each training] for a cleaned record. The approved list is asked once for the whole record
    unless `is_approved(name)` is given."""
    if is_approved is None:
        approved = approved_among(t["institution"] for t in record["trainings"])

        def is_approved(name):
            return institution_key(name) in approved
    return [red_flags.training_flags(t, record["purchases"], i, is_approved)
            for i, t in enumerate(record["trainings"])]


def community_for(user, code):
    """The 居委 a record names, if the user may record for it; else ScopeError."""
    if records_for_own_community(user, code):
        return Org(code=code, kind="community")  # known without a query: asked on every tap
    community = Org.get_or_none((Org.code == code) & (Org.kind == "community"))
    if community is None:
        raise ScopeError("community", f"没有这个居委代码：{code}")
    if not community_in_scope(user, community):
        raise ScopeError("community", "这个居委不在您负责的范围内")
    return community


def _unit_at(community, key):
    return Unit.select().where((Unit.community == community) & (Unit.address_key == key)).limit(1)


# Asked on every record: built once (models.BuiltOnce).
_UNIT_AT = BuiltOnce(_unit_at, "\x00community", "\x00address")
_UNIT_AT_LOCKED = BuiltOnce(lambda community, key: _unit_at(community, key).for_update(), "\x00community", "\x00address")


def find_unit(community, unit, for_update=False):
    """The unit at this address of the 居委, or None when nobody laid it out yet; `for_update`: locked until the
    transaction ends (PostgreSQL; domain.survey.unit_state.lock)."""
    query = _UNIT_AT_LOCKED if for_update else _UNIT_AT
    found = query.rows(Unit, getattr(community, "code", community), address_key(unit["address"]))
    return found[0] if found else None


def add_unit(community, unit):
    """Add the unit at this address of the 居委: (unit, True); or (unit, False) for the one a simultaneous record
    just added (on PostgreSQL, locked)."""
    key = address_key(unit["address"])
    if not is_sqlite():
        # One statement, not a savepoint around an insert: a record that lays out a unit is a round trip shorter.
        # A simultaneous insert of the same address makes this one wait, then insert nothing.
        fields = dict(community=community, address=unit["address"], address_key=key, type=unit["type"],
                      name=unit["name"] or "", created_at=now_local())
        inserted = list(Unit.insert(**fields).on_conflict_ignore().returning(Unit.id).tuples().execute())
        if inserted:
            return Unit(id=inserted[0][0], position=0, building=None, **fields), True
        return find_unit(community, unit, for_update=True), False
    try:
        with db.atomic():
            return Unit.create(community=community, address=unit["address"], address_key=key,
                               type=unit["type"], name=unit["name"] or ""), True
    except IntegrityError:  # added by a simultaneous record for the same address
        return Unit.get((Unit.community == community) & (Unit.address_key == key)), False


def find_or_add_unit(community, unit, timelines):
    """The unit at this address of the 居委, added if nobody laid it out yet; told to `timelines`
    (domain.survey.unit_state.replayed)."""
    found, created = find_unit(community, unit), False
    if found is None:
        found, created = add_unit(community, unit)
    if created:
        timelines.created(found)
    else:
        timelines.existing(found)
    return found


def _write_details(survey, record, flags_per_training):
    """The record's trainings and purchases. They stay on `survey.details`, so that answering with the record
    just stored needs no query (survey_as_dict)."""
    trainings = []
    for position, (item, flags) in enumerate(zip(record["trainings"], flags_per_training)):
        trainings.append(Training.create(
            survey=survey, position=position, institution=item["institution"],
            institution_key=institution_key(item["institution"]),
            institution_phone=item["institution_phone"], phone_digits=phone_digits(item["institution_phone"]),
            trainer_identity=item["trainer_identity"], mode=item["mode"], date=item["date"],
            fee_fen=to_fen(item["fee"]), content=item["content"], products_pitched=item["products_pitched"],
            engineering_solicited=item["engineering_solicited"], flags=" ".join(flags),
            institution_nature=item.get("institution_nature", "unknown"),
            pitched_products=" ".join(item.get("pitched_products", [])),
            suspect=red_flags.is_suspect(flags)))
    purchases = [Purchase.create(
        survey=survey, position=position, product=item["product"], quantity=item["quantity"],
        amount_fen=to_fen(item["amount"]), channel=item["channel"],
        training=trainings[item["training"]] if item["training"] is not None else None,
        ccc_mark=item["ccc_mark"], id_label=item["id_label"], sample_available=item["sample_available"])
        for position, item in enumerate(record["purchases"])]
    survey.details = (trainings, purchases)


def _survey_fields(record, community, unit, flags_per_training):
    return dict(unit=unit, community=community, visited_at=record["visited_at"], outcome=record["outcome"],
                unit_type=record["unit"]["type"], unit_name=record["unit"]["name"] or "", note=record["note"],
                trained=bool(record["trainings"]), suspect=any(map(red_flags.is_suspect, flags_per_training)))


def store_record(user, record):
    """Store a cleaned record once. Returns (survey, created); raises Conflict or ScopeError.

    Everything that only reads (the 居委, the unit, the approved list) is asked before the write transaction, so
    that on SQLite the one writer's lock is held for the writes alone. A record sent again is found by the unique
    index of its client_uuid, not by a look-up first: nearly every record is new, and a look-up would be one more
    round trip for each of them."""
    fingerprint = record_fingerprint(record)
    try:
        community = community_for(user, record["community"])
    except ScopeError:
        existing = _stored(record["client_uuid"])
        if existing is None:
            raise
    else:
        flags_per_training = record_flags(record)
        unit = find_unit(community, record["unit"]) if is_sqlite() else None  # SQLite: read before the write lock
        try:
            with db.atomic():
                unit, unit_is_new = _locked_unit(community, record["unit"], unit)
                survey = Survey.create(client_uuid=record["client_uuid"], surveyor=user, body_hash=fingerprint,
                                       **_survey_fields(record, community, unit, flags_per_training))
                _write_details(survey, record, flags_per_training)
                if unit_state.record_added(unit, survey, unit_is_new):
                    mentions.units_changed([unit.id], new=unit_is_new)
                quality.record_stored(survey)
                _refresh_unit(unit, survey)
                audit(user, "create", survey)
            return survey, True
        except IntegrityError:
            # Stored before (sent again), or by a simultaneous send that won: answer with the stored record.
            existing = _stored(record["client_uuid"])
            if existing is None:
                raise
    if not can_see_community(user, existing.community_id):
        raise ScopeError("client_uuid", "这条记录已由其他居委保存")
    if existing.body_hash != fingerprint and not _corrected_to(existing, fingerprint):
        raise Conflict(existing)
    return existing, False


def _locked_unit(community, unit, found=None):
    """(the record's unit, whether the record lays it out), the unit locked until the transaction ends
    (domain.survey.unit_state.lock). PostgreSQL: the look-up takes the lock, a new unit is locked by its insert.
    SQLite: `found` was looked up before the transaction, which holds the one write lock already."""
    if not is_sqlite():
        found = find_unit(community, unit, for_update=True)
    return (found, False) if found else add_unit(community, unit)


def _stored(client_uuid):
    """The record stored under this client_uuid, or None."""
    return Survey.get_or_none(Survey.client_uuid == client_uuid)


def _corrected_to(survey, fingerprint):
    """Whether `survey` was corrected to exactly this record: sending that record again is no conflict."""
    return SurveyCorrection.select().where((SurveyCorrection.survey == survey)
                                           & (SurveyCorrection.body_hash == fingerprint)).exists()


def correct_record(user, survey, record, correction_uuid=None):
    """An explicit correction of a stored record (the only way a stored record changes), audited.

    Returns (survey, applied). The correction is applied once per `correction_uuid` (a new one when None):
    the same correction sent again changes nothing and returns the stored record; the same `correction_uuid`
    with another record or for another survey raises Conflict. Raises ScopeError when the record is not
    this survey's (its client_uuid) or names a 居委 outside the user's scope.
    """
    if record["client_uuid"] != survey.client_uuid:
        raise ScopeError("client_uuid", "记录编号与要更正的记录不符，请刷新后重试")
    community = community_for(user, record["community"])
    fingerprint = record_fingerprint(record)
    correction_uuid = correction_uuid or str(uuid.uuid4())
    if _already_applied(survey, correction_uuid, fingerprint):
        return survey, False
    flags_per_training = record_flags(record)
    try:
        with db.atomic():
            # First the correction's own row: its unique index lets one of two simultaneous sends through.
            SurveyCorrection.create(correction_uuid=correction_uuid, survey=survey, user=user,
                                    body_hash=fingerprint)
            visited_before = survey.visited_at
            with unit_state.replayed(survey.unit_id) as timelines:  # the record may move to another unit
                unit = find_or_add_unit(community, record["unit"], timelines)
                Purchase.delete().where(Purchase.survey == survey).execute()
                Training.delete().where(Training.survey == survey).execute()
                for name, value in _survey_fields(record, community, unit, flags_per_training).items():
                    setattr(survey, name, value)
                survey.updated_at = now_local()
                survey.save()
                _write_details(survey, record, flags_per_training)
            mentions.units_changed(timelines.ids)
            quality.record_corrected(survey, visited_before)
            _refresh_unit(unit, survey)
            audit(user, "correct", survey, detail=correction_uuid)
    except IntegrityError:
        if not _already_applied(survey, correction_uuid, fingerprint):
            raise
        return Survey.get_by_id(survey.id), False
    return survey, True


def _already_applied(survey, correction_uuid, fingerprint):
    done = SurveyCorrection.get_or_none(SurveyCorrection.correction_uuid == correction_uuid)
    if done is None:
        return False
    if done.survey_id != survey.id or done.body_hash != fingerprint:
        raise Conflict(survey)
    return True


def corrected_surveys(survey_ids):
    """The ids among `survey_ids` that were corrected at least once (one query)."""
    return {row.survey_id for row in SurveyCorrection.select(SurveyCorrection.survey)
            .where(SurveyCorrection.survey.in_(survey_ids)).distinct()}


def _refresh_unit(unit, survey):
    """Keep the unit's type and name as its latest record says (most records agree with it already)."""
    if (unit.type, unit.name) == (survey.unit_type, survey.unit_name or unit.name):
        return
    latest = latest_record_of(unit, "id").first()
    if latest and latest.id == survey.id:
        unit.type = survey.unit_type
        unit.name = survey.unit_name or unit.name
        unit.save(only=[Unit.type, Unit.name])


def survey_as_dict(survey):
    """The stored record in the API's shape (design section 8), with flags and `suspect`."""
    trainings, purchases = getattr(survey, "details", None) or (
        list(survey.trainings.order_by(Training.position)), list(survey.purchases.order_by(Purchase.position)))
    index_of = {t.id: t.position for t in trainings}
    return {
        "id": survey.id,
        "client_uuid": survey.client_uuid,
        "community": survey.community_id,
        "unit": {"id": survey.unit_id, "type": survey.unit_type, "address": survey.unit.address,
                 "name": survey.unit_name or None},
        "visited_at": survey.visited_at.isoformat() + "+08:00",
        "outcome": survey.outcome,
        "trainings": [{
            "institution": t.institution, "institution_phone": t.institution_phone,
            "trainer_identity": t.trainer_identity, "mode": t.mode,
            "date": t.date.isoformat() if t.date else None, "fee": str(from_fen(t.fee_fen)),
            "content": t.content, "products_pitched": t.products_pitched,
            "engineering_solicited": t.engineering_solicited,
            "institution_nature": t.institution_nature, "pitched_products": t.pitched_products.split(),
            "flags": t.flags.split(), "suspect": t.suspect,
        } for t in trainings],
        "purchases": [{
            "product": p.product, "quantity": p.quantity, "amount": str(from_fen(p.amount_fen)),
            "channel": p.channel, "training": index_of.get(p.training_id),
            "ccc_mark": p.ccc_mark, "id_label": p.id_label, "sample_available": p.sample_available,
        } for p in purchases],
        "note": survey.note or None,
        "suspect": survey.suspect,
        "surveyor": survey.surveyor_id,
        "created_at": survey.created_at.isoformat() + "+08:00",
        "updated_at": survey.updated_at.isoformat() + "+08:00",
    }


def surveys_in_scope(user):
    """The survey records this user may see (404 for any other)."""
    return Survey.select().where(Survey.community.in_(community_codes(user)))
