"""Placeholder: filled in by its issue."""
from flask import Blueprint

bp = Blueprint("cases", __name__)
