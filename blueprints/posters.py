"""Placeholder: filled in by its issue."""
from flask import Blueprint

bp = Blueprint("posters", __name__)
