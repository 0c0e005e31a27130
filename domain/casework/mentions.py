"""The mentions of institutions, kept as their sources change (design sections 5 and 13; issue 17).

A mention is a suspect training (or one that only names an institution missing from the approved list) of a unit's
record while that record is its unit's latest, a public report while it is not found unfounded, or a lead: each kept
as a `models.Mention` row valid from one day to another, located in its 居委, street and district, with the keys it is
matched by. The problem list as of any day D reads the mentions valid then; the cases of today read each current
mention's `group_key`, kept by `regroup` whenever a mention comes, goes or the district merges or splits institutions,
so that nobody matches every mention of a city on a read.

Writes call `units_changed` (records and corrections), `report_changed` (a report received or its status changed),
`lead_added` and `decisions_changed`; `rebuild` recomputes it all and `differences` compares it with that recomputation.
"""
import datetime

from peewee import EXCLUDED, JOIN, SQL, Value, fn

from domain.casework.matching import identifiers_of, match_groups
from models import (
    Case, InstitutionDecision, Lead, Mention, Org, Purchase, Report, ReportEvent, Survey, Training, db,
)

# The fields of a kept mention that say what it is and where, as `differences` compares them.
KEPT = ("kind", "source", "position", "valid_from", "valid_to", "community", "street", "district", "name_key", "phone",
        "suspect", "amount_fen")


def _day(value):
    if value is None or isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.datetime):
        return value.date()
    return datetime.date.fromisoformat(str(value)[:10])


# --- trainings: while their record is the unit's latest -------------------------------------------------------


def qualifying(training=Training):
    """Which trainings are mentions (design section 5): suspect ones, and those that only name an institution missing
    from the approved list (待核实)."""
    named = (training.institution_key != "") | (training.phone_digits != "")
    return (training.suspect == True) | (named & training.flags.contains("unapproved"))  # noqa: E712


def _training_query(unit_ids=None):
    """The training mentions of these units' records (all units when None), in one statement: each qualifying
    training of a surveyed record, valid from its visit's day to the day of the unit's next record."""
    day = fn.DATE(Survey.visited_at)
    timeline = (Survey.select(Survey.id, Survey.unit, Survey.community, Survey.outcome, day.alias("day"),
                              fn.LEAD(day).over(partition_by=[Survey.unit], order_by=[Survey.visited_at, Survey.id])
                              .alias("next_day")))
    if unit_ids is not None:
        timeline = timeline.where(Survey.unit.in_(unit_ids))
    timeline = timeline.cte("timeline")
    t = timeline.c
    street = Org.alias("street")
    bought = (Purchase.select(fn.COALESCE(fn.SUM(Purchase.amount_fen), 0))
              .where(Purchase.training == Training.id))
    return (Training
            .select(Value("training").alias("kind"), Training.survey.alias("source"), Training.position,
                    t.day.alias("valid_from"), t.next_day.alias("valid_to"), t.community_id.alias("community"),
                    Org.parent.alias("street"), street.parent.alias("district"),
                    Training.institution_key.alias("name_key"), Training.phone_digits.alias("phone"),
                    Training.suspect, (Training.fee_fen + bought).alias("amount_fen"), t.unit_id.alias("unit"))
            .join(timeline, on=(Training.survey == t.id))
            .join(Org, on=(Org.code == t.community_id))
            .join(street, JOIN.LEFT_OUTER, on=(street.code == Org.parent))
            .where((t.outcome == "surveyed") & (t.next_day.is_null() | (t.next_day > t.day)) & qualifying())
            .with_cte(timeline))


def _training_rows(unit_ids=None):
    return [dict(row, valid_from=_day(row["valid_from"]), valid_to=_day(row["valid_to"]), suspect=bool(row["suspect"]),
                 amount_fen=int(row["amount_fen"] or 0)) for row in _training_query(unit_ids).dicts()]


# --- reports: while not found unfounded; leads: from the day they were logged -------------------------------------


