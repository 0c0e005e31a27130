"""Benchmark: what one new survey record costs inside the app — SQL statements per `POST /api/v1/surveys`, time
per request in one thread, and (with --profile) where that time goes.

    .venv/bin/python bench/survey_queries.py                  # SQLite, 300 records of each kind
    .venv/bin/python bench/survey_queries.py --profile        # and the 25 costliest functions
    pg_virtualenv -v 15 sh -c '.venv/bin/python bench/survey_queries.py --database-url postgresql:///postgres'

Serves the app in-process (Flask's test client, a bearer token as the PWA's scripts use), so the figures are
the app's own work without HTTP; bench/load.py measures the same route under concurrent clients.
"""
import argparse
import cProfile
import datetime
import os
import pstats
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from app import create_app  # noqa: E402
from commands import upgrade_database  # noqa: E402
from domain.common.clock import now_local  # noqa: E402
from domain.org import accounts  # noqa: E402
from models import Org, db  # noqa: E402

COMMUNITY = "310105001101"
HASH = "pbkdf2:sha256:1000"


def body(kind, n, visited_at):
    record = {"client_uuid": str(uuid.uuid4()), "community": COMMUNITY, "visited_at": visited_at,
              "outcome": "surveyed", "trainings": [], "purchases": [], "note": ""}
    if kind == "one tap":
        return {**record, "unit": {"type": "household", "address": f"压测路1弄{n % 200}号"}}
    return {**record, "unit": {"type": "shop", "address": f"压测路{n % 200}号", "name": "某某便利店"},
            "trainings": [{"institution": "上海某某消防培训中心", "institution_phone": "021-6000 0000",
                           "trainer_identity": "firefighter", "mode": "door_to_door", "date": "2023-02-14",
                           "fee": "200.00", "content": "灭火器使用", "products_pitched": True,
                           "engineering_solicited": False}],
            "purchases": [{"product": "fire_extinguisher", "quantity": 2, "amount": "560.00", "channel": "training",
                           "training": 0, "ccc_mark": False, "id_label": None, "sample_available": True}]}


class StatementCounter:
    """Counts the SQL statements the app sends (peewee's execute_sql), and BEGIN/COMMIT on SQLite."""

    def __init__(self, database):
        self.count = 0
        original = database.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return original(sql, params, *args, **kwargs)

        database.execute_sql = counting


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="an empty database (default: a throwaway SQLite file)")
    parser.add_argument("--records", type=int, default=300, help="records of each kind")
    parser.add_argument("--profile", action="store_true", help="print the costliest functions (cProfile)")
    parser.add_argument("--kind", choices=("one tap", "detailed"), action="append",
                        help="only this kind of record (default: both)")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{tmp.name}/bench.db"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "UPLOAD_DIR": tmp.name,
                      "PASSWORD_HASH_METHOD": HASH})
    with app.app_context():
        upgrade_database()
        Org.create(code=COMMUNITY, name="压测居委", kind="community", parent="310105001")
        user = accounts.create_user("bench_surveyor", "surveyor", COMMUNITY, "bench-password", HASH)
        token = accounts.issue_token(user, "bench")[1]
        db.close()
    counter = StatementCounter(db.obj)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    visited_at = (now_local() - datetime.timedelta(hours=1)).replace(microsecond=0).isoformat() + "+08:00"
    profiler = cProfile.Profile() if args.profile else None

    print(f"{db.obj.__class__.__name__}, {args.records} records of each kind, one thread, no HTTP")
    for kind in args.kind or ("one tap", "detailed"):
        for n in range(200):  # warm-up: every unit laid out (as buildings are before a door-to-door day)
            client.post("/api/v1/surveys", json=body(kind, n, visited_at), headers=headers)
        counter.count = 0
        began = time.perf_counter()
        if profiler:
            profiler.enable()
        for n in range(args.records):
            reply = client.post("/api/v1/surveys", json=body(kind, n, visited_at), headers=headers)
            assert reply.status_code == 201, reply.get_data(as_text=True)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - began
        print(f"  {kind:<9} {counter.count / args.records:5.1f} statements a record (unit laid out), "
              f"{seconds / args.records * 1000:6.2f} ms a request")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    tmp.cleanup()


if __name__ == "__main__":
    main()
