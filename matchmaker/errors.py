"""Domain errors and their HTTP handlers."""
from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from matchmaker.extensions import db


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


def _render(status: int, title: str, message: str):
    if _wants_json():
        return jsonify(error=title, message=message), status
    return render_template("errors/error.html", title=title, message=message), status


def register(app: Flask) -> None:
    """Install handlers that map errors to 400/403/404/429/500 pages."""

    @app.errorhandler(400)
    def bad_request(error):
        return _render(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400, _("Form expired"), _("The form expired or was tampered with. "
                                                 "Go back, reload the page and try again."))

    @app.errorhandler(PermissionDeniedError)
    @app.errorhandler(403)
    def forbidden(error):
        return _render(403, _("Not allowed"), _("You do not have permission to do that."))

    @app.errorhandler(NotFoundError)
    @app.errorhandler(404)
    def not_found(error):
        return _render(404, _("Not found"), _("That page does not exist or is not visible to you."))

    @app.errorhandler(429)
    def too_many(error):
        return _render(429, _("Too many attempts"),
                       _("Too many attempts. Wait a minute and try again."))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return _render(500, _("Server error"), _("Something went wrong; nothing was saved."))