def _report_rows(reports):
    """The periods in which each report counts: from the day it was received, except the days that ended with it
    found unfounded (不属实). Its status on a day is that of its latest event by the end of the day ('new' before
    the first); a report with no events at all is taken at its current status."""
    reports = list(reports)
    events = {}
    for report_id, status, at in (ReportEvent.select(ReportEvent.report, ReportEvent.status, ReportEvent.at)
                                  .where(ReportEvent.report.in_([r.id for r in reports]))
                                  .order_by(ReportEvent.at, ReportEvent.id).tuples()):
        events.setdefault(report_id, []).append((_day(at), status))
    rows = []
    for report in reports:
        start = _day(report.created_at)
        status_by_day = {start: "new"} if report.id in events else {}
        for day, status in events.get(report.id) or [(start, report.status)]:
            status_by_day[max(day, start)] = status  # the status at the end of that day
        counting, opened = False, None
        for day in sorted(status_by_day):
            counts = status_by_day[day] != "unfounded"
            if counts and not counting:
                counting, opened = True, max(day, start)
            elif not counts and counting:
                counting = False
                if day > opened:
                    rows.append(_report_row(report, opened, day))
        if counting:
            rows.append(_report_row(report, opened, None))
    return rows


def _report_row(report, valid_from, valid_to):
    return {"kind": "report", "source": report.id, "position": 0, "valid_from": valid_from, "valid_to": valid_to,
            "community": report.community_id, "street": report.street_id, "district": report.district_id,
            "name_key": report.institution_key, "phone": report.phone_digits, "suspect": bool(report.suspect),
            "amount_fen": report.amount_fen, "unit": None}


def _lead_rows(leads):
    return [{"kind": "lead", "source": lead.id, "position": 0, "valid_from": _day(lead.created_at), "valid_to": None,
             "community": lead.community_id, "street": lead.street_id, "district": lead.district_id,
             "name_key": lead.institution_key, "phone": lead.phone_digits, "suspect": bool(lead.suspect),
             "amount_fen": lead.fee_fen, "unit": None} for lead in leads]


def _placed(rows):
    """Rows with the street and district of their 居委 or street filled in where their source named only that."""
    parent = dict(Org.select(Org.code, Org.parent).where(Org.code.in_(
        [r["community"] for r in rows if r["community"]] + [r["street"] for r in rows if r["street"]])).tuples())
    for row in rows:
        row["street"] = row["street"] or parent.get(row["community"])
        row["district"] = parent.get(row["street"]) or row["district"]
    return rows


# --- keeping them -----------------------------------------------------------------------------------------------


def _replace(where, rows, new=False):
    """Replace the kept mentions matching `where` with `rows` (`new`: there are none yet); then regroup what they
    touch. A current mention that names no identifiable institution is a group of its own from the start."""
    old = [] if new else list(Mention.select(Mention.name_key, Mention.phone, Mention.kind, Mention.source,
                                             Mention.position).where(where & Mention.valid_to.is_null()))
    if not new:
        Mention.delete().where(where).execute()
    alone = set()  # current mentions that name no identifiable institution: each a group (a case) of its own
    for row in rows:
        if row["valid_to"] is None and not identifiers_of(row["name_key"], row["phone"]):
            row["group_key"] = _anchor(row["kind"], row["source"], row["position"])
            alone.add(row["group_key"])
    gone = {_anchor(m.kind, m.source, m.position) for m in old if not identifiers_of(m.name_key, m.phone)} - alone
    touched = {i for m in old for i in identifiers_of(m.name_key, m.phone)}
    current = [r for r in rows if r["valid_to"] is None and identifiers_of(r["name_key"], r["phone"])]
    touched |= {i for r in current for i in identifiers_of(r["name_key"], r["phone"])}
    if touched:
        regroup(touched, current)  # gives the new current rows their group keys before they are written
    for start in range(0, len(rows), 500):
        Mention.insert_many(rows[start:start + 500]).execute()
    _keep_cases({anchor: anchor for anchor in alone} | {anchor: "" for anchor in gone})


