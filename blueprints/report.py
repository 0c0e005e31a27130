"""Placeholder: filled in by its issue."""
from flask import Blueprint

bp = Blueprint("report", __name__, cli_group=None)  # its commands are top-level: flask --app app …
