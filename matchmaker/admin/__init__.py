"""Operator pages: accounts, the sector-chain editor and the background jobs.

The blueprint and its guard live here; the routes are in views.py (accounts, chains) and
job_views.py (background jobs), both registered on bp when this package is imported.
"""
from functools import wraps

from flask import Blueprint, abort
from flask_login import current_user, login_required

from matchmaker import permissions

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view):
    """Allow only signed-in operators; everyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not permissions.is_admin(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


from matchmaker.admin import job_views, views  # noqa: F401  (routes on bp)
