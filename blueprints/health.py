"""`/healthz` for load balancers and monitoring (docs/deploy.md): 200 `{"status": "ok"}` once the database
answered a trivial query, 503 when it cannot be reached. It reads no session and sets no cookie, so a
probe every few seconds costs one query and nothing else."""
from flask import Blueprint, current_app, jsonify
from peewee import DatabaseError, InterfaceError

from blueprints.guard import public
from models import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT 1").fetchone()
    except (DatabaseError, InterfaceError) as exc:
        current_app.logger.warning("healthz: database unreachable: %s", exc)
        reply = jsonify({"status": "unavailable", "database": "unreachable"}), 503
    else:
        reply = jsonify({"status": "ok"}), 200
    reply[0].headers["Cache-Control"] = "no-store"
    return reply
