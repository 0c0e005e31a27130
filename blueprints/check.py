"""Placeholder: filled in by its issue."""
from flask import Blueprint

bp = Blueprint("check", __name__)
