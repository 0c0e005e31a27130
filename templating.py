"""What every template may use, and the one place that decides page or htmx fragment."""
from dataclasses import dataclass
from decimal import Decimal

from flask import get_flashed_messages, render_template, request

from domain.casework import cases as case_words
from domain.common import codes
from domain.org.permissions import can, picks_community, sees_whole_city, sees_whole_district
from domain.public import privacy
from domain.survey import flags as red_flags
from models import LEAD_SOURCES, REFERRAL_STATUSES, ROLE_LABELS


def is_htmx():
    # A history restore asks for the whole page even though htmx sends the request.
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def is_background():
    """A page the service worker fetches on its own to keep for offline use (static/sw.js sends the header)."""
    return request.headers.get("X-Paimo-Background") == "1"


def page_messages():
    """The flashed messages this page shows. A page fetched in the background neither shows nor consumes them:
    the worker precaching pages just after a form was sent would take the message the person is waiting for."""
    return [] if is_background() else get_flashed_messages()


def render(page, fragment, status=200, **context):
    """Render the whole `page`, or only `fragment` when htmx asks; the page includes the fragment."""
    return render_template(fragment if is_htmx() else page, **context), status


@dataclass
class Page:
    """One page of a long list (a phone never gets the whole of it): its items, its number from 1, how many pages."""

    items: list
    number: int
    pages: int
    total: int


PAGE_SIZE = 50


def page_number():
    """The page ?page= asks for: a number from 1 (1 when missing or no number)."""
    requested = request.args.get("page", "")
    return int(requested) if requested.isascii() and requested.isdigit() and 0 < int(requested) < 10**6 else 1


def paginate(items, size=PAGE_SIZE):
    """The page of `items` asked for by ?page= (the first when it is not one of them)."""
    pages = max(1, -(-len(items) // size))
    number = page_number()
    number = number if number <= pages else 1
    return Page(items[(number - 1) * size:number * size], number, pages, len(items))


def paginate_query(query, size=PAGE_SIZE):
    """The page of a peewee query asked for by ?page= (the first when it is not one of them): one count, one page."""
    total = query.count()
    pages = max(1, -(-total // size))
    number = page_number()
    number = number if number <= pages else 1
    return Page(list(query.paginate(number, size)), number, pages, total)


def yuan(fen):
    """Integer fen as a yuan amount with two decimals, e.g. 29800 → 298.00."""
    return f"{(Decimal(fen or 0) / 100):,.2f}"


def register_template_helpers(app):
    app.jinja_env.globals.update(
        UNIT_TYPES=codes.UNIT_TYPES, OUTCOMES=codes.OUTCOMES, MODES=codes.MODES,
        TRAINER_IDENTITIES=codes.TRAINER_IDENTITIES, PRODUCTS=codes.PRODUCTS, CHANNELS=codes.CHANNELS,
        PRODUCT_CHECKS=codes.PRODUCT_CHECKS, FLAGS=red_flags.FLAGS, describe_flags=red_flags.describe,
        ROLE_LABELS=ROLE_LABELS, can=can, sees_whole_district=sees_whole_district, sees_whole_city=sees_whole_city,
        picks_community=picks_community, CASE_STATUSES=case_words.STATUSES, CASE_KINDS=case_words.KINDS,
        CASE_ACTIONS=case_words.ACTIONS, REFERRAL_STATUSES=REFERRAL_STATUSES, LEAD_SOURCES=LEAD_SOURCES,
        INSTITUTION_NATURES=codes.INSTITUTION_NATURES, important_count=case_words.important_count,
        mask_contact=privacy.mask_contact, mask_address=privacy.mask_address, page_messages=page_messages,
    )
    app.jinja_env.filters["yuan"] = yuan