def units_changed(unit_ids, new=False):
    """After a record of these units was added, corrected or moved (in the same transaction); `new`: units that had
    no record before."""
    if unit_ids:
        _replace((Mention.kind == "training") & Mention.unit.in_(list(unit_ids)), _training_rows(list(unit_ids)), new)


def report_changed(report, new=False):
    """After a report was received (`new`) or its status changed."""
    _replace((Mention.kind == "report") & (Mention.source == report.id), _placed(_report_rows([report])), new)


def lead_added(lead):
    _replace((Mention.kind == "lead") & (Mention.source == lead.id), _placed(_lead_rows([lead])), new=True)


def decisions_changed(*identifiers):
    """After the district merged or split institutions, or undid it."""
    regroup(set(identifiers))


def _anchor(kind, source, position):
    return f"t:{source}.{position}" if kind == "training" else f"{kind[0]}:{source}"


def _current(where):
    return list(Mention.select().where(Mention.valid_to.is_null() & where))


def regroup(identifiers, arriving=()):
    """Give the current mentions connected to `identifiers` (by shared identifiers, or the district's merges) their
    group key again. `arriving`: rows (dicts) of current mentions about to be written, given theirs in place."""
    merges = list(InstitutionDecision.select())
    splits = {(d.key_a, d.key_b) for d in merges if d.kind == "split"}
    merged = {}
    for d in merges:
        if d.kind == "merge":
            merged.setdefault(d.key_a, set()).add(d.key_b)
            merged.setdefault(d.key_b, set()).add(d.key_a)
    seen, frontier, found = set(), set(identifiers), {}
    for row in arriving:
        frontier |= set(identifiers_of(row["name_key"], row["phone"], splits))
    while frontier:
        seen |= frontier
        names = [i[2:] for i in frontier if i.startswith("n:")]
        phones = [i[2:] for i in frontier if i.startswith("p:")]
        frontier = set()
        for start in range(0, max(len(names), len(phones)), 500):
            clause = SQL("1 = 0")
            if names[start:start + 500]:
                clause |= Mention.name_key.in_(names[start:start + 500])
            if phones[start:start + 500]:
                clause |= Mention.phone.in_(phones[start:start + 500])
            for mention in _current(clause):
                found[mention.id] = mention
                frontier |= set(identifiers_of(mention.name_key, mention.phone, splits)) - seen
        for identifier in list(seen):
            frontier |= merged.get(identifier, set()) - seen
    items = [(m.id, m.name_key, m.phone, _anchor(m.kind, m.source, m.position)) for m in found.values()]
    items += [(("arriving", index), row["name_key"], row["phone"], _anchor(row["kind"], row["source"], row["position"]))
              for index, row in enumerate(arriving)]
    keys = match_groups(items, merges)
    for index, row in enumerate(arriving):
        row["group_key"] = keys[("arriving", index)]
    held = {i: keys[m.id] for m in found.values() for i in identifiers_of(m.name_key, m.phone, splits)}
    held |= {i: row["group_key"] for row in arriving for i in identifiers_of(row["name_key"], row["phone"], splits)}
    _keep_cases({identifier: held.get(identifier, "") for identifier in seen})
    changed = {}
    for mention in found.values():
        if mention.group_key != keys[mention.id]:
            changed.setdefault(keys[mention.id], []).append(mention.id)
    for key, ids in changed.items():
        for start in range(0, len(ids), 500):
            Mention.update(group_key=key).where(Mention.id.in_(ids[start:start + 500])).execute()


def _case_kind(anchor):
    return "institution" if anchor[:2] in ("n:", "p:") else {"t": "survey", "r": "report", "l": "lead"}[anchor[0]]


def _keep_cases(group_of):
    """Give the Case rows anchored on the keys of `group_of` their group: a row is added for an anchor a group holds
    and no row has yet, and a row whose anchor no current mention holds has none (""). The rows of one case are those
    of one group. One statement for the held anchors (an upsert), one for those let go."""
    held = [{"anchor": a, "kind": _case_kind(a), "group_key": k} for a, k in sorted(group_of.items()) if k]
    for start in range(0, len(held), 500):
        (Case.insert_many(held[start:start + 500])
         .on_conflict(conflict_target=[Case.anchor], update={Case.group_key: EXCLUDED.group_key}).execute())
    gone = sorted(a for a, k in group_of.items() if not k)
    for start in range(0, len(gone), 500):
        Case.update(group_key="").where(Case.anchor.in_(gone[start:start + 500]) & (Case.group_key != "")).execute()


