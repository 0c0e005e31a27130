"""报送 (design section 10): a street or department submits its tables as of a day, and Paimo keeps that copy.

A submission freezes the JSON answer and the workbook bytes at the moment of submitting, with who and when;
both are served back exactly as stored, whatever records or corrections arrive afterwards. The district sees,
per deadline of the campaign, who has submitted, who is late, and for each submission what changed since
that org's previous one, cell by cell (row label × column header), compared between the two frozen JSONs.
"""
import io
import json
import uuid
from dataclasses import dataclass

from domain.casework import institutions
from domain.common.clock import end_of_day, now_local
from domain.common.fields import ClientUuid, Day, Shape
from domain.reporting import campaign_tables
from domain.reporting.campaign import deadlines
from domain.reporting.entries import store_once
from domain.reporting.tabledef import Scope, district_org
from domain.reporting.workbook import write_workbook
from models import Department, Org, Submission, audit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOTAL_LABEL = "合计"



SUBMISSION = Shape("SubmissionInput", {
    "as_of": Day("统计日期", required=True, format_message="统计日期格式应为 YYYY-MM-DD，例如 2023-03-29",
                 description="the day the tables are frozen as of: 2000-01-01 to today"),
    "client_uuid": ClientUuid(required=False),
})


def parse_submission(body, now=None):
    """(as_of, client_uuid, errors) of a submission: the day its tables are as of (not after today)."""
    values, errors = SUBMISSION.read(body, now=now)
    if values is None:
        return None, None, errors
    return values["as_of"], values["client_uuid"], errors

def frozen_tables(scope, as_of):
    """({"1": JSON or None, "2": …, "3": …}, workbook bytes) of `scope`'s tables as of `as_of`."""
    results = campaign_tables.results_for(scope, as_of)
    by_number = {r.table.number: r.as_json() for r in results}
    tables = {str(n): by_number.get(n) for n in sorted(campaign_tables.TABLES)}
    out = io.BytesIO()
    problems = institutions.problem_list(as_of, scope.street) if scope.kind == "street" else None
    write_workbook(results, out, problems=problems)
    return tables, out.getvalue()


def workbook_name(scope, as_of):
    return f"{scope.filled_by(district_org())}专项整治统计表_报送_{as_of.isoformat()}.xlsx"


def submit(user, scope, as_of, client_uuid=None):
    """Freeze the tables of `scope` (a street or department Scope, the user's own) as of `as_of`. Returns
    (submission, created); raises entries.Conflict when `client_uuid` was used for another day,
    entries.NotYours when it was used by someone else."""
    values = {"client_uuid": client_uuid or str(uuid.uuid4()), "org": scope.code, "as_of": as_of.isoformat()}
    # The tables are worked out before the write transaction (not inside it, where SQLite's write lock would
    # make every other writer wait), and not at all for a submission sent again.
    frozen = None if Submission.select().where(Submission.client_uuid == values["client_uuid"]).exists() \
        else frozen_tables(scope, as_of)

    def create(fingerprint):
        tables, workbook = frozen or frozen_tables(scope, as_of)
        submission = Submission.create(
            client_uuid=values["client_uuid"], street=scope.street, department=scope.department, as_of=as_of,
            submitted_by=user, submitted_at=now_local(), document=b"", workbook=workbook,
            workbook_name=workbook_name(scope, as_of), body_hash=fingerprint)
        submission.document = json.dumps({
            "id": submission.id, "org": scope.code, "org_name": scope.name, "as_of": as_of.isoformat(),
            "submitted_at": submission.submitted_at.isoformat() + "+08:00", "submitted_by": user.label,
            "tables": tables}, ensure_ascii=False).encode("utf-8")
        submission.save(only=[Submission.document])
        audit(user, "submit", submission, f"as_of={as_of.isoformat()}")
        return submission

    return store_once(Submission, values, create, mine=lambda stored: stored.org_code == scope.code)


def document(submission):
    """The frozen JSON, parsed."""
    return json.loads(bytes(submission.document).decode("utf-8"))


# --- an org's submissions -------------------------------------------------------------------------------------


def of_org(code):
    return (Submission.select().where((Submission.street == code) | (Submission.department == code))
            .order_by(Submission.submitted_at.desc(), Submission.id.desc()))


def org_name(submission):
    return submission.street.name if submission.street_id else submission.department.name


def previous(submission):
    """The same org's submission before this one, or None."""
    return (Submission.select()
            .where(((Submission.street == submission.street_id) if submission.street_id
                    else (Submission.department == submission.department_id))
                   & ((Submission.submitted_at < submission.submitted_at)
                      | ((Submission.submitted_at == submission.submitted_at) & (Submission.id < submission.id))))
            .order_by(Submission.submitted_at.desc(), Submission.id.desc()).first())


# --- what changed -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    table: int
    row: str  # the row's label, or 合计
    column: str  # the column's header
    key: str
    before: object  # None: the cell was not there
    after: object

    def as_json(self):
        return {"table": self.table, "row": self.row, "column": self.column, "key": self.key,
                "before": self.before, "after": self.after}


