"""What 附件2 and 附件3 entries (and submissions) share: checking the figures a person or a script enters,
and storing an entry exactly once by its `client_uuid` (reliability.md: the same body again returns the
stored entry; another body under the same `client_uuid` is a conflict, never an overwrite)."""
from peewee import IntegrityError

from domain.common.fields import RecordErrors, parse_date
from domain.survey.record import record_fingerprint
from models import db


class Conflict(Exception):
    """This client_uuid is stored with another body."""

    def __init__(self, stored):
        super().__init__("client_uuid already stored with a different body")
        self.stored = stored


class NotYours(Exception):
    """This client_uuid is stored by another street or department (its entry is not shown)."""


def parse_day(value, path, errors, label, today):
    """A required day, not after today."""
    return parse_date(value, path, errors, label, today, required=True)


def new_errors():
    return RecordErrors()


def store_once(model, values, create, mine):
    """Store the entry `values` (cleaned, with its client_uuid) once: returns (entry, created).

    `create(fingerprint)` makes the row inside a transaction. Raises Conflict when the client_uuid is stored
    with another body, NotYours when it is stored by someone outside the caller's scope (`mine(entry)` false).
    Two simultaneous sends meet at the unique index and the loser returns the winner's row.
    """
    fingerprint = record_fingerprint(values)
    stored = model.get_or_none(model.client_uuid == values["client_uuid"])
    if stored is None:
        try:
            with db.atomic():
                return create(fingerprint), True
        except IntegrityError:
            stored = model.get(model.client_uuid == values["client_uuid"])
    if not mine(stored):
        raise NotYours()
    if stored.body_hash != fingerprint:
        raise Conflict(stored)
    return stored, False
