"""Write the next numbered migration from the difference between models.py and the migrations so far.

    .venv/bin/python tools/new_migration.py NAME Model1 Model2 …

Applies the existing migrations to a scratch SQLite database, diffs the named models (all models when none
are named) against it and writes migrations/NNNN_NAME.py. Python-side defaults (now_local, uuid4) need no
database default: peewee fills them in on insert. Read the file before committing it; once landed, a
migration is never edited.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import models  # noqa: E402
from playhouse.migrations import Runner, template  # noqa: E402
from playhouse.schema_diff import diff_models  # noqa: E402


def main(name, *model_names):
    with tempfile.TemporaryDirectory() as tmp:
        models.bind_database(f"sqlite:///{tmp}/scratch.db")
        runner = Runner(models.db.obj, os.path.join(os.path.dirname(models.__file__), "migrations"))
        runner.up()
        chosen = [getattr(models, n) for n in model_names] if model_names else models.ALL_MODELS
        diff = diff_models(models.db.obj, chosen)
        if not diff:
            print("nothing changed")
            return
        body = "\n".join(line for line in template(diff).splitlines()
                         if not (line.startswith("# TODO:") and "default <function" in line)) + "\n"
        print(runner.create(name, body=body))


if __name__ == "__main__":
    main(*sys.argv[1:])
