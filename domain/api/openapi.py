"""The JSON API's contract as a document: OpenAPI 3.1 for /api/v1 (docs/api.md says the same in prose).

Written once, here, as data: `document()` is served at GET /api/v1/openapi.json. The codes come from the
glossary (domain.common.codes, design section 4) and the tables' row figures from their definitions
(domain.reporting.campaign_tables), so a code or a column added there is in the document at once. Tests keep it true:
tests/test_openapi.py fails when a route of the app is missing here (or named here and missing in the app),
and Schemathesis runs every operation against the live app with every check on (tests/test_api_schemathesis.py).

Request bodies describe what the API accepts, including the strings a form sends (the PWA's outbox posts the
survey form's fields as strings: "200", "true", ""). Responses describe exactly what it answers: objects list
every property and allow no other, so a property added to an answer must be added here too.
"""
import copy
from functools import lru_cache

from config import Config
from domain.casework.cases import DEPARTMENT, KINDS as CASE_KINDS, REFERRAL, STATUSES as CASE_STATUSES
from domain.casework.leads import LEAD, SOURCES as LEAD_SOURCES
from domain.casework.referrals import REFERRAL_STEP
from domain.common import codes
from domain.common.fields import DIGITS, UUID_SCHEMA as UUID, enum, labelled, schemas_of
from domain.reporting.actions import ACTION
from domain.reporting.campaign_tables import TABLES
from domain.reporting.spot_checks import SPOT_CHECK
from domain.reporting.submissions import SUBMISSION
from domain.reporting.tabledef import MONEY, PERCENT
from domain.roster.coverage import KEYS as COVERAGE_KEYS
from domain.roster.imports import FIELD_LABELS as ROSTER_FIELDS, ROSTER
from domain.supervision.orders import (
    DECISIONS as ORDER_DECISIONS, ORDER, ORDER_STEP, SIDES as ORDER_SIDES, STATUS_FILTERS as ORDER_FILTERS,
    STATUSES as ORDER_STATUSES, STEPS as ORDER_STEPS, SUBJECTS as ORDER_SUBJECTS,
)
from domain.supervision.quality import REVIEW
from domain.supervision.ranking import ASC, DESC, LEVELS as RANKING_LEVELS
from domain.supervision.rechecks import (
    DIFFERS as RECHECK_DIFFERS, DRAW as RECHECK_DRAW, RECHECK, RESULTS as RECHECK_RESULTS,
)
from domain.survey.flags import FLAGS
from domain.survey.record import SURVEY_RECORD
from domain.survey.store import CORRECTION
from models import MAIL_STATUSES, REFERRAL_STATUSES, ROLES, SIGNAL_KINDS, VERDICTS

# Every request body the API reads, each defined once beside its rules: the document describes what the code reads.
REQUEST_SHAPES = (SURVEY_RECORD, CORRECTION, REFERRAL, REFERRAL_STEP, LEAD, SPOT_CHECK, ACTION, SUBMISSION, ROSTER,
                  REVIEW, RECHECK_DRAW, RECHECK,
                  ORDER, ORDER_STEP)

JSON = "application/json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"

MAX_ID = 10**18 - 1  # ids have at most 18 digits (app.RecordId): a longer one is a 404
UUID_EXAMPLE = "2f1d6c1e-6b3a-4c55-9d7e-0d2b8f0c9a11"


# --- small builders -----------------------------------------------------------------------------------------


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties, required=(), closed=True, **extra):
    """An object schema. Answers are `closed` (every property listed, no other); request bodies are open, since
    the API ignores properties it does not know."""
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


def answer(properties):
    """An answer's object: every property is always there."""
    return obj(properties, required=properties)


def nullable(schema):
    return {"anyOf": [schema, {"type": "null"}]}


