"""The Flask side of who may do what: the decorators every view wears and the 404 they answer.

The rules themselves are plain functions in domain/org/permissions.py; this is only the thin layer that reads
`current_user` and turns "may not" into a response. tests/test_permissions.py reads `view.permission` to walk
the URL map.
"""
from functools import wraps

from flask import abort, request
from flask_login import current_user

from blueprints.errors import error_response
from domain.org.permissions import PUBLIC, RULES, can
from extensions import login_manager


def requires(action):
    """A view for users who may `action`: anonymous users are asked to log in (401 on the API), anyone
    else who may not gets 404. The action is kept on the view for the URL-map test."""
    if action not in RULES:
        raise KeyError(f"no permission rule for {action!r}")

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return _unauthorized()
            if not can(current_user, action):
                abort(404)
            return view(*args, **kwargs)

        guarded.permission = action
        return guarded

    return decorate


def public(view):
    """A view anyone may open (the public report pages, /check, login, static files)."""
    view.permission = PUBLIC
    return view


def _unauthorized():
    if request.path.startswith("/api/"):
        return error_response(401, "请先登录", code="unauthorized")
    return login_manager.unauthorized()
