"""bench/load.py keeps working (issue 11, item 5): a one-second run of every target against a fresh database of
the engine in use, with wrk, answers every request as expected. The figures themselves are for bench/README.md;
nothing here depends on how fast they are."""
import os
import re
import subprocess
import sys
import uuid

from tests.conftest import ON_POSTGRES, _admin_sql, _pg_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ("GET /healthz", "POST /api/v1/surveys (one tap)", "POST /api/v1/surveys (detailed)", "GET /r/<code>",
           "GET /api/v1/tables/1 (street)")


def test_the_load_bench_runs_every_target_without_errors():
    command = [sys.executable, os.path.join(ROOT, "bench", "load.py"), "--duration", "1", "--units", "200",
               "--connections", "2"]
    name = f"paimo_bench_{uuid.uuid4().hex[:8]}"
    if ON_POSTGRES:
        _admin_sql(f'CREATE DATABASE "{name}"')
        command += ["--database-url", _pg_url(name)]
    try:
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    finally:
        if ON_POSTGRES:
            _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert run.returncode == 0, run.stdout + run.stderr
    rows = {cells[0]: cells for cells in (re.split(r"\s*\|\s*", line.strip("| ")) for line in run.stdout.splitlines()
                                          if line.startswith("| ") and "---" not in line)}
    for target in TARGETS:
        assert target in rows, run.stdout
        assert rows[target][5] == "0", rows[target]  # errors
    assert "errors: 0" in run.stdout
