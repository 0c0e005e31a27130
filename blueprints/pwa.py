"""Placeholder: the installable app (manifest, service worker, offline page) — issue 5."""
from flask import Blueprint

bp = Blueprint("pwa", __name__)