COUNT = {"type": "integer", "minimum": 0}
MONEY_OUT = {"type": "string", "pattern": f"^{DIGITS}+\\.{DIGITS}{{2}}$", "description": "yuan, two decimals"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time", "description": "with the offset +08:00"}
# Some answers give Shanghai wall-clock time without an offset (as docs/api.md shows them).
LOCAL_DATETIME = {"type": "string", "pattern": f"^{DIGITS}{{4}}-{DIGITS}{{2}}-{DIGITS}{{2}}T{DIGITS}{{2}}:{DIGITS}{{2}}"
                                                f":{DIGITS}{{2}}(\\.{DIGITS}{{1,6}})?$",
                  "description": "Asia/Shanghai time, without an offset"}
FLAG = enum(FLAGS, labelled({code: label for code, (label, _) in FLAGS.items()}))


# --- survey records (design section 8) -------------------------------------------------------------------


def survey_schemas():
    training = answer({
        "institution": {"type": "string"}, "institution_phone": {"type": "string"},
        "trainer_identity": enum(codes.TRAINER_IDENTITIES), "mode": enum(codes.MODES), "date": nullable(DATE),
        "fee": MONEY_OUT, "content": {"type": "string"}, "products_pitched": {"type": "boolean"},
        "engineering_solicited": {"type": "boolean"}, "institution_nature": enum(codes.INSTITUTION_NATURES),
        "pitched_products": {"type": "array", "items": enum(codes.PRODUCTS)},
        "flags": {"type": "array", "items": FLAG}, "suspect": {"type": "boolean"},
    })
    purchase = answer({
        "product": enum(codes.PRODUCTS), "quantity": {"type": "integer", "minimum": 1}, "amount": MONEY_OUT,
        "channel": enum(codes.CHANNELS), "training": {"type": ["integer", "null"], "minimum": 0},
        **{name: {"type": ["boolean", "null"]} for name in codes.PRODUCT_CHECKS},
    })
    record = answer({
        "id": {"type": "integer"}, "client_uuid": UUID, "community": {"type": "string"},
        "unit": answer({"id": {"type": "integer"}, "type": enum(codes.UNIT_TYPES), "address": {"type": "string"},
                        "name": {"type": ["string", "null"]}}),
        "visited_at": DATETIME, "outcome": enum(codes.OUTCOMES),
        "trainings": {"type": "array", "items": ref("Training")},
        "purchases": {"type": "array", "items": ref("Purchase")},
        "note": {"type": ["string", "null"]}, "suspect": {"type": "boolean"},
        "surveyor": {"type": ["integer", "null"]}, "created_at": DATETIME, "updated_at": DATETIME,
    })
    return {"Training": training, "Purchase": purchase, "SurveyRecord": record}


# --- cases, referrals and leads (design section 9) --------------------------------------------------------


def case_schemas():
    event = answer({"action": enum(REFERRAL_STATUSES), "at": LOCAL_DATETIME, "note": {"type": "string"}})
    referral = answer({
        "id": {"type": "integer"}, "department": DEPARTMENT, "lead": {"type": "boolean"},
        "status": enum(REFERRAL_STATUSES, labelled(REFERRAL_STATUSES)), "due": nullable(DATE),
        "referred_at": LOCAL_DATETIME, "case_opened": {"type": "boolean"}, "fine": MONEY_OUT,
        "history": {"type": "array", "items": ref("ReferralEvent")},
    })
    summary_properties = {
        "id": {"type": "integer"}, "kind": enum(CASE_KINDS, labelled(CASE_KINDS)), "title": {"type": "string"},
        "nature": enum(codes.INSTITUTION_NATURES), "flags": {"type": "array", "items": FLAG},
        "streets": {"type": "array", "items": {"type": "string"}, "description": "street names"},
        "communities": {"type": "array", "items": {"type": "string"}, "description": "居委 names"},
        "important": {"type": "boolean"}, "escalated": {"type": "boolean"},
        "status": enum(CASE_STATUSES, labelled(CASE_STATUSES)), "overdue": {"type": "boolean"},
        "published": {"type": "boolean"}, "referrals": {"type": "array", "items": ref("Referral")},
    }
    mention = answer({
        "kind": enum(("training", "report", "lead")), "id": {"type": "integer"}, "name": {"type": "string"},
        "phone": {"type": "string", "description": "digits only"}, "community": {"type": ["string", "null"]},
        "street": {"type": ["string", "null"]}, "place": {"type": ["string", "null"]},
        "at": nullable(LOCAL_DATETIME), "flags": {"type": "array", "items": FLAG}, "suspect": {"type": "boolean"},
        "ref": {"type": ["string", "null"], "description": "a report's number, a lead's source or the unit's name"},
    })
    proposal = answer({"department": DEPARTMENT, "lead": {"type": "boolean"}, "reason": {"type": "string"}})
    case = answer({**summary_properties, "mentions": {"type": "array", "items": ref("Mention")},
                   "proposed": {"type": "array", "items": ref("Proposal"),
                                "description": "the plan's departments, lead first (empty for who cannot refer)"}})
    lead = answer({
        "id": {"type": "integer"}, "client_uuid": UUID, "source": enum(LEAD_SOURCES),
        "community": {"type": ["string", "null"]}, "street": {"type": ["string", "null"]},
        "institution": {"type": "string"}, "institution_phone": {"type": "string"},
        "institution_nature": enum(codes.INSTITUTION_NATURES), "url": {"type": "string"},
        "description": {"type": "string"}, "mode": enum(codes.MODES),
        "trainer_identity": enum(codes.TRAINER_IDENTITIES),
        "fee": MONEY_OUT, "products_pitched": {"type": "boolean"}, "engineering_solicited": {"type": "boolean"},
        "pitched_products": {"type": "array", "items": enum(codes.PRODUCTS)},
        "flags": {"type": "array", "items": FLAG}, "suspect": {"type": "boolean"},
        "department": {"anyOf": [DEPARTMENT, {"type": "null"}], "description": "the department that logged it"},
        "created_at": DATETIME,
    })
    return {"ReferralEvent": event, "Referral": referral, "CaseSummary": answer(summary_properties),
            "Mention": mention, "Proposal": proposal, "Case": case, "Lead": lead}


# --- 附件1-3, their entries and submissions (design sections 6, 8 and 10) -----------------------------------

# The properties that say which row a table's row is (its figures follow, from the definition's columns).
ROW_IDENTITY = {
    1: {"code": {"type": "string"}, "name": {"type": "string"}},
    2: {"department": DEPARTMENT, "channel": enum(codes.SPOT_CHECK_CHANNELS), "product": enum(codes.PRODUCTS)},
    3: {"code": {"type": "string"}, "name": {"type": "string"}, "kind": enum(("street", "department"))},
}


def figure(column):
    if column.type == MONEY:
        return MONEY_OUT
    if column.type == PERCENT:
        return {"type": ["string", "null"], "pattern": f"^{DIGITS}+\\.{DIGITS}$",
                "description": "per cent, one decimal; null without a base"}
    return COUNT


def table_schemas():
    schemas = {}
    for number, definition in sorted(TABLES.items()):
        figures = {c.key: {**figure(c), "title": c.header} for c in definition.columns}
        schemas[f"Table{number}Row"] = answer({**ROW_IDENTITY[number], **figures})
        schemas[f"Table{number}Total"] = answer(copy.deepcopy(figures))
        schemas[f"Table{number}"] = answer({
            "table": {"const": number}, "as_of": DATE,
            "rows": {"type": "array", "items": ref(f"Table{number}Row")}, "total": ref(f"Table{number}Total"),
        }) | {"title": f"附件{number} {definition.name}"}
    schemas["SpotCheck"] = answer({
        "id": {"type": "integer"}, "client_uuid": UUID, "department": DEPARTMENT,
        "channel": enum(codes.SPOT_CHECK_CHANNELS), "product": enum(codes.PRODUCTS), "date": DATE,
        "batches": COUNT, "failed": COUNT, "cases_opened": COUNT, "fine": MONEY_OUT, "created_at": DATETIME,
    })
    schemas["Action"] = answer({
        "id": {"type": "integer"}, "client_uuid": UUID, "org": {"type": "string"}, "date": DATE,
        "inspectors": COUNT, "units_checked": COUNT, "publicity_events": COUNT, "created_at": DATETIME,
    })
    schemas["Submission"] = answer({
        "id": {"type": "integer"}, "org": {"type": "string"}, "org_name": {"type": "string"}, "as_of": DATE,
        "submitted_at": DATETIME, "submitted_by": {"type": "string"},
        "tables": answer({str(n): nullable(ref(f"Table{n}")) for n in sorted(TABLES)}),
    }) | {"description": "the frozen document, byte for byte as first answered"}
    schemas["SubmissionSummary"] = answer({
        "id": {"type": "integer"}, "org": {"type": "string"}, "org_name": {"type": "string"}, "as_of": DATE,
        "submitted_at": DATETIME, "mail_status": enum(MAIL_STATUSES, labelled(MAIL_STATUSES)),
    })
    schemas["SubmissionChanges"] = answer({
        "id": {"type": "integer"}, "previous": {"type": ["integer", "null"]},
        "changes": {"type": "array", "items": answer({
            "table": {"type": "integer", "enum": sorted(TABLES)}, "row": {"type": "string"},
            "column": {"type": "string"}, "key": {"type": "string"},
            "before": {"type": ["integer", "string", "null"]}, "after": {"type": ["integer", "string", "null"]},
        })},
    })
    return schemas


# --- errors ---------------------------------------------------------------------------------------------------


def roster_schemas():
    """The roster's answers (design sections 8 and 11)."""
    import_figures = {"added": COUNT, "unchanged": COUNT, "changed": COUNT, "retired": COUNT,
                      "errors": {"type": "array", "items": ref("RosterRowError")}}
    coverage = {key: {"type": "string", "pattern": "^[0-9]+\\.[0-9]$", "description": "a percentage"}
                if key == "coverage" else COUNT for key in COVERAGE_KEYS}
    return {
        "RosterRowError": answer({"row": {"type": "integer", "minimum": 1}, "field": enum(ROSTER_FIELDS),
                                  "message": {"type": "string"}}),
        "RosterImport": answer(import_figures),
        "RosterRefused": answer({"error": enum(("invalid",)), "message": {"type": "string"}, **import_figures}),
        "CoverageFigures": answer(coverage),
        "CoverageStreet": answer({"code": {"type": "string"}, "name": {"type": "string"}, **coverage,
                                  "communities": {"type": "array", "items": answer(
                                      {"code": {"type": "string"}, "name": {"type": "string"}, **coverage})}}),
        "NotVisited": answer({"community": {"type": "string"}, "name": {"type": "string"}, "as_of": DATE,
                              "units": {"type": "array", "items": answer({
                                  "building": {"type": "string"}, "address": {"type": "string"},
                                  "type": enum(codes.UNIT_TYPES), "name": {"type": "string"}})}}),
        "Coverage": answer({"as_of": DATE, "rows": {"type": "array", "items": ref("CoverageStreet")},
                            "total": ref("CoverageFigures")}),
    }


def supervision_schemas():
    """Supervision's answers and bodies (design sections 8 and 12)."""
    return {
        "QualitySignal": answer({
            "id": {"type": "integer"}, "kind": enum(SIGNAL_KINDS), "user": {"type": "integer"},
            "community": {"type": "string"}, "count": COUNT, "first": DATETIME, "last": DATETIME, "day": DATE,
            "records": {"type": "array", "items": {"type": "integer"}},
            "holds": {"type": "boolean", "description": "false: a correction undid it; kept because it was reviewed"},
            "review": nullable(answer({"verdict": enum(VERDICTS), "note": {"type": "string"}}))}),
        "QualitySignals": answer({"as_of": DATE, "signals": {"type": "array", "items": ref("QualitySignal")}}),
    }


def recheck_schemas():
    """回访's answers (design sections 8 and 12): a sample's survey records, each with what its 回访 found so far."""
    found = {"result": nullable(enum(RECHECK_RESULTS, labelled(RECHECK_RESULTS))),
             "differs": {"type": "array", "items": enum(RECHECK_DIFFERS, labelled(RECHECK_DIFFERS))},
             "note": {"type": "string"}, "checked_at": nullable(DATETIME),
             "signal": {"type": ["integer", "null"], "description": "the `recheck` quality signal a 不一致 raised"}}
    record = survey_schemas()["SurveyRecord"]
    record["properties"]["recheck"] = ref("RecheckFound")
    record["required"] = [*record["required"], "recheck"]
    return {"RecheckFound": answer(found), "SampledRecord": record,
            "Recheck": answer({"record": {"type": "integer"}, "community": {"type": "string"}, **found}),
            "RecheckSample": answer({
                "community": {"type": "string"}, "as_of": DATE, "seed": {"type": "string"},
                "candidates": {"type": ["integer", "null"], "minimum": 0,
                               "description": "the units surveyed by as_of it was drawn from (null: drawn before)"},
                "records": {"type": "array", "items": ref("SampledRecord")}})}


def order_schemas():
    """督办's answers (design sections 8 and 12): an order, and an order with its history."""
    party = {"code": {"type": "string"}, "name": {"type": "string"}}
    summary = {
        "id": {"type": "integer"}, "client_uuid": UUID, "from": answer(dict(party)),
        "to": answer({**party, "kind": enum(("district", "street", "community", "department"))}),
        "subject": answer({"kind": enum(ORDER_SUBJECTS, labelled(ORDER_SUBJECTS)),
                           "id": {"type": "string", "description": "a case's or signal's id, a 居委's code; "
                                                                   "empty for `other`"},
                           "label": {"type": "string", "description": "in words"}}),
        "request": {"type": "string"}, "due": DATE,
        "status": enum(ORDER_STATUSES, labelled(ORDER_STATUSES)),
        "overdue": {"type": "boolean", "description": "past its due date and not closed"},
        "response": {"type": "string", "description": "the recipient's latest 整改情况"},
        "created_at": DATETIME, "updated_at": DATETIME, "closed_at": nullable(DATETIME),
        "mail_status": enum(MAIL_STATUSES, labelled(MAIL_STATUSES)),
    }
    step = answer({"action": enum(ORDER_STEPS, labelled(ORDER_STEPS)), "at": DATETIME,
                   "by": {"type": "string", "description": "the org (and the user) that took the step"},
                   "note": {"type": "string"}})
    return {"OrderSummary": answer(summary), "OrderStep": step,
            "Order": answer({**copy.deepcopy(summary), "history": {"type": "array", "items": ref("OrderStep")}})}


def order_paths():
    """督办 (design sections 8 and 12)."""
    order = ("the order with its history", ref("Order"))
    order_id = path_id("order_id", "an order the caller's org issued or received")
    return {
        "/orders": {
            "post": operation(
                "createOrder", "督办: order a street or department (the district), a 居委 (a street) or a district "
                "(the city) about a subject, once per client_uuid", {
                    **responses("TooLarge", "Invalid", _200=("already stored with this body: the stored order",
                                                             ref("Order")),
                                _409=conflict("order", "Order", "this client_uuid is stored with another body")),
                    "201": {**json_body(ref("Order"), "issued"), "headers": {"Location": {
                        "schema": {"type": "string"}, "description": "GET /api/v1/orders/<id>"}}}},
                tag="supervision", write=True,
                body=("OrderInput", {"client_uuid": "3a1c5e2f-6b3a-4c55-9d7e-0d2b8f0c9a11", "to": "310105001",
                                     "subject": {"kind": "community", "id": "310105001001"},
                                     "request": "华阳一居委未走访单位较多，请组织补访", "due": "2023-04-07"})),
            "get": operation(
                "listOrders", "The orders the caller's org issued or received: overdue first, then by due date",
                responses("Invalid", _200=("the orders", answer({"orders": {"type": "array",
                                                                            "items": ref("OrderSummary")}}))),
                tag="supervision", parameters=[
                    query("status", {"type": "string", "enum": ["", *ORDER_FILTERS]},
                          labelled(ORDER_FILTERS) + " (`waiting`: open or returned)"),
                    query("overdue", SWITCH, "1: only overdue"),
                    query("side", {"type": "string", "enum": ["", *ORDER_SIDES]}, labelled(ORDER_SIDES))]),
        },
        "/orders/{order_id}": {
            "get": operation("getOrder", "An order with its history", responses(_200=order), tag="supervision",
                             parameters=[order_id]),
            "patch": operation(
                "workOrder", "The next step of an order: the recipient's `response` (整改情况), or the issuer's "
                "`status` (" + labelled(ORDER_DECISIONS) + ") with a `note` (required to return it); the same step "
                "sent again changes nothing", responses("TooLarge", "Invalid", _200=order), tag="supervision",
                write=True, parameters=[order_id],
                body=("OrderStepInput", {"status": "closed", "note": "整改到位，同意办结"})),
        },
    }


def ranking_schemas():
    """考核排名's answer (design sections 8 and 12): a row per district, street, 居委 or department, with the columns
    of its level (domain.supervision.ranking.LEVELS)."""
    schemas, rows, totals = {}, [], []
    for key, level in RANKING_LEVELS.items():
        figures = {c.key: {**figure(c), "title": c.header} for c in level.columns}
        if "median_days" in figures:
            figures["median_days"]["description"] = "days from a referral to the step that ended it, one decimal"
        name = f"Ranking{key.title()}"
        schemas[f"{name}Row"] = answer({"rank": {"type": "integer", "minimum": 1}, "code": {"type": "string"},
                                        "name": {"type": "string"}, **figures}) | {"title": level.label}
        schemas[f"{name}Total"] = answer(copy.deepcopy(figures))
        rows.append(ref(f"{name}Row"))
        totals.append(ref(f"{name}Total"))
    schemas["Ranking"] = answer({
        "as_of": DATE, "level": enum(RANKING_LEVELS, labelled({k: v.label for k, v in RANKING_LEVELS.items()})),
        "place": answer({"code": {"type": "string"}, "name": {"type": "string"},
                         "kind": enum(("city", "district", "street"))}),
        "order": {"type": "array", "description": "the ranking order, first key first",
                  "items": answer({"key": {"type": "string"}, "direction": enum((ASC, DESC))})},
        "deadlines_due": COUNT | {"description": "deadlines of the campaign due by as_of (per street or department)"},
        "rows": {"type": "array", "items": {"anyOf": rows}, "description": "in the ranking order"},
        "total": {"anyOf": totals}})
    return schemas


def ranking_paths():
    """考核排名 (design sections 8 and 12)."""
    return {"/ranking": {"get": operation(
        "getRanking", "考核排名 as of a day: the city's districts, a district's streets, 居委 or departments, a street's "
        "居委 (streets, the district, the city)", responses("Invalid", _200=("the rows, ranked", ref("Ranking"))),
        tag="supervision", parameters=[
            TABLE_QUERY[0],
            query("level", {"type": "string", "enum": ["", *RANKING_LEVELS]},
                  "the rows (default: the place's first): district (the city), street (the city, a district), "
                  "community (a district, a street), department (the city, a district); 404 for another"),
            query("district", {"type": "string"}, "the city only: one of its districts"),
            query("street", {"type": "string"}, "one of the caller's streets (404 for anyone else's)")])}}


def error(codes_, with_errors=False, **extra):
    properties = {"error": enum(codes_), "message": {"type": "string", "description": "in Chinese, for people"}}
    required = ["error", "message"]
    if with_errors:
        properties["errors"] = {"type": "object", "additionalProperties": {"type": "string"},
                                "description": "the path of each wrong field (dotted, list items by index): "
                                               "a message in Chinese"}
    for name, schema in extra.items():
        properties[name] = schema
        required.append(name)
    return obj(properties, required=required)


ERROR_SCHEMAS = {
    "BadRequest": error(("csrf", "invalid", "400"), with_errors=True),
    "Unauthorized": error(("unauthorized",)),
    "NotFound": error(("404",)),
    "TooLarge": error(("413",)),
    "Invalid": error(("invalid",), with_errors=True) | {"required": ["error", "message", "errors"]},
}

RESPONSES = {
    "BadRequest": ("400: a session's CSRF token missing or stale (`csrf`: fetch /api/v1/csrf and send again), "
                   "or text no database can store (a NUL character)", "BadRequest"),
    "Unauthorized": ("Not logged in: no session and no token (or a revoked one)", "Unauthorized"),
    "NotFound": ("No such record in the caller's scope, or not the caller's to use (never 403)", "NotFound"),
    "TooLarge": ("The body is larger than 25 MB", "TooLarge"),
    "Invalid": ("Refused, with a message per wrong field in `errors`", "Invalid"),
}


def json_body(schema, description):
    return {"description": description, "content": {JSON: {"schema": schema}}}


def responses(*common, **by_status):
    """An operation's answers: `by_status` as {"200": (description, schema)}, `common` named errors."""
    found = {status.lstrip("_"): json_body(schema, description) for status, (description, schema) in by_status.items()}
    status_of = {"BadRequest": "400", "Unauthorized": "401", "NotFound": "404", "TooLarge": "413", "Invalid": "422"}
    for name in ("BadRequest", "Unauthorized", "NotFound") + common:
        found[status_of[name]] = {"$ref": f"#/components/responses/{name}"}
    return dict(sorted(found.items()))


def file_answer(media_type, description):
    return {"description": description, "headers": {"Content-Disposition": {
        "schema": {"type": "string"}, "description": "attachment, with the file's name"}},
        "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}


# --- parameters -----------------------------------------------------------------------------------------------


def path_id(name, what):
    return {"name": name, "in": "path", "required": True, "description": what,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


def query(name, schema, description):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


TABLE_QUERY = [
    query("as_of", {"type": "string",
                     "anyOf": [{"format": "date", "pattern": "^(20[0-9]{2}|2100)-"}, {"maxLength": 0}]},
          "the end of this day (Asia/Shanghai), 2000-01-01 to 2100-12-31; without it (or empty), today"),
    query("street", {"type": "string"}, "the district only: one street's tables (404 for anyone else's)"),
    query("department", {"type": "string"}, "the district only: one department's tables (404 for anyone else's)"),
]
COMMUNITY_CODE = {"name": "community", "in": "path", "required": True, "description": "a 居委 code in the caller's scope",
                  "schema": {"type": "string", "maxLength": 16}}
TABLE_NUMBER = {"name": "table_number", "in": "path", "required": True, "description": "附件1, 2 or 3",
                "schema": {"type": "integer", "enum": sorted(TABLES)}}
SWITCH = {"type": "string", "enum": ["", "0", "1"]}


# --- operations -----------------------------------------------------------------------------------------------

SESSION_READ = {"sessionCookie": []}
SESSION_WRITE = {"sessionCookie": [], "csrfToken": []}
BEARER = {"bearerToken": []}


def operation(operation_id, summary, answers, *, tag, write=False, body=None, parameters=(), description=None):
    op = {"operationId": operation_id, "summary": summary, "tags": [tag], "responses": answers,
          "security": [BEARER, SESSION_WRITE if write else SESSION_READ]}
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = list(parameters)
    if body:
        schema_name, example = body
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": ref(schema_name), "example": example}}}
    return op


SURVEY_EXAMPLE = {
    "client_uuid": UUID_EXAMPLE, "community": "310105001001",
    "unit": {"type": "shop", "address": "长宁路100号", "name": "某某便利店"},
    "visited_at": "2023-03-20T10:15:00+08:00", "outcome": "surveyed",
    "trainings": [{"institution": "上海某某消防培训中心", "institution_phone": "021-6000 0000",
                   "trainer_identity": "firefighter", "mode": "door_to_door", "date": "2023-02-14", "fee": "200.00",
                   "content": "灭火器使用", "products_pitched": True, "engineering_solicited": False}],
    "purchases": [{"product": "fire_extinguisher", "quantity": 2, "amount": "560.00", "channel": "training",
                   "training": 0, "ccc_mark": False, "id_label": None, "sample_available": True}],
    "note": "",
}


def conflict(name, schema_name, description):
    return (description, error(("conflict",), **{name: ref(schema_name)}))


def paths():
    record = ("the stored record", ref("SurveyRecord"))
    survey_id = path_id("survey_id", "the record's id")
    case_id = path_id("case_id", "the case's id")
    submission_id = path_id("submission_id", "the submission's id")
    table_doc = {"oneOf": [ref(f"Table{n}") for n in sorted(TABLES)]}
    entry_conflict = "this client_uuid is stored with another body (never overwritten)"
    return {
        "/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This document", "tags": ["api"], "security": [],
            "responses": {"200": json_body({"type": "object"}, "OpenAPI 3.1"),
                          "400": {"$ref": "#/components/responses/BadRequest"}}}},
        "/csrf": {"get": operation("csrf", "A fresh CSRF token for the session (the PWA)", responses(
            _200=("the token", answer({"csrf_token": {"type": "string"}}))), tag="account")},
        "/me": {"get": operation("me", "The logged-in user", responses(_200=("the user", answer({
            "id": {"type": "integer"}, "username": {"type": "string"}, "role": enum(ROLES),
            "org": {"type": ["string", "null"]}, "department": {"anyOf": [DEPARTMENT, {"type": "null"}]}}))),
            tag="account")},
        "/surveys": {"post": operation(
            "createSurvey", "Store a survey record once per client_uuid", responses(
                "TooLarge", "Invalid", _201=("stored", ref("SurveyRecord")),
                _200=("already stored with this body (a retry): the stored record", ref("SurveyRecord")),
                _409=conflict("record", "SurveyRecord", "this client_uuid is stored with another body")),
            tag="surveys", write=True, body=("SurveyRecordInput", SURVEY_EXAMPLE))},
        "/surveys/{survey_id}": {
            "get": operation("getSurvey", "A stored record", responses(_200=record), tag="surveys",
                             parameters=[survey_id]),
            "put": operation(
                "correctSurvey", "Correct a stored record (applied once per correction_id, audited)", responses(
                    "TooLarge", "Invalid", _200=("the corrected record (or, sent again, the stored one)",
                                                 ref("SurveyRecord")),
                    _409=conflict("record", "SurveyRecord", "this correction_id was used with another body")),
                tag="surveys", write=True, parameters=[survey_id],
                body=("SurveyCorrectionInput", {**SURVEY_EXAMPLE,
                                                "correction_id": "8c0f5a52-3f57-4c1e-9a57-5f3c1b0d2e77"})),
        },
        "/cases": {"get": operation(
            "listCases", "The cases in the caller's scope", responses(
                "Invalid", _200=("newest activity first", answer({"cases": {"type": "array",
                                                                            "items": ref("CaseSummary")}}))),
            tag="cases", parameters=[
                query("status", {"type": "string", "enum": ["", *CASE_STATUSES]}, labelled(CASE_STATUSES)),
                query("kind", {"type": "string", "enum": ["", *CASE_KINDS]}, labelled(CASE_KINDS)),
                query("street", {"type": "string"}, "cases with a mention in this 街镇 (code)"),
                query("important", SWITCH, "1: only 重要"), query("overdue", SWITCH, "1: only overdue"),
                query("escalated", SWITCH, "1: only those a 居委 escalated and not yet referred")])},
        "/cases/{case_id}": {"get": operation(
            "getCase", "A case with its mentions, proposed departments and referrals",
            responses(_200=("the case", ref("Case"))), tag="cases", parameters=[case_id])},
        "/cases/{case_id}/referrals": {"post": operation(
            "referCase", "Refer a case to departments (streets and the district)", responses(
                "TooLarge", "Invalid", _201=("the case", ref("Case"))), tag="cases", write=True,
            parameters=[case_id], body=("ReferralInput", {"departments": ["shichang", "xiaofang"], "lead": "shichang",
                                                          "due": "2023-04-07", "note": "请依法查处"}))},
        "/referrals/{referral_id}": {"patch": operation(
            "workReferral", "A department's step on a referral made to it", responses(
                "TooLarge", "Invalid", _200=("the referral with its history", ref("Referral"))), tag="cases",
            write=True, parameters=[path_id("referral_id", "the referral's id")],
            body=("ReferralStepInput", {"status": "penalised", "note": "已立案", "case_opened": True,
                                        "fine": "5000.00"}))},
        "/leads": {"post": operation(
            "createLead", "Log a lead (streets, the district, departments)", responses(
                "TooLarge", "Invalid", _201=("stored", ref("Lead")),
                _200=("already stored with this body", ref("Lead")),
                _409=conflict("lead", "Lead", entry_conflict)), tag="cases", write=True,
            body=("LeadInput", {"client_uuid": "5b7c2d1e-6b3a-4c55-9d7e-0d2b8f0c9a11", "source": "online",
                                "street": "310105001", "community": "", "institution": "安心消防科普服务社",
                                "institution_phone": "13700003333", "institution_nature": "social_org",
                                "url": "https://example.cn/shop/anxin", "description": "微信群里招揽社区消防培训，课后推销灭火毯",
                                "mode": "gathering", "trainer_identity": "unknown", "fee": "0",
                                "products_pitched": False, "engineering_solicited": False,
                                "pitched_products": ["fire_blanket"]}))},
        "/tables/{table_number}": {"get": operation(
            "getTable", "附件1, 2 or 3 as of a day, the rows of the caller's scope", responses(
                "Invalid", _200=("the table: its rows, then the total", table_doc)),
            tag="tables", parameters=[TABLE_NUMBER, *TABLE_QUERY])},
        "/tables/{table_number}.xlsx": {"get": operation(
            "getTableWorkbook", "The table as a workbook", {**responses("Invalid"), "200": file_answer(
                XLSX, "the workbook (附件1 with its 居委 and 问题清单 sheets)")},
            tag="tables", parameters=[TABLE_NUMBER, *TABLE_QUERY])},
        "/tables/{table_number}.csv": {"get": operation(
            "getTableCsv", "The table as CSV (UTF-8 with a BOM)", {**responses("Invalid"), "200": file_answer(
                CSV, "laid out like the workbook")}, tag="tables", parameters=[TABLE_NUMBER, *TABLE_QUERY])},
        "/tables/all.xlsx": {"get": operation(
            "getAllTablesWorkbook", "One workbook with every table of the caller's scope",
            {**responses("Invalid"), "200": file_answer(XLSX, "the workbook")}, tag="tables",
            parameters=TABLE_QUERY)},
        "/spot-checks": {"post": operation(
            "createSpotCheck", "附件2: a department's spot checks of a day", responses(
                "TooLarge", "Invalid", _201=("stored", ref("SpotCheck")),
                _200=("already stored with this body", ref("SpotCheck")),
                _409=conflict("entry", "SpotCheck", entry_conflict)), tag="tables", write=True,
            body=("SpotCheckInput", {"client_uuid": "6c1e2f1d-6b3a-4c55-9d7e-0d2b8f0c9a11", "department": "xiaofang",
                                     "channel": "in_use", "product": "fire_extinguisher", "date": "2023-03-20",
                                     "batches": 5, "failed": 2, "cases_opened": 1, "fine": "5000.00"}))},
        "/actions": {"post": operation(
            "createAction", "附件3: what a street or department did on a day", responses(
                "TooLarge", "Invalid", _201=("stored", ref("Action")),
                _200=("already stored with this body", ref("Action")),
                _409=conflict("entry", "Action", entry_conflict)), tag="tables", write=True,
            body=("ActionInput", {"client_uuid": "7d2f3a2e-6b3a-4c55-9d7e-0d2b8f0c9a11", "org": "310105001",
                                  "date": "2023-03-20", "inspectors": 10, "units_checked": 0, "publicity_events": 1}))},
        "/roster": {"post": operation(
            "importRoster", "底数清单: replace the roster of each 居委 in `rows` (streets and the district)",
            {**responses("TooLarge", _200=("applied (or, with dry_run=1, what would be)", ref("RosterImport"))),
             "422": json_body({"anyOf": [ref("Invalid"), ref("RosterRefused")]},
                              "a body of the wrong shape (`errors` by field), or rows refused (`errors` by row): "
                              "nothing applied")},
            tag="roster", write=True, parameters=[query("dry_run", SWITCH, "1: only say what it would do")],
            body=("RosterInput", {"rows": [{"community": "310105001001", "address": "仙霞路350弄3号201室",
                                            "type": "household", "name": "", "building": "仙霞路350弄3号"}]}))},
        "/roster/{community}/not-visited": {"get": operation(
            "getNotVisited", "未走访清单: a 居委's units on the roster as of a day with no record by then",
            responses("Invalid", _200=("by building and address", ref("NotVisited"))),
            tag="roster", parameters=[COMMUNITY_CODE, TABLE_QUERY[0]])},
        "/roster/{community}/not-visited.xlsx": {"get": operation(
            "getNotVisitedWorkbook", "The 未走访清单 as a workbook to print",
            {**responses("Invalid"), "200": file_answer(XLSX, "the workbook")},
            tag="roster", parameters=[COMMUNITY_CODE, TABLE_QUERY[0]])},
        "/coverage": {"get": operation(
            "getCoverage", "Coverage against the roster per street and 居委 as of a day", responses(
                "Invalid", _200=("the caller's streets", ref("Coverage"))),
            tag="roster", parameters=[TABLE_QUERY[0], query("street", {"type": "string"},
                                                            "one of the caller's streets (404 for anyone else's)")])},
        "/quality": {"get": operation(
            "listQualitySignals", "Quality signals of the caller's 居委 filed up to a day in its campaign (streets and "
            "the district)", responses("Invalid", _200=("newest first", ref("QualitySignals"))),
            tag="supervision", parameters=[TABLE_QUERY[0], query("street", {"type": "string"},
                                                                 "one of the caller's streets (404 for anyone else's)")])},
        "/quality/{signal_id}/review": {"post": operation(
            "reviewQualitySignal", "A person's review of a signal: 已核实无误 or 确认问题, with a note (audited)",
            responses("TooLarge", "Invalid", _200=("the signal as reviewed", ref("QualitySignal"))),
            tag="supervision", write=True, parameters=[path_id("signal_id", "a quality signal")],
            body=("SignalReview", {"verdict": "explained", "note": "楼组长陪同逐户走访，时间属实"}))},
        "/rechecks/draw": {"post": operation(
            "drawRecheckSample", "回访: draw a 居委's sample of the units surveyed by a day (streets); the same 居委, "
            "as_of and seed again: the sample drawn before, nothing new", responses(
                "TooLarge", "Invalid", _201=("drawn", ref("RecheckSample")),
                _200=("drawn before (or no unit surveyed by then: no record)", ref("RecheckSample"))),
            tag="supervision", write=True,
            body=("RecheckDrawInput", {"community": "310105001001", "as_of": "2023-03-31", "seed": "第一批"}))},
        "/rechecks": {"post": operation(
            "recordRecheck", "回访: what the back-check of a sampled record found (streets); 不一致 raises a `recheck` "
            "quality signal on the record's author", responses(
                "TooLarge", "Invalid", _200=("recorded (sent again unchanged: nothing changes)", ref("Recheck"))),
            tag="supervision", write=True,
            body=("RecheckInput", {"record": 1, "result": "mismatch", "differs": ["training_differs"],
                                   "note": "住户说培训没有收费，也没有推销"}))},
        "/submissions": {
            "post": operation(
                "submitTables", "报送: freeze the caller's tables as of a day (streets and departments)",
                {**responses("TooLarge", "Invalid",
                             _409=conflict("submission", "SubmissionSummary",
                                           "this client_uuid was used for another day"),
                             _200=("already submitted with this client_uuid: the same bytes", ref("Submission"))),
                 "201": {**json_body(ref("Submission"), "submitted"), "headers": {"Location": {
                     "schema": {"type": "string"}, "description": "GET /api/v1/submissions/<id>"}}}},
                tag="submissions", write=True,
                body=("SubmissionInput", {"as_of": "2023-03-31",
                                          "client_uuid": "9e3a4b3f-6b3a-4c55-9d7e-0d2b8f0c9a11"})),
            "get": operation("listSubmissions", "The caller's org's submissions (the district: all)", responses(
                _200=("newest first", answer({"submissions": {"type": "array", "items": ref("SubmissionSummary")}}))),
                tag="submissions"),
        },
        "/submissions/{submission_id}": {"get": operation(
            "getSubmission", "A submission's frozen JSON", responses(_200=("the frozen document", ref("Submission"))),
            tag="submissions", parameters=[submission_id])},
        "/submissions/{submission_id}.xlsx": {"get": operation(
            "getSubmissionWorkbook", "A submission's frozen workbook",
            {**responses(), "200": file_answer(XLSX, "the workbook, byte for byte")}, tag="submissions",
            parameters=[submission_id])},
        "/submissions/{submission_id}/changes": {"get": operation(
            "getSubmissionChanges", "The cells that differ from the same org's previous submission",
            responses(_200=("by row label and column header", ref("SubmissionChanges"))), tag="submissions",
            parameters=[submission_id])},
    }


# Where the ids of an answer lead (OpenAPI links; Schemathesis' stateful phase follows them):
# (path, method, status) → {link name: (operationId, {parameter: runtime expression})}.
LINKS = {
    ("/surveys", "post", "201"): {"GetSurvey": ("getSurvey", {"survey_id": "$response.body#/id"}),
                                  "CorrectSurvey": ("correctSurvey", {"survey_id": "$response.body#/id"})},
    ("/cases", "get", "200"): {"GetCase": ("getCase", {"case_id": "$response.body#/cases/0/id"})},
    ("/cases/{case_id}", "get", "200"): {
        "ReferCase": ("referCase", {"case_id": "$response.body#/id"}),
        "WorkReferral": ("workReferral", {"referral_id": "$response.body#/referrals/0/id"})},
    ("/cases/{case_id}/referrals", "post", "201"): {
        "GetCase": ("getCase", {"case_id": "$response.body#/id"}),
        "WorkReferral": ("workReferral", {"referral_id": "$response.body#/referrals/0/id"})},
    **{(path, method, status): {
        "GetSubmission": ("getSubmission", {"submission_id": f"$response.body#{pointer}"}),
        "GetSubmissionWorkbook": ("getSubmissionWorkbook", {"submission_id": f"$response.body#{pointer}"}),
        "GetSubmissionChanges": ("getSubmissionChanges", {"submission_id": f"$response.body#{pointer}"})}
       for path, method, status, pointer in (("/submissions", "post", "201", "/id"),
                                             ("/submissions", "get", "200", "/submissions/0/id"))},
}


def with_links(found):
    for (path, method, status), links in LINKS.items():
        found[path][method]["responses"][status]["links"] = {
            name: {"operationId": target, "parameters": parameters} for name, (target, parameters) in links.items()}
    return found


@lru_cache(maxsize=1)
def _document():
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "排摸通 (Paimo) API", "version": "1",
            "description": "The JSON API of 排摸通. docs/api.md describes it in prose; design.md section 4 defines "
                           "the codes. Every user sees only the records of its scope: anything else is 404. Text "
                           "may not contain NUL (U+0000): any request carrying it is refused with 400.",
        },
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": name} for name in ("api", "account", "surveys", "cases", "tables", "submissions",
                                             "roster", "supervision")],
        "paths": with_links({**paths(), **order_paths(), **ranking_paths()}),
        "components": {
            "schemas": {**schemas_of(*REQUEST_SHAPES), **survey_schemas(), **case_schemas(), **table_schemas(),
                        **roster_schemas(), **supervision_schemas(), **recheck_schemas(), **order_schemas(),
                        **ranking_schemas(), **ERROR_SCHEMAS},
            "responses": {name: json_body(ref(schema), description) for name, (description, schema)
                          in RESPONSES.items()},
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer",
                                "description": "a token from `flask --app app issue-token USERNAME` or /profile"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": Config.SESSION_COOKIE_NAME,
                                  "description": "the session of a login at /login (the PWA)"},
                "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                              "description": "with the session, on every POST, PUT and PATCH: from GET /api/v1/csrf"},
            },
        },
    }


def document():
    """The OpenAPI document (a fresh copy: callers may change theirs)."""
    return copy.deepcopy(_document())
