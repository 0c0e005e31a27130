"""Benchmark: requests/s and latency of the survey API, the public report page and 附件1 under concurrent
clients on loopback, beside `/healthz` of the same server (issue 11, item 5).

    .venv/bin/python bench/load.py                     # SQLite, 10 s per target
    .venv/bin/python bench/load.py --duration 3        # a quicker run
    pg_virtualenv -v 15 sh -c '.venv/bin/python bench/load.py --database-url postgresql:///postgres'

Loads a street with `--units` surveyed units into a throwaway SQLite file (or the empty database given), makes
a 居委 worker and a street user with API tokens and a poster, starts gunicorn as `make run` and docs/deploy.md
do (2 workers × 4 threads, Redis for the counters when redis-server is installed), then runs wrk
(`bench/wrk/paimo.lua`) against each target for `--duration` seconds with `--connections` clients and prints
requests/s, p50/p95/p99, errors (any answer but the expected status counts) and the ratio to /healthz.
`--app-dir DIR` serves another checkout of the same schema (before/after a change). `--no-pool` serves with `DATABASE_POOL=0` (a connection opened and closed per request, as before issue 11).
It asserts nothing about time; its exit status is 1 when any request failed or answered another status than
expected. Needs wrk (`apt-get install -y wrk`). The machine's load average is printed before and after: wrk,
the servers and anything else running share the same cores.
"""
import argparse
import datetime
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from peewee import chunked  # noqa: E402

from commands import upgrade_database  # noqa: E402
from domain.common.clock import now_local  # noqa: E402
from domain.common.normalise import address_key  # noqa: E402
from domain.org import accounts  # noqa: E402
from domain.public import posters  # noqa: E402
from domain.survey import unit_state  # noqa: E402
from models import Org, Survey, Training, Unit, bind_database, db  # noqa: E402

LUA = os.path.join(ROOT, "bench", "wrk", "paimo.lua")
STREET = "310105001"  # 华阳路街道, shipped with the default org tree
COMMUNITIES = [f"{STREET}{n:03d}" for n in range(101, 121)]  # 20 居委
HASH = "pbkdf2:sha256:1000"  # logins are not measured here; the API uses tokens


