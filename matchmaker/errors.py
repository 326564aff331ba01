"""Domain errors and their HTTP handlers."""
import math
import time

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from matchmaker.extensions import db, limiter


class MatchmakerError(Exception):
    """Base class of every domain error."""


class NotFoundError(MatchmakerError):
    """The requested object does not exist or is not visible to the user."""


class PermissionDeniedError(MatchmakerError):
    """The user may not do this."""


class ValidationFailedError(MatchmakerError):
    """Input broke a business rule; reasons maps field names to messages."""

    def __init__(self, reasons: dict[str, str]):
        super().__init__(reasons)
        self.reasons = reasons


class StaleObjectError(MatchmakerError):
    """Someone else saved the object after this user loaded it."""


class InvalidTransitionError(MatchmakerError):
    """The requested status change is not allowed from the current status."""


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, title: str, message: str):
    """Return an error page (or JSON under /api/) with a translated title and message."""
    if _wants_json():
        return jsonify(error=title, message=message), status
    return render_template("errors/error.html", title=title, message=message), status


def _minutes_until_reset() -> int:
    """Minutes until the breached rate limit lets this client in again (0 if unknown)."""
    limit = limiter.current_limit
    if limit is None:
        return 0
    return max(1, math.ceil((limit.reset_at - time.time()) / 60))


def register(app: Flask) -> None:
    """Install handlers that map errors to 400/403/404/429/500 pages."""

    @app.errorhandler(400)
    def bad_request(error):
        return error_response(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_response(400, _("Form expired"), _(
            "The form expired or was tampered with. Go back, reload the page and try again."))

    @app.errorhandler(PermissionDeniedError)
    @app.errorhandler(403)
    def forbidden(error):
        return error_response(403, _("Not allowed"), _("You do not have permission to do that."))

    @app.errorhandler(NotFoundError)
    @app.errorhandler(404)
    def not_found(error):
        return error_response(404, _("Not found"),
                              _("That page does not exist or is not visible to you."))

    @app.errorhandler(429)
    def too_many(error):
        minutes = _minutes_until_reset()
        if minutes > 1:
            message = _("Too many attempts from your network address. Try again in "
                        "%(minutes)d minutes.", minutes=minutes)
        else:
            message = _("Too many attempts. Wait a minute and try again.")
        return error_response(429, _("Too many attempts"), message)

    @app.errorhandler(OperationalError)
    def database_busy(error):
        """SQLite answers "database is locked" when a write waited out the busy timeout: the
        request changed nothing; ask to try again rather than reporting a server error."""
        db.session.rollback()
        if "database is locked" not in str(error.orig):
            raise error
        body, status = error_response(503, _("Busy"), _(
            "The platform is busy saving other changes; nothing was saved. Try again in a "
            "moment."))
        return body, status, {"Retry-After": "5"}

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return error_response(500, _("Server error"), _("Something went wrong; nothing was saved."))
