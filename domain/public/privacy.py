"""Residents' personal data shown only to those who need it (issue 11; ASVS 5 V14): a reporter's contact and a
home's room number are masked for everyone else, here, in one place, for pages and exports alike."""
import re

from models import AuditLog, Report, db

# A home's own part of an address: the room (室), flat (户, 房) at the end, e.g. "12号楼 301室".
_ROOM = re.compile(r"\d+\s*(室|户|房)\s*$")
_DIGITS = re.compile(r"\d")


def mask_address(address):
    """"长宁路1弄12号楼 301室" → "长宁路1弄12号楼 ***室": the building stays (it is where to go), the home does not.
    An address without a room (a shop, a company) is not a home and stays as it is."""
    return _ROOM.sub(lambda m: "***" + m.group(1), address or "")


def mask_contact(contact):
    """A reporter's contact with all but its first three and last two characters hidden: 139******78."""
    text = (contact or "").strip()
    if not text:
        return ""
    if len(text) <= 5:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]


def has_digits(text):
    return bool(_DIGITS.search(text or ""))


def purge_contacts(before):
    """Remove reporters' contacts from reports received before `before` (a datetime); returns how many.
    The reports themselves stay: they are evidence; only the way to reach a resident goes."""
    with db.atomic():
        count = (Report.update(contact="")
                 .where((Report.created_at < before) & (Report.contact != "")).execute())
        AuditLog.create(user=None, action="purge_contacts", object_type="report", object_id="",
                        detail=f"{count} 条，{before:%Y-%m-%d %H:%M} 前收到")
    return count