def case_groups():
    """{anchor: group key} that today's current mentions give the Case rows (recomputed)."""
    decisions = list(InstitutionDecision.select())
    splits = {(d.key_a, d.key_b) for d in decisions if d.kind == "split"}
    current = _current(SQL("1 = 1"))
    keys = match_groups([(m.id, m.name_key, m.phone, _anchor(m.kind, m.source, m.position)) for m in current],
                        decisions)
    found = {}
    for m in current:
        for anchor in identifiers_of(m.name_key, m.phone, splits) or [_anchor(m.kind, m.source, m.position)]:
            found[anchor] = keys[m.id]
    return found


# --- rebuilding and checking ------------------------------------------------------------------------------------


def recomputed():
    """Every mention as its sources say now (without group keys)."""
    rows = _training_rows()
    rows += _placed(_report_rows(Report.select()))
    rows += _placed(_lead_rows(Lead.select()))
    return rows


def rebuild():
    """Recompute every kept mention from its source, and every current group; returns the number of mentions."""
    rows = recomputed()
    with db.atomic():
        Mention.delete().execute()
        for start in range(0, len(rows), 500):
            Mention.insert_many(rows[start:start + 500]).execute()
        _regroup_all()
        groups = case_groups()
        _keep_cases(groups | {a: "" for (a,) in Case.select(Case.anchor).where(Case.group_key != "").tuples()
                              if a not in groups})
    return len(rows)


def _regroup_all():
    current = _current(SQL("1 = 1"))
    keys = match_groups([(m.id, m.name_key, m.phone, _anchor(m.kind, m.source, m.position)) for m in current],
                        list(InstitutionDecision.select()))
    by_key = {}
    for mention in current:
        by_key.setdefault(keys[mention.id], []).append(mention.id)
    for key, ids in by_key.items():
        for start in range(0, len(ids), 500):
            Mention.update(group_key=key).where(Mention.id.in_(ids[start:start + 500])).execute()


def differences():
    """Where the kept mentions and group keys differ from a recomputation: [text] (nothing when they agree)."""
    def as_tuple(row):
        return tuple(str(row[f]) if f in ("valid_from", "valid_to") else row[f] for f in KEPT)

    kept_rows = [{f: getattr(m, f if f not in ("community", "street", "district") else f + "_id") for f in KEPT}
                 for m in Mention.select()]
    kept_rows = [dict(r, valid_from=_day(r["valid_from"]), valid_to=_day(r["valid_to"])) for r in kept_rows]
    have, want = sorted(map(as_tuple, kept_rows)), sorted(map(as_tuple, recomputed()))
    found = [f"kept, not recomputed: {row}" for row in sorted(set(have) - set(want))]
    found += [f"recomputed, not kept: {row}" for row in sorted(set(want) - set(have))]
    current = _current(SQL("1 = 1"))
    keys = match_groups([(m.id, m.name_key, m.phone, _anchor(m.kind, m.source, m.position)) for m in current],
                        list(InstitutionDecision.select()))
    found += [f"group of {m.kind} {m.source}.{m.position}: kept {m.group_key}, recomputed {keys[m.id]}"
              for m in current if m.group_key != keys[m.id]]
    groups = case_groups()
    for anchor, key in Case.select(Case.anchor, Case.group_key).tuples():
        if key != groups.get(anchor, ""):
            found.append(f"case {anchor}: kept group {key or '(none)'}, recomputed {groups.get(anchor) or '(none)'}")
    found += [f"case {anchor}: no row for group {key}" for anchor, key in groups.items()
              if not Case.select().where(Case.anchor == anchor).exists()]
    return found
