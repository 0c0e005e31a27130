"""The three tables of the plan, by number, and what each street, department or the district fills in.

Everything that shows or sends a table (the API, the pages, the workbooks, the CSV, submissions, the work
summary) finds its definition here, at the time it asks: a column added to a definition is everywhere at once.
"""
from domain.reporting import actions, spot_checks, tables
from domain.reporting.tabledef import Scope, compute

TABLES = {1: tables.TABLE1, 2: spot_checks.TABLE2, 3: actions.TABLE3}


def table(number):
    """The definition of 附件`number`, or None."""
    return TABLES.get(number)


def tables_for(scope):
    """The definitions that apply to `scope` (the district: all three), in order."""
    return [TABLES[n] for n in sorted(TABLES) if TABLES[n].applies_to(scope)]


def result(number, as_of, scope):
    return compute(TABLES[number], as_of, scope)


def results_for(scope, as_of):
    return [compute(definition, as_of, scope) for definition in tables_for(scope)]


__all__ = ["Scope", "TABLES", "result", "results_for", "table", "tables_for"]
