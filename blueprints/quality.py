"""(being written)"""
from flask import Blueprint

bp = Blueprint("quality", __name__)
