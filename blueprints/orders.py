"""(being written)"""
from flask import Blueprint

bp = Blueprint("orders", __name__)
