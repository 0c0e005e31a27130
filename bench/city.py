"""Benchmark: a synthetic city in one deployment (issue 17, design section 13), each page timed over HTTP.

    pg_virtualenv -v 15 sh -c '.venv/bin/python bench/city.py --database-url postgresql:///postgres'          # 10 M
    pg_virtualenv -v 15 sh -c '.venv/bin/python bench/city.py --database-url postgresql:///postgres --units 1000000'
    .venv/bin/python bench/city.py --units 300000 --districts 1     # one district on SQLite (a throwaway file)

Loads into the empty database given (PostgreSQL: COPY; SQLite: batched inserts) a city of `--units` units: 16
districts, 216 街镇, 5,025 居委 (scaled down with `--districts`), one record a unit and a second one for a tenth of
them (and a roster holding 49 units in 50), 10% trained and 2% suspect with their trainings and purchases (the institutions named are the district's own,
one in twenty one of 200 that work the whole city), a report per 2,000 units, a case referred per seven reports
and some institutions referred; rebuilds the kept state from them (`flask rebuild-state`); serves the
app with gunicorn as docs/deploy.md does (2 workers × 4 threads); then requests each page `--repeat` times (a
bearer token of the user whose page it is) and prints one JSON object per line:

    {"step": "附件1 city", "units": 10000000, "engine": "postgresql", "median_s": 0.41, "max_s": 0.52}

and `survey POST` as records a second under wrk (one-tap records, bench/wrk/paimo.lua) in place of seconds. It
asserts nothing about time. Growth: run it at 1, 3 and 10 million units.
"""
import argparse
import datetime
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.load import start_gunicorn, start_redis, wrk  # noqa: E402
from commands import upgrade_database  # noqa: E402
from domain.casework import mentions  # noqa: E402
from domain.common.normalise import address_key, institution_key  # noqa: E402
from domain.org import accounts  # noqa: E402
from domain.org.org_import import add_district_departments, import_orgs  # noqa: E402
from domain.public import posters  # noqa: E402
from domain.reporting.campaign import load_campaign_file  # noqa: E402
from domain.supervision import quality  # noqa: E402
from domain.survey import unit_state  # noqa: E402
from models import (  # noqa: E402
    Case, CaseEvent, Department, Referral, Report, ReportEvent, RosterSpan, Survey, Training, Unit, User,
    bind_database, db, is_sqlite, now_local,
)

DISTRICTS = [("310101", "黄浦区"), ("310104", "徐汇区"), ("310105", "长宁区"), ("310106", "静安区"), ("310107", "普陀区"),
             ("310109", "虹口区"), ("310110", "杨浦区"), ("310112", "闵行区"), ("310113", "宝山区"), ("310114", "嘉定区"),
             ("310115", "浦东新区"), ("310116", "金山区"), ("310117", "松江区"), ("310118", "青浦区"), ("310120", "奉贤区"),
             ("310151", "崇明区")]
STREETS, COMMUNITIES = 216, 5025
CHUNK = 250_000  # units generated and written at a time
HASH = "pbkdf2:sha256:1000"
START = datetime.datetime(2023, 3, 13, 9, 0)  # the campaign's 专项整治 phase
AS_OF, PAST = datetime.date(2023, 3, 31), datetime.date(2023, 3, 22)
ROSTER_DAY = datetime.date(2023, 3, 12)
SURVEYORS = 50  # accounts sending records at once in `survey POST many surveyors`
BURST_EVERY = 25  # lanes (of 40 units): one in this many is a planted burst (300 in a district of 300,000 units)


