"""Benchmark: a district's roster (底数清单) of 300,000 rows in one .xlsx (issue 18 item 7), and coverage as of a day.

    .venv/bin/python bench/roster.py                   # 300,000 rows, SQLite (a throwaway file)
    .venv/bin/python bench/roster.py --rows 30000      # a quicker run
    pg_virtualenv -v 15 sh -c '.venv/bin/python bench/roster.py --database-url postgresql:///postgres'

Loads the district of bench/city.py (one district: 14 街镇, 322 居委; in a separate process, so that the figures
below are the import's own), writes the roster as the street offices keep it (an .xlsx with a title row above its headers, Chinese headers, one row a unit), then prints one JSON object a
step: the preview (read the file, check every row against the 居委 and the roster), the import (the same, then
apply in one transaction and rebuild the coverage kept per 居委 and day), a second import of the same file (nothing
changes), and coverage of the district as of the campaign's last day and a past day; each with its seconds and the
process's peak resident memory so far. It asserts nothing about time.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import xlsxwriter  # noqa: E402

from bench.city import AS_OF, PAST, org_tree  # noqa: E402
from domain.org.permissions import street_codes  # noqa: E402
from domain.roster import coverage, files, imports  # noqa: E402
from models import User, bind_database, db  # noqa: E402


def roster_file(rows, communities):
    """An .xlsx of `rows` units as a street office keeps it: a title, then the headers, then a row a unit."""
    path = os.path.join(tempfile.mkdtemp(prefix="paimo-roster-"), "roster.xlsx")
    book = xlsxwriter.Workbook(path, {"constant_memory": True})  # row by row through a temporary file
    sheet = book.add_worksheet("实有房屋")
    sheet.write_row(0, 0, ["长宁区实有房屋清单（2023年3月）"])
    sheet.write_row(1, 0, ["序号", "居委代码", "详细地址", "房屋类型", "单位名称", "楼号"])
    for n in range(rows):
        community = communities[(n // 40) % len(communities)][0]  # as bench/city.py lays them out
        sheet.write_row(n + 2, 0, [n + 1, community, f"测试路{n // 40 + 1}弄{n % 40 + 1}号", "居民户", "",
                                   f"测试路{n // 40 + 1}弄"])
    book.close()
    with open(path, "rb") as fh:
        return fh.read()


def peak_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def step(name, began, **figures):
    print(json.dumps({"step": name, "rows": ARGS.rows, "engine": ENGINE, "seconds": round(time.perf_counter() - began, 2),
                      "peak_rss_mb": peak_mb(), **figures}, ensure_ascii=False), flush=True)


def main():
    url = ARGS.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='paimo-roster-')}/roster.db"
    # The district and its records (the same addresses the roster lists: most units are known already).
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "city.py"), "--database-url", url, "--units",
                    str(ARGS.rows), "--districts", "1", "--only", "none"], check=True, stdout=subprocess.DEVNULL)
    bind_database(url)
    db.connect(reuse_if_open=True)
    district = User.get(User.username == "bench_district")
    data = roster_file(ARGS.rows, org_tree(1)[1])
    print(json.dumps({"file_mb": round(len(data) / 2**20, 1), "peak_rss_mb_before": peak_mb()}), flush=True)

    began = time.perf_counter()
    planned = imports.plan(district, files.read_roster(data, max_rows=ARGS.rows).rows)
    step("preview", began, **{k: v for k, v in planned.figures().items() if k != "errors"}, errors=len(planned.errors))
    for name in ("import", "import again"):
        planned = None  # as in the app: the preview's plan is gone when the import is confirmed
        began = time.perf_counter()
        planned = imports.plan(district, files.read_roster(data, max_rows=ARGS.rows).rows)
        figures = imports.apply(district, planned)
        step(name, began, **{k: v for k, v in figures.items() if k != "errors"})
    streets = street_codes(district)
    for name, day in (("coverage district", AS_OF), ("coverage district past date", PAST)):
        began = time.perf_counter()
        for _ in range(5):
            found = coverage.coverage(day, streets)
        print(json.dumps({"step": name, "rows": ARGS.rows, "engine": ENGINE,
                          "seconds": round((time.perf_counter() - began) / 5, 3), "roster": found["total"]["roster"],
                          "coverage": found["total"]["coverage"]}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="an empty database (default: a throwaway SQLite file)")
    parser.add_argument("--rows", type=int, default=300_000)
    ARGS = parser.parse_args()
    ENGINE = "postgresql" if ARGS.database_url.startswith("postgres") else "sqlite"
    main()
