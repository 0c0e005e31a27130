"""Benchmark: 附件1 and its workbook on a district-sized data set.

    .venv/bin/python bench/table1.py                   # 300,000 units, a throwaway SQLite file
    .venv/bin/python bench/table1.py --units 30000     # a quicker run
    pg_virtualenv -v 15 sh -c '.venv/bin/python bench/table1.py --database-url postgresql:///postgres'

Loads 10 streets and 189 居委, `--units` units with one record each (8% of them visited twice: absent
first, then surveyed), 10% trained, 2% with a suspect training (institutions drawn from a pool, with name
variants and shared phones) and their purchases, some reports and referred cases, and a month of 附件2/附件3
entries and posters, with bulk inserts. Then prints the time of the bare SQL aggregate, and the time and peak
memory of computing 附件1 (with the institutions matched), 附件2, 附件3, of writing the workbooks and of
freezing a street's submission. It prints figures and asserts nothing about time.
"""
import argparse
import datetime
import io
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from peewee import chunked  # noqa: E402

from commands import upgrade_database  # noqa: E402
from domain.casework.institutions import problem_list  # noqa: E402
from domain.common.normalise import address_key, institution_key, phone_digits  # noqa: E402
from domain.reporting.campaign import load_campaign_file  # noqa: E402
from domain.reporting.campaign_tables import result, results_for  # noqa: E402
from domain.reporting.submissions import frozen_tables  # noqa: E402
from domain.reporting.summary import draft_summary  # noqa: E402
from domain.reporting.tabledef import Scope  # noqa: E402
from domain.reporting.tables import table1  # noqa: E402
from domain.survey import unit_state  # noqa: E402
from domain.reporting.workbook import write_table1, write_workbook  # noqa: E402
from models import (  # noqa: E402
    ActionEntry,
    Case,
    CaseEvent,
    Org,
    Poster,
    Purchase,
    Referral,
    Report,
    ReportEvent,
    SpotCheck,
    Survey,
    Training,
    Unit,
    bind_database,
    db,
)

COMMUNITIES = 189
AS_OF = datetime.date(2023, 3, 29)
CHUNK = 2000


def insert(model, rows):
    """Bulk insert in chunks inside one transaction per chunk; returns nothing."""
    for batch in chunked(rows, CHUNK):
        with db.atomic():
            model.insert_many(batch).execute()


