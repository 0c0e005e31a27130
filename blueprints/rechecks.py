"""(being written)"""
from flask import Blueprint

bp = Blueprint("rechecks", __name__)