def org_tree(districts):
    """(CSV text, [(community code, street code, district code)]) of a city of `districts` districts."""
    chosen = DISTRICTS[:districts]
    streets_each = max(1, round(STREETS * districts / len(DISTRICTS)) // districts)
    communities_each = max(1, round(COMMUNITIES / STREETS))
    lines, communities = ["code,name,parent_code", "310000,上海市,"], []
    for code, name in chosen:
        lines.append(f"{code},{name},310000")
        for s in range(1, streets_each + 1):
            street = f"{code}{s:03d}"
            lines.append(f"{street},{name}第{s}街道,{code}")
            for c in range(1, communities_each + 1):
                community = f"{street}{c:03d}"
                lines.append(f"{community},{name}{s}街{c}居委,{street}")
                communities.append((community, street, code))
    return "\n".join(lines) + "\n", communities


def bulk(model, rows, columns):
    """Insert `rows` (tuples in `columns` order; every other column takes its field's default): COPY on PostgreSQL,
    batched INSERTs on SQLite. The defaults are the models' (peewee's, in Python), so they are filled in here."""
    if not rows:
        return
    rest = [f for f in model._meta.sorted_fields if f.name not in columns and f.name != "id"
            and f.default is not None]
    defaults = tuple(START if f.default is now_local else (f.default() if callable(f.default) else f.default)
                     for f in rest)
    columns = list(columns) + [f.name for f in rest]
    if is_sqlite():
        fields = [model._meta.fields[c] for c in columns]
        size = 30000 // len(fields)  # SQLite takes at most 32,766 values a statement
        with db.atomic():
            for start in range(0, len(rows), size):
                model.insert_many([row + defaults for row in rows[start:start + size]], fields=fields).execute()
        return
    names = ", ".join(f'"{model._meta.fields[c].column_name}"' for c in columns)
    with db.connection().cursor() as cursor:
        with cursor.copy(f'COPY "{model._meta.table_name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row + defaults)
    if "id" in columns:  # ids given: the sequence goes on after them
        db.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{model._meta.table_name}\"', 'id'), "
                       f'(SELECT MAX(id) FROM "{model._meta.table_name}"))')


def institution_name(rng, district, institutions):
    """A training institution named at a door in `district`: one of the district's own, one time in twenty one of
    200 that work the whole city."""
    if rng.random() < 0.05:
        return f"上海{rng.randrange(200)}号消防培训中心"
    return f"{district}区{rng.randrange(institutions)}号消防培训中心"


def next_id(model):
    return (model.select(model.id).order_by(model.id.desc()).scalar() or 0) + 1


def load(units, districts, rng):
    """The city's org tree, people and records; returns what the timed requests need."""
    text, communities = org_tree(districts)
    import_orgs(text)
    with open(os.path.join(ROOT, "data", "departments.csv"), encoding="utf-8") as fh:
        add_district_departments(fh.read())
    # Each 居委's records are its own surveyor's (an account that cannot log in: the quality signals read authors).
    surveyor_of = {code: next_id(User) + n for n, (code, _, _) in enumerate(communities)}
    bulk(User, [(surveyor_of[code], f"bench_{code}", "!", "surveyor", code) for code, _, _ in communities],
         ["id", "username", "password_hash", "role", "org"])
    # Units and their records, a chunk at a time (10 million units' rows at once would take several GB).
    survey_id = next_id(Survey)
    unit_id = next_id(Unit)
    institutions = max(50, units // 500 // districts)  # a district's own (door-to-door trainers keep to an area)
    for first in range(0, units, CHUNK):
        unit_rows, survey_rows, training_rows = [], [], []
        for n in range(first, min(units, first + CHUNK)):
            community = communities[(n // 40) % len(communities)][0]  # a lane of 40 units in one 居委
            address = f"测试路{n // 40 + 1}弄{n % 40 + 1}号"
            unit_rows.append((unit_id + n, community, address, address_key(address), "household", START))
            # A door knocked between 08:00 and 20:00 on one of the phase's 17 days (START is 09:00).
            visits = [START + datetime.timedelta(days=rng.randrange(17), minutes=rng.randrange(-60, 11 * 60))]
            if (n // 40) % BURST_EVERY == 0:  # a planted burst: the lane's 40 doors "visited" 12 s apart
                lane_start = START + datetime.timedelta(days=(n // 40) % 17, hours=10)
                visits = [lane_start + datetime.timedelta(seconds=12 * (n % 40))]
            if rng.random() < 0.1:  # visited again later: absent first
                visits.append(visits[0] + datetime.timedelta(days=rng.randrange(1, 4)))
            for index, visited_at in enumerate(visits):
                roll = rng.random()
                last = index == len(visits) - 1
                outcome = ("absent" if not last
                           else ("surveyed" if roll < 0.9 else ("absent" if roll < 0.97 else "refused")))
                trained, suspect = outcome == "surveyed" and roll < 0.1, outcome == "surveyed" and roll < 0.02
                survey_rows.append((survey_id, str(uuid.UUID(int=rng.getrandbits(128))), unit_id + n, community,
                                    surveyor_of[community], visited_at, outcome, "household", trained, suspect,
                                    "bench", visited_at, visited_at))
                if trained:
                    name = institution_name(rng, communities[(n // 40) % len(communities)][2], institutions)
                    training_rows.append((survey_id, 0, name, institution_key(name), "", "", "firefighter",
                                          "door_to_door", 20000 if suspect else 0, suspect,
                                          "door_to_door_fee impersonation" if suspect else ""))
                survey_id += 1
        bulk(Unit, unit_rows, ["id", "community", "address", "address_key", "type", "created_at"])
        # The streets' rosters (底数清单), imported the day before the campaign: all but one unit in fifty.
        bulk(RosterSpan, [(row[0], row[1], ROSTER_DAY) for row in unit_rows if row[0] % 50],
             ["unit", "community", "added_on"])
        bulk(Survey, survey_rows, ["id", "client_uuid", "unit", "community", "surveyor", "visited_at", "outcome",
                                   "unit_type", "trained", "suspect", "body_hash", "created_at", "updated_at"])
        bulk(Training, training_rows, ["survey", "position", "institution", "institution_key", "institution_phone",
                                       "phone_digits", "trainer_identity", "mode", "fee_fen", "suspect", "flags"])
    # Reports, some referred, as residents and streets leave them.
    report_rows, event_rows = [], []
    report_id = next_id(Report)
    for n in range(max(10, units // 2000)):
        community, street, district = communities[rng.randrange(len(communities))]
        at = START + datetime.timedelta(minutes=rng.randrange(60 * 24 * 17))
        name = institution_name(rng, district, institutions) if n % 3 else ""
        report_rows.append((report_id + n, f"B{report_id + n:09d}", community, street, district, "上门收费培训",
                            name, institution_key(name), "", "new", "door_to_door_fee", True, at, at))
        event_rows.append((report_id + n, "new", at, "群众提交"))
    bulk(Report, report_rows, ["id", "number", "community", "street", "district", "description", "institution",
                               "institution_key", "phone_digits", "status", "flags", "suspect", "created_at",
                               "updated_at"])
    bulk(ReportEvent, event_rows, ["report", "status", "at", "note"])
    referred = [row for index, row in enumerate(report_rows) if index % 7 == 1]
    departments = {d.district_id: d.code for d in Department.select().where(Department.plan == "gongan")}
    on_20 = START + datetime.timedelta(days=7)
    Case.insert_many([{"anchor": f"r:{row[0]}" if not row[6] else f"n:{row[7]}", "kind": "report", "created_at": START}
                      for row in referred]).on_conflict_ignore().execute()
    case_of = dict(Case.select(Case.anchor, Case.id).tuples())
    for row in referred:
        anchor = f"r:{row[0]}" if not row[6] else f"n:{row[7]}"
        referral = Referral.create(case=case_of[anchor], department=departments.get(row[4]), referred_at=on_20,
                                   updated_at=on_20)
        CaseEvent.create(case=case_of[anchor], referral=referral, action="referred", at=on_20)
    # The kept state of all that, as `flask --app app rebuild-state` builds it.
    began = time.perf_counter()
    unit_state.rebuild()
    kept_mentions = mentions.rebuild()
    signals = quality.rebuild()
    print(f"kept state rebuilt in {time.perf_counter() - began:.1f} s ({kept_mentions:,} mentions, "
          f"{signals:,} quality signals)", file=sys.stderr)
    load_campaign_file(os.path.join(ROOT, "data", "campaign-2023.json"))
    posters.create_poster(None, communities[0][0], "1号楼门厅")
    return targets(districts)


def targets(districts):
    """The people whose pages are timed (created the first time, a new token each run) and the records they open."""
    community, street, district = org_tree(districts)[1][0]
    people = {}
    for name, role, org in (("bench_city", "city", "310000"), ("bench_district", "district", district),
                            ("bench_street", "street", street), ("bench_surveyor", "surveyor", community)):
        user = (User.get_or_none(User.username == name)
                or accounts.create_user(name, role, org, secrets.token_hex(8), HASH))
        people[role] = accounts.issue_token(user, "bench")[1]
    # Surveyors of fifty 居委 for `survey POST many surveyors` (each a token, as the PWA's scripts use).
    crew = []
    for code, _, _ in org_tree(districts)[1][:SURVEYORS]:
        user = (User.get_or_none(User.username == f"bench_crew_{code}")
                or accounts.create_user(f"bench_crew_{code}", "surveyor", code, secrets.token_hex(8), HASH))
        crew.append(f"{accounts.issue_token(user, 'bench')[1]}:{code}")
    department = Department.get(Department.district == district, Department.plan == "gongan")
    case = (Case.select(Case.id).join(Referral).where(Referral.department == department)
            .order_by(Case.id).first())
    report = Report.select(Report.number).where(Report.district == district).first()
    return {"tokens": people, "crew": ",".join(crew), "district": district, "street": street, "community": community,
            "case": case.id if case else None, "report": report.number if report else ""}


def timed(url, token, repeat, method="GET", body=None):
    """(median, max) seconds of `repeat` requests, each read to its end, and the bytes of the answer; a failed one
    stops the run."""
    seconds, size = [], 0
    for _ in range(repeat):
        request = urllib.request.Request(url, method=method, data=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "text/html"})
        began = time.perf_counter()
        with urllib.request.urlopen(request, timeout=600) as reply:
            size = len(reply.read())
            if reply.status >= 400:
                sys.exit(f"{url}: {reply.status}")
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), max(seconds), size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="an empty database (default: a throwaway SQLite file)")
    parser.add_argument("--units", type=int, default=10_000_000)
    parser.add_argument("--districts", type=int, default=16, help="of the city's 16 (its streets and 居委 scale too)")
    parser.add_argument("--repeat", type=int, default=5, help="requests per page (the median is printed)")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="seconds of one-tap records under wrk")
    parser.add_argument("--only", default="", help="comma-separated parts of step names (default: all)")
    parser.add_argument("--reuse", action="store_true",
                        help="time a database this script loaded before (same --units and --districts): no load")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="paimo-city-")
    database_url = args.database_url or f"sqlite:///{workdir}/city.db"
    engine = "postgresql" if database_url.startswith("postgres") else "sqlite"
    bind_database(database_url)
    db.connect(reuse_if_open=True)
    upgrade_database()
    if args.reuse:
        world = targets(args.districts)
    elif Unit.select().exists():
        sys.exit("the database already has units: give an empty one (or --reuse it)")
    else:
        began = time.perf_counter()
        world = load(args.units, args.districts, random.Random(17))
        db.execute_sql("ANALYZE")
        print(f"{engine}: {args.units:,} units in {args.districts} districts loaded in "
              f"{time.perf_counter() - began:.0f} s", file=sys.stderr)
    db.close()

    redis, storage = start_redis(workdir)
    server_args = argparse.Namespace(workers=2, threads=4, no_pool=False, app_dir=ROOT)
    server, url = start_gunicorn(server_args, database_url, storage, workdir)
    tokens = world["tokens"]
    as_of, past = f"as_of={AS_OF}", f"as_of={PAST}"
    steps = [
        ("附件1 city", f"/tables/?{as_of}", "city"),
        ("附件1 district", f"/tables/?{as_of}", "district"),
        ("附件1 street", f"/tables/?{as_of}", "street"),
        ("附件1 street past date", f"/tables/?{past}", "street"),
        ("附件1 city past date", f"/tables/?{past}", "city"),
        ("case list district", "/cases/", "district"),
        ("case list street", "/cases/", "street"),
        ("case page", f"/cases/{world['case']}", "district"),
        ("status", f"/r/status?number={world['report']}", "district"),
        ("problem list district", f"/tables/problems?{as_of}", "district"),
        ("附件2 district", f"/tables/2?{as_of}", "district"),
        ("附件3 district", f"/tables/3?{as_of}", "district"),
        ("progress district", "/survey/progress", "district"),
        ("reports district", "/reports/", "district"),
        ("home district", "/", "district"),
        ("home city", "/", "city"),
        ("coverage city", f"/api/v1/coverage?{as_of}", "city"),
        ("coverage district past date", f"/api/v1/coverage?{past}", "district"),
        # 考核排名 (issue 19): the city's districts (target 2 s at 10 M on PostgreSQL), a district's streets (2 s for a
        # district of 300,000 on SQLite), its departments, and the ranking page.
        # Quality signals (issue 19; a burst planted in one lane in BURST_EVERY): a district's and a street's.
        ("signals district", f"/api/v1/quality?{as_of}", "district"),
        ("signals street", f"/api/v1/quality?{as_of}", "street"),
        ("signals page street", f"/quality/?{as_of}&status=", "street"),
        ("ranking city", f"/api/v1/ranking?{as_of}", "city"),
        ("ranking district", f"/api/v1/ranking?{as_of}", "district"),
        ("ranking departments district", f"/api/v1/ranking?{as_of}&level=department", "district"),
        ("ranking page district", f"/ranking/?{as_of}", "district"),
    ]
    only = [part for part in args.only.split(",") if part]
    try:
        for step, path, who in steps:
            if only and not any(part in step for part in only):
                continue
            median, most, size = timed(url + path, tokens[who], args.repeat)
            print(json.dumps({"step": step, "units": args.units, "engine": engine, "median_s": round(median, 3),
                              "max_s": round(most, 3), "kb": round(size / 1024, 1)}, ensure_ascii=False), flush=True)
        if not only or any(part in "submission street" for part in only):
            body = json.dumps({"as_of": AS_OF.isoformat()}).encode()
            median, most, _ = timed(url + "/api/v1/submissions", tokens["street"], args.repeat, "POST", body)
            print(json.dumps({"step": "submission street", "units": args.units, "engine": engine,
                              "median_s": round(median, 3), "max_s": round(most, 3)}, ensure_ascii=False), flush=True)
        if not only or any(part in "survey POST" for part in only):
            figures = wrk(url + "/api/v1/surveys", args.wrk_seconds, argparse.Namespace(wrk_threads=2, connections=8),
                          PAIMO_TOKEN=tokens["surveyor"], PAIMO_EXPECT="201", PAIMO_RECORD="one_tap",
                          PAIMO_COMMUNITY=world["community"], PAIMO_RUN=secrets.token_hex(4),
                          PAIMO_VISITED_AT="2023-03-30T10:15:00+08:00")
            print(json.dumps({"step": "survey POST", "units": args.units, "engine": engine,
                              "records_per_s": round(figures["rps"], 1), "errors": figures["errors"]},
                             ensure_ascii=False), flush=True)
        if not only or any(part in "survey POST many surveyors" for part in only):
            # The same, sent by fifty surveyors of fifty 居委, each visit at its own moment of yesterday's working
            # day: what a city's phones send. One account sending 400 records a second at one moment (the step
            # above) is itself a 速度异常, and every one of its records asks for its signals to be looked at.
            yesterday = (now_local() - datetime.timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
            figures = wrk(url + "/api/v1/surveys", args.wrk_seconds, argparse.Namespace(wrk_threads=2, connections=8),
                          PAIMO_SURVEYORS=world["crew"], PAIMO_EXPECT="201", PAIMO_RECORD="one_tap",
                          PAIMO_RUN=secrets.token_hex(4), PAIMO_VISITED_AT=yesterday.isoformat(),
                          PAIMO_SPREAD_SECONDS="36000")
            print(json.dumps({"step": "survey POST many surveyors", "units": args.units, "engine": engine,
                              "records_per_s": round(figures["rps"], 1), "errors": figures["errors"]},
                             ensure_ascii=False), flush=True)
    finally:
        server.terminate()
        server.wait(10)
        if redis is not None:
            redis.terminate()


if __name__ == "__main__":
    main()
