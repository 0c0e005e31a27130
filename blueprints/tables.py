"""Placeholder: filled in by its issue."""
from flask import Blueprint

bp = Blueprint("tables", __name__)