def seed(units, rng):
    """The street's 居委, `units` units with one record each (10% trained, 2% suspect), two users with tokens
    and a poster. Returns the tokens and the poster's code."""
    Org.insert_many([{"code": code, "name": f"压测{n + 1}居委", "kind": "community", "parent": STREET}
                     for n, code in enumerate(COMMUNITIES)]).execute()
    day = datetime.datetime.combine(now_local().date(), datetime.time(9)) - datetime.timedelta(days=20)
    rows = []
    for n in range(units):
        address = f"测试路{n // 40 + 1}弄{n % 40 + 1}号"
        rows.append({"community": COMMUNITIES[n % len(COMMUNITIES)], "address": address,
                     "address_key": address_key(address), "type": "household"})
    for batch in chunked(rows, 2000):
        with db.atomic():
            Unit.insert_many(batch).execute()
    surveys = []
    for unit_id, community in Unit.select(Unit.id, Unit.community).tuples():
        roll = rng.random()
        surveys.append({"client_uuid": str(uuid.uuid4()), "unit": unit_id, "community": community,
                        "visited_at": day + datetime.timedelta(minutes=rng.randrange(60 * 24 * 19)),
                        "outcome": "surveyed" if roll < 0.9 else ("absent" if roll < 0.97 else "refused"),
                        "unit_type": "household", "body_hash": "bench", "trained": roll < 0.1,
                        "suspect": roll < 0.02})
    for batch in chunked(surveys, 2000):
        with db.atomic():
            Survey.insert_many(batch).execute()
    trainings = [{"survey": survey_id, "position": 0, "institution": f"上海{survey_id % 50}号消防培训中心",
                  "institution_key": f"上海{survey_id % 50}号消防培训中心", "trainer_identity": "firefighter",
                  "mode": "door_to_door", "fee_fen": 20000, "suspect": suspect,
                  "flags": "door_to_door_fee impersonation" if suspect else ""}
                 for survey_id, suspect in Survey.select(Survey.id, Survey.suspect).where(Survey.trained).tuples()]
    for batch in chunked(trainings, 2000):
        with db.atomic():
            Training.insert_many(batch).execute()
    unit_state.rebuild()  # the kept state of what was bulk-loaded behind the app's back
    surveyor = accounts.create_user("bench_surveyor", "surveyor", COMMUNITIES[0], secrets.token_hex(8), HASH)
    street = accounts.create_user("bench_street", "street", STREET, secrets.token_hex(8), HASH)
    poster = posters.create_poster(None, COMMUNITIES[0], "1号楼门厅")
    return accounts.issue_token(surveyor, "bench")[1], accounts.issue_token(street, "bench")[1], poster.code


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(workdir):
    """A throwaway redis-server on loopback, or None when it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None, "memory://"
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return process, f"redis://127.0.0.1:{port}/0"


def start_gunicorn(args, database_url, storage_uri, workdir):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(16),
           "RATELIMIT_STORAGE_URI": storage_uri, "UPLOAD_DIR": os.path.join(workdir, "uploads"),
           "PASSWORD_HASH_METHOD": HASH, "DATABASE_POOL": "0" if args.no_pool else "1"}
    # --worker-connections: a worker takes no more connections than it has threads. wrk opens all its keep-alive
    # connections at the start and a gthread worker keeps the ones it accepts, so they could all land on one
    # worker (one core; measured: 225-239 records/s against 252-296 spread at 10 M units); phones behind nginx
    # open and close connections all day, which spreads them over the workers.
    command = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--threads", str(args.threads),
               "--worker-connections", str(args.threads), "--bind", f"127.0.0.1:{port}", "--no-control-socket", "app:create_app()"]
    process = subprocess.Popen(command, cwd=args.app_dir, env=env, stdout=subprocess.DEVNULL,
                               stderr=open(os.path.join(workdir, "gunicorn.log"), "w"))
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return process, url
        except OSError:
            if process.poll() is not None:
                sys.exit(f"gunicorn exited at start: see {workdir}/gunicorn.log")
            time.sleep(0.1)
    process.kill()
    sys.exit("gunicorn did not answer /healthz within 20 s")


def wrk(url, seconds, args, **env):
    """Run wrk against `url`; returns the figures `bench/wrk/paimo.lua` prints."""
    command = ["wrk", "--threads", str(args.wrk_threads), "--connections", str(args.connections),
               "--duration", f"{seconds}s", "--timeout", "10s", "--script", LUA, url]
    reply = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True)
    if reply.returncode:
        sys.exit(f"wrk failed ({reply.returncode}): {reply.stderr.strip() or reply.stdout.strip()}")
    line = next(line for line in reply.stdout.splitlines() if line.startswith("WRK_JSON "))
    figures = json.loads(line[len("WRK_JSON "):])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = (figures["connect"] + figures["read"] + figures["write"] + figures["timeout"]
                         + figures["unexpected"])
    if reply.stderr.strip():
        print(reply.stderr.strip(), file=sys.stderr)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="an empty database (default: a throwaway SQLite file)")
    parser.add_argument("--units", type=int, default=20_000, help="surveyed units loaded before the run")
    parser.add_argument("--duration", type=int, default=10, help="seconds per target")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--only", default="", help="comma-separated parts of target names (default: all)")
    parser.add_argument("--no-pool", action="store_true", help="DATABASE_POOL=0: a connection per request")
    parser.add_argument("--app-dir", default=ROOT, help="serve another checkout (before/after a change)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")

    workdir = tempfile.mkdtemp(prefix="paimo-load-")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.db"
    bind_database(database_url)
    db.connect(reuse_if_open=True)
    upgrade_database()
    if Unit.select().exists():
        sys.exit("the database already has units: give an empty one")
    began = time.perf_counter()
    surveyor_token, street_token, code = seed(args.units, random.Random(11))
    db.execute_sql("ANALYZE")
    db.close()
    print(f"{'PostgreSQL' if database_url.startswith('postgres') else 'SQLite'}: {args.units:,} units loaded in "
          f"{time.perf_counter() - began:.1f} s; gunicorn {args.workers} workers × {args.threads} threads"
          f"{', no pool' if args.no_pool else ''}, wrk {args.connections} connections, {args.duration} s per target; "
          f"load average {os.getloadavg()[0]:.1f}")

    redis, storage_uri = start_redis(workdir)
    server, url = start_gunicorn(args, database_url, storage_uri, workdir)
    visited_at = (now_local() - datetime.timedelta(hours=1)).replace(microsecond=0).isoformat() + "+08:00"
    survey = {"PAIMO_TOKEN": surveyor_token, "PAIMO_COMMUNITY": COMMUNITIES[0], "PAIMO_EXPECT": "201",
              "PAIMO_VISITED_AT": visited_at}
    targets = [
        ("GET /healthz", "/healthz", {}),
        ("POST /api/v1/surveys (one tap)", "/api/v1/surveys", {**survey, "PAIMO_RECORD": "one_tap"}),
        ("POST /api/v1/surveys (detailed)", "/api/v1/surveys", {**survey, "PAIMO_RECORD": "detailed"}),
        ("GET /r/<code>", f"/r/{code}", {}),
        ("GET /api/v1/tables/1 (street)", "/api/v1/tables/1", {"PAIMO_TOKEN": street_token}),
    ]
    if args.only:
        wanted = args.only.split(",")
        targets = [t for t in targets if t[0] == "GET /healthz" or any(w in t[0] for w in wanted)]
    try:
        wrk(url + "/healthz", 2, args)  # warm-up: gthread workers measure well only after one
        print(f"\n| target | requests/s | p50 ms | p95 ms | p99 ms | errors | × /healthz |\n|---|---|---|---|---|---|---|")
        reference, failed = None, 0
        for label, path, env in targets:
            run = {"PAIMO_RUN": secrets.token_hex(4), **env}
            figures = wrk(url + path, args.duration, args, **run)
            reference = reference or figures["rps"]
            failed += figures["errors"]
            print(f"| {label} | {figures['rps']:,.0f} | {figures['p50'] / 1000:.1f} | {figures['p95'] / 1000:.1f} "
                  f"| {figures['p99'] / 1000:.1f} | {figures['errors']} | {figures['rps'] / reference:.2f} |",
                  flush=True)
    finally:
        server.terminate()
        server.wait(20)
        if redis is not None:
            redis.terminate()
            redis.wait(10)
    bind_database(database_url)
    print(f"\nrecords stored: {Survey.select().count():,}; load average {os.getloadavg()[0]:.1f}; "
          f"errors: {failed}")
    db.close()
    shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
