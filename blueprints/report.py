"""Placeholder: filled in by its issue."""
from flask import Blueprint

bp = Blueprint("report", __name__)
