"""(being written)"""
from flask import Blueprint

bp = Blueprint("ranking", __name__)
