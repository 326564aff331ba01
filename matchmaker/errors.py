"""Domain errors and their HTTP handlers."""
import math
import time

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import get_locale
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


# The machine-readable code of an API problem (RFC 9457) by HTTP status, when none is given.
PROBLEM_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 412: "precondition_failed",
                 413: "too_large", 415: "unsupported_media_type", 422: "invalid_input",
                 428: "precondition_required", 429: "rate_limited", 500: "server_error",
                 503: "busy"}


def problem_response(status: int, title: str, detail: str, *, code: str | None = None,
                     errors: list[dict] | None = None, headers: dict | None = None):
    """Return an RFC 9457 problem details response (application/problem+json): the one error
    format of the API. errors lists {"field", "detail"} for input that failed validation."""
    body = {"type": "about:blank", "title": title, "status": status,
            "code": code or PROBLEM_CODES.get(status, "error"), "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers.extend(headers or {})
    response.headers["Content-Language"] = str(get_locale() or "zh")
    return response


def error_response(status: int, title: str, message: str):
    """Return an error page (or problem details under /api/) with a translated title and
    message."""
    if _wants_json():
        return problem_response(status, title, message)
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
        response = make_response(error_response(503, _("Busy"), _(
            "The platform is busy saving other changes; nothing was saved. Try again in a "
            "moment.")))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return error_response(500, _("Server error"), _("Something went wrong; nothing was saved."))