def load(units, seed=4):
    rng = random.Random(seed)
    streets = [o.code for o in Org.select().where(Org.kind == "street").order_by(Org.code)]
    communities = [f"{streets[i % len(streets)]}{100 + i:03d}" for i in range(COMMUNITIES)]
    insert(Org, [{"code": code, "name": f"第{i + 1}居委", "kind": "community", "parent": code[:9]}
                 for i, code in enumerate(communities)])

    start = datetime.datetime(2023, 3, 1, 9)
    unit_rows = []
    for i in range(units):
        address = f"测试路{i // 40 + 1}弄{i % 40 + 1}号"
        kind = "household" if rng.random() < 0.85 else rng.choice(["shop", "enterprise", "school", "other"])
        unit_rows.append({"community": communities[i % COMMUNITIES], "address": address,
                          "address_key": address_key(address), "type": kind, "created_at": start})
    insert(Unit, unit_rows)
    unit_ids = [u for (u,) in Unit.select(Unit.id).order_by(Unit.id).tuples()]

    pool = [(f"上海{n}号消防培训中心", f"1380000{n:04d}") for n in range(300)]
    survey_rows, suspects, trained = [], [], []
    for unit_id, unit in zip(unit_ids, unit_rows):
        visited = start + datetime.timedelta(minutes=rng.randrange(60 * 24 * 30))
        roll = rng.random()
        outcome = "surveyed" if roll < 0.90 else ("absent" if roll < 0.97 else "refused")
        common = {"unit": unit_id, "community": unit["community"], "unit_type": unit["type"], "body_hash": "bench",
                  "created_at": visited, "updated_at": visited}
        if rng.random() < 0.08:  # an earlier visit nobody answered
            survey_rows.append({**common, "client_uuid": str(uuid.uuid4()), "outcome": "absent",
                                "visited_at": visited - datetime.timedelta(days=3)})
        is_suspect = outcome == "surveyed" and rng.random() < 0.02
        is_trained = outcome == "surveyed" and (is_suspect or rng.random() < 0.08)
        survey_rows.append({**common, "client_uuid": str(uuid.uuid4()), "outcome": outcome, "visited_at": visited,
                            "trained": is_trained, "suspect": is_suspect})
        if is_suspect:
            suspects.append(survey_rows[-1]["client_uuid"])
        elif is_trained:
            trained.append(survey_rows[-1]["client_uuid"])
    insert(Survey, survey_rows)
    ids = dict(Survey.select(Survey.client_uuid, Survey.id).where(Survey.trained == True).tuples())  # noqa: E712

    training_rows = []
    for client_uuid in suspects:
        name, phone = rng.choice(pool)
        if rng.random() < 0.3:
            name = name.replace("中心", "中心有限公司")
        training_rows.append({"survey": ids[client_uuid], "position": 0, "institution": name,
                              "institution_key": institution_key(name), "institution_phone": phone,
                              "phone_digits": phone_digits(phone), "trainer_identity": "firefighter",
                              "mode": "door_to_door", "fee_fen": 20000, "content": "灭火器使用",
                              "products_pitched": True, "flags": "sells_products door_to_door_fee impersonation",
                              "suspect": True})
    for client_uuid in trained:
        training_rows.append({"survey": ids[client_uuid], "position": 0, "institution": "上海消防安全培训学校",
                              "institution_key": "上海消防安全培训学校", "trainer_identity": "institution",
                              "mode": "gathering"})
    insert(Training, training_rows)
    suspect_trainings = list(Training.select(Training.id, Training.survey).where(Training.suspect == True)  # noqa: E712
                             .tuples())
    insert(Purchase, [{"survey": survey, "position": 0, "product": "fire_extinguisher", "quantity": 2,
                       "amount_fen": 56000, "channel": "training", "training": training}
                      for training, survey in suspect_trainings])

    reports = max(10, units // 600)
    report_rows = []
    for n in range(reports):
        name, phone = rng.choice(pool)
        community = communities[n % COMMUNITIES]
        report_rows.append({"number": f"B{n:09d}", "community": community, "street": community[:9],
                            "description": "上门推销", "institution": name, "institution_key": institution_key(name),
                            "institution_phone": phone, "phone_digits": phone_digits(phone),
                            "status": "unfounded" if n % 10 == 0 else "new", "suspect": True,
                            "created_at": start + datetime.timedelta(days=n % 28)})
    insert(Report, report_rows)
    report_ids = [r for (r,) in Report.select(Report.id).order_by(Report.id).tuples()]
    insert(ReportEvent, [{"report": r, "status": "new", "at": start} for r in report_ids])
    # One report in seven is a case referred to 公安 on day 20, half of them penalised on day 25 (issue 9's
    # Case, Referral and CaseEvent: each step with its time).
    referred = [(i, r) for i, r in enumerate(report_ids) if i % 7 == 1]
    insert(Case, [{"anchor": f"r:{r}", "kind": "report", "created_at": start} for _, r in referred])
    case_of = dict(Case.select(Case.anchor, Case.id).tuples())
    on_20, on_25 = start + datetime.timedelta(days=20), start + datetime.timedelta(days=25)
    insert(Referral, [{"case": case_of[f"r:{r}"], "department": "gongan", "community": report_rows[i]["community"],
                       "referred_at": on_20, "updated_at": on_20} for i, r in referred])
    steps = []
    for n, (referral, case) in enumerate(Referral.select(Referral.id, Referral.case).tuples()):
        steps.append({"case": case, "referral": referral, "action": "referred", "at": on_20})
        if n % 2:
            steps.append({"case": case, "referral": referral, "action": "penalised", "at": on_25, "case_opened": True,
                          "fine_fen": 500000})
    insert(CaseEvent, steps)
    # 附件2 and 附件3 entries and posters: a few per street and department and day, as in real use.
    days = [(start + datetime.timedelta(days=d)).date() for d in range(28)]
    insert(SpotCheck, [{"client_uuid": str(uuid.uuid4()), "department": "shichang", "channel": "store",
                        "product": "fire_extinguisher", "date": day, "batches": 3, "failed": 1, "body_hash": "bench",
                        "created_at": start} for day in days])
    insert(ActionEntry, [{"client_uuid": str(uuid.uuid4()), "street": street, "date": day, "inspectors": 10,
                          "publicity_events": 1, "body_hash": "bench", "created_at": start}
                         for street in streets for day in days])
    insert(Poster, [{"code": f"P{n:06d}", "community": communities[n % COMMUNITIES], "location": "门厅",
                     "created_at": start} for n in range(COMMUNITIES * 3)])
    unit_state.rebuild()  # the kept state of what was bulk-loaded behind the app's back
    return len(survey_rows), len(training_rows), reports


def measure(label, func):
    """Run func twice: once for time, once under tracemalloc for the peak of Python allocations."""
    began = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - began
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<40} {seconds:8.2f} s   peak Python memory {peak / 1e6:7.1f} MB")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=300_000)
    parser.add_argument("--database-url", default="", help="an empty database (default: a throwaway SQLite file)")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{tmp.name}/bench.db"
    bind_database(url)
    db.connect(reuse_if_open=True)
    upgrade_database()
    if Unit.select().exists():
        sys.exit("the database already has units: give an empty one")

    began = time.perf_counter()
    surveys, trainings, reports = load(args.units)
    print(f"{db.obj.__class__.__name__}: loaded {args.units:,} units, {surveys:,} records, {trainings:,} trainings, "
          f"{reports:,} reports in {time.perf_counter() - began:.1f} s")
    if url.startswith("sqlite"):
        db.execute_sql("ANALYZE")
    else:
        db.execute_sql("ANALYZE")

    measure("kept figures as of D (per 居委)", lambda: unit_state.figures_as_of(AS_OF))
    table = measure("附件1, district (with institutions)", lambda: table1(AS_OF))
    street = Org.get(Org.kind == "street")
    measure("附件1, one street", lambda: table1(AS_OF, street))
    problems = measure("问题清单, district", lambda: problem_list(AS_OF))

    def workbook():
        out = io.BytesIO()
        write_table1(table, problems, out)
        return out.getbuffer().nbytes

    size = measure("workbook (.xlsx, 3 sheets)", workbook)
    district = Scope("district", Org.get(Org.kind == "district"))
    measure("附件2, district", lambda: result(2, AS_OF, district))
    measure("附件3, district", lambda: result(3, AS_OF, district))

    def all_tables():
        out = io.BytesIO()
        write_workbook(results_for(district, AS_OF), out, problems=problems)
        return out.getbuffer().nbytes

    measure("workbook of all three tables", all_tables)
    measure("报送 (freeze one street's tables)", lambda: frozen_tables(Scope("street", street), AS_OF))
    campaign = load_campaign_file(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                                               "campaign-2023.json"))
    measure("工作总结 draft (district, 2 phases)", lambda: len(draft_summary(district, campaign, AS_OF)))
    from domain.casework import cases
    from models import User

    district_user = User(role="district", org=district.org)
    street_user = User(role="street", org=street)
    measure("案件列表, district (every case as of D)", lambda: len(cases.cases_for(district_user, AS_OF)))
    measure("案件列表, one street", lambda: len(cases.cases_for(street_user, AS_OF)))
    print(f"total: {table.total['surveyed']:,} surveyed, {table.total['suspect']:,} suspect, "
          f"{table.total['institutions']} institutions; {len(problems)} problem-list rows; workbook {size:,} bytes")
    print(f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    db.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()
