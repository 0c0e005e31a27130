"""Coverage against the roster as of a day (design section 11), per 居委 and per street: sums over the figures kept
per 居委 and day (domain.survey.unit_state), so any day costs one aggregate."""
from domain.reporting.tables import coverage_percent
from domain.survey import unit_state
from models import Org

KEYS = ("roster", "visited", "surveyed", "not_reached", "not_visited", "off_roster", "coverage")
LABELS = {"roster": "底数", "visited": "已走访", "surveyed": "已排摸", "not_reached": "未遇或拒访", "not_visited": "未走访",
          "off_roster": "清单外", "coverage": "覆盖率"}


def percent(part, whole):
    """覆盖率 as text, by the rule 附件1 uses (domain.reporting.tables.coverage_percent)."""
    return str(coverage_percent(part, whole))


def of_figures(figures):
    """Coverage's keys from kept figures (unit_state.FIGURES, summed over some 居委)."""
    roster, visited = figures.get("roster", 0), figures.get("roster_visited", 0)
    surveyed = figures.get("roster_surveyed", 0)
    return {"roster": roster, "visited": visited, "surveyed": surveyed,
            "not_reached": figures.get("roster_not_reached", 0), "not_visited": roster - visited,
            "off_roster": figures.get("visited", 0) - visited, "coverage": percent(surveyed, roster)}


def _summed(many):
    total = dict.fromkeys(unit_state.FIGURES, 0)
    for figures in many:
        for name in unit_state.FIGURES:
            total[name] += figures.get(name, 0)
    return total


def coverage(as_of, street_codes):
    """{"as_of", "rows": [a street's code, name, KEYS and "communities": [the same per 居委]], "total"} as of the end
    of day `as_of`, for the streets of `street_codes` (design section 8)."""
    streets = list(Org.select(Org.code, Org.name).where((Org.kind == "street") & Org.code.in_(street_codes))
                   .order_by(Org.code))
    communities = list(Org.select(Org.code, Org.name, Org.parent).where(
        (Org.kind == "community") & Org.parent.in_([s.code for s in streets])).order_by(Org.code))
    kept = unit_state.figures_as_of(as_of, [c.code for c in communities])
    empty = {}
    rows, everything = [], []
    for street in streets:
        mine = [c for c in communities if c.parent_id == street.code]
        figures = [kept.get(c.code, empty) for c in mine]
        everything += figures
        rows.append({"code": street.code, "name": street.name, **of_figures(_summed(figures)),
                     "communities": [{"code": c.code, "name": c.name, **of_figures(kept.get(c.code, empty))}
                                     for c in mine]})
    return {"as_of": as_of.isoformat(), "rows": rows, "total": of_figures(_summed(everything))}