def _cells(definition, table_json):
    """{row label: {figure key: value}} of a frozen table, the totals row last."""
    if not table_json:
        return {}
    figure_keys = list(table_json["total"])
    cells = {}
    for row in table_json["rows"]:
        cells[definition.label_of(row) if definition else str(row)] = {k: row.get(k) for k in figure_keys}
    cells[TOTAL_LABEL] = dict(table_json["total"])
    return cells


def changes(before, after):
    """The cells that differ between two frozen documents (parsed), table by table, in row and column order."""
    found = []
    numbers = sorted(set(before["tables"]) | set(after["tables"]), key=int)
    for number in numbers:
        definition = campaign_tables.table(int(number))
        old = _cells(definition, before["tables"].get(number))
        new = _cells(definition, after["tables"].get(number))
        for label in list(new) + [label for label in old if label not in new]:
            old_row, new_row = old.get(label, {}), new.get(label, {})
            for key in list(new_row) + [k for k in old_row if k not in new_row]:
                if old_row.get(key) != new_row.get(key):
                    column = definition.column(key) if definition else None
                    found.append(Change(table=int(number), row=label, column=column.header if column else key,
                                        key=key, before=old_row.get(key), after=new_row.get(key)))
    return found


# --- deadlines: who has submitted, who is late -----------------------------------------------------------------


@dataclass
class OrgStatus:
    code: str
    name: str
    kind: str  # street | department
    status: str  # on_time | pending | unchanged | late | late_submitted
    submission: object  # the one that counts for this deadline (or the late one), or None

    @property
    def label(self):
        if self.status == "on_time":
            return "已报送"
        if self.status == "pending":
            return "待报送"
        if self.status == "unchanged":
            return "数据无更新，无需报送"
        if self.status == "late_submitted":
            return f"逾期，{self.submission.submitted_at.month}月{self.submission.submitted_at.day}日补报"
        return "逾期未报"


@dataclass
class DeadlineBoard:
    deadline: object
    orgs: list

    def count(self, *statuses):
        return sum(1 for o in self.orgs if o.status in statuses)


def submitters(district):
    """Who must submit in a district: every street and every department of it, (code, name, kind)."""
    return ([(o.code, o.name, "street") for o in district.streets().order_by(Org.code)]
            + [(d.code, d.name, "department")
               for d in Department.select().where(Department.district == district.code).order_by(Department.code)])


def board(campaign, district=None, now=None):
    """Per deadline of kind tables: each street and department of `district` with its status. A submission counts for the
    first deadline at or after it (so it answers one deadline, the one of its week); after a deadline passes
    without one, the org is late for it, and its first later submission is shown as the late one. A weekly
    deadline asks for the latest tables only "如数据有更新" (while data changes): an org whose tables on that
    day are still what it last submitted is not late."""
    now = now or now_local()
    district = district or district_org()  # a deployment of one district
    by_org = {}
    for submission in Submission.select(Submission.id, Submission.street, Submission.department,
                                        Submission.submitted_at, Submission.as_of).order_by(Submission.submitted_at):
        by_org.setdefault(submission.org_code, []).append(submission)
    boards, start = [], None
    for deadline in deadlines(campaign, "tables"):
        end = end_of_day(deadline.due)
        current = {}  # the district's tables on the deadline's day, computed only when a weekly one asks
        rows = []
        for code, name, kind in submitters(district):
            mine = by_org.get(code, [])
            on_time = [s for s in mine if (start is None or s.submitted_at >= start) and s.submitted_at < end]
            earlier = [s for s in mine if start is not None and s.submitted_at < start]
            if on_time:
                rows.append(OrgStatus(code, name, kind, "on_time", on_time[-1]))
            elif now < end:
                rows.append(OrgStatus(code, name, kind, "pending", None))
            elif deadline.weekly and earlier and _unchanged(code, earlier[-1], deadline.due, current, district):
                rows.append(OrgStatus(code, name, kind, "unchanged", earlier[-1]))
            else:
                later = next((s for s in mine if s.submitted_at >= end), None)
                rows.append(OrgStatus(code, name, kind, "late_submitted" if later else "late", later))
        boards.append(DeadlineBoard(deadline, rows))
        start = end
    return boards


def _unchanged(code, submission, day, current, district_org):
    """Whether the org's rows of every table it submitted are, on `day`, what `submission` froze."""
    frozen = document(Submission.get_by_id(submission.id))["tables"]
    if not current:
        district = Scope("district", district_org)
        current.update({str(n): campaign_tables.result(n, day, district).as_json() for n in campaign_tables.TABLES})
    for number, table in frozen.items():
        if table is None:
            continue
        now_rows = [r for r in current.get(number, {"rows": []})["rows"]
                    if code in (r.get("code"), r.get("department"))]
        if now_rows != table["rows"]:
            return False
    return True


def deadline_window(campaign, submitted_at):
    """The tables deadline a submission made at `submitted_at` answers (None: after the last one)."""
    return next((d for d in deadlines(campaign, "tables") if submitted_at < end_of_day(d.due)), None)

