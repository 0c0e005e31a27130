"""Placeholder: filled in by its issue."""
from flask import Blueprint

bp = Blueprint("cases", __name__, cli_group=None)  # its commands are top-level: flask --app app …
