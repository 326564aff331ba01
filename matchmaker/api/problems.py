"""The API's errors: every one an RFC 9457 problem (errors.problem_response), in the language
of Accept-Language, with a machine-readable code and, for bad input, the fields at fault.

Views raise ApiProblem or the domain errors (errors.py); install() maps both, and Werkzeug's
HTTP errors inside the API (a 405, flask-smorest's 422 for a body that fails its schema), to
problems. marshmallow's messages are English sentences: known ones are translated here.
"""
import math
import re
import time

from flask import Flask, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from matchmaker.errors import (
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    StaleObjectError,
    ValidationFailedError,
    problem_response,
)
from matchmaker.extensions import db, limiter


class ApiProblem(Exception):
    """An error the API answers with a problem document."""

    def __init__(self, status: int, code: str, detail: str, *, errors=None, headers=None):
        super().__init__(code)
        self.status, self.code, self.detail = status, code, detail
        self.errors, self.headers = errors, headers


def titles() -> dict[int, str]:
    return {400: _("Bad request"), 401: _("Authentication required"), 403: _("Not allowed"),
            404: _("Not found"), 405: _("Method not allowed"), 409: _("Conflict"),
            412: _("Precondition failed"), 413: _("Request too large"),
            415: _("Unsupported media type"), 422: _("Invalid input"),
            428: _("Precondition required"), 429: _("Too many requests"),
            500: _("Server error"), 503: _("Busy")}


def problem(status: int, code: str, detail: str, *, errors=None, headers=None):
    return problem_response(status, titles().get(status, str(status)), detail, code=code,
                            errors=errors, headers=headers)


# --- marshmallow's messages, translated --------------------------------------------------

_TYPES = {"string": _l("text"), "integer": _l("an integer"), "boolean": _l("true or false"),
          "list": _l("a list"), "date": _l("a date (YYYY-MM-DD)"),
          "datetime": _l("a date and time (ISO 8601)"), "number": _l("a number"),
          "mapping": _l("an object"), "email": _l("an e-mail address")}


def translate_schema_message(message: str) -> str:
    """Return marshmallow's message in the request's language (a generic one if unknown)."""
    text = str(message)
    if text == "Missing data for required field.":
        return _("This field is required.")
    if text == "Field may not be null.":
        return _("This field cannot be null.")
    if text == "Unknown field.":
        return _("Unknown field.")
    if text == "Invalid input type.":
        return _("Invalid value: wrong type.")
    if m := re.fullmatch(r"Not a valid (\w+)\.", text):
        kind = _TYPES.get(m.group(1).lower())
        return _("Invalid value: expected %(kind)s.", kind=kind) if kind else _("Invalid value.")
    if m := re.fullmatch(r"Must be one of: (.*)\.", text):
        return _("Must be one of: %(choices)s.", choices=m.group(1))
    if m := re.fullmatch(r"Longer than maximum length (\d+)\.", text):
        return _("At most %(max)s characters.", max=m.group(1))
    if m := re.fullmatch(r"Shorter than minimum length (\d+)\.", text):
        return _("At least %(min)s characters.", min=m.group(1))
    if m := re.fullmatch(r"Length must be between (\d+) and (\d+)\.", text):
        return _("Between %(min)s and %(max)s characters or items.", min=m.group(1),
                 max=m.group(2))
    if m := re.fullmatch(r"Must be greater than or equal to (\S+) and less than or equal to "
                         r"(\S+)\.", text):
        return _("Must be between %(min)s and %(max)s.", min=m.group(1), max=m.group(2))
    if m := re.fullmatch(r"Must be greater than or equal to (\S+)\.", text):
        return _("Must be at least %(min)s.", min=m.group(1))
    if m := re.fullmatch(r"Must be less than or equal to (\S+)\.", text):
        return _("Must be at most %(max)s.", max=m.group(1))
    return _("Invalid value.")


def flatten(messages, prefix: str = "") -> list[dict]:
    """Return marshmallow's nested {field: [messages]} as [{"field", "detail"}] (dotted paths,
    list items by index: patents.0.number)."""
    out = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten(value, "" if key == "_schema" and not prefix else name))
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                out.extend(flatten(item, prefix))
            else:
                out.append({"field": prefix or None, "detail": translate_schema_message(item)})
    else:
        out.append({"field": prefix or None, "detail": translate_schema_message(messages)})
    return out


def invalid(errors: list[dict]):
    return problem(422, "invalid_input", _("The request has invalid fields; see errors."),
                   errors=errors)


# --- handlers --------------------------------------------------------------------------

def _http_exception(error: HTTPException):
    status = error.code or 500
    if status == 422 and getattr(error, "data", None):  # flask-smorest: a schema failed
        # {"json": {...}} or {"query": {...}}: field names are the same in every location.
        return invalid([e for fields in error.data.get("messages", {}).values()
                        for e in flatten(fields)])
    if status == 400:
        return problem(400, "bad_request", _("The request could not be understood: send a "
                                             "JSON body with Content-Type application/json."))
    if status == 405:
        return problem(405, "method_not_allowed", _("This resource does not accept that "
                                                    "method."),
                       headers={"Allow": ", ".join(getattr(error, "valid_methods", None) or [])})
    if status == 404:
        return not_found(error)
    if status == 413:
        return problem(413, "too_large", _("The request body is too large."))
    if status == 415:
        return problem(415, "unsupported_media_type", _("Send JSON (application/json)."))
    return problem(status, "error", error.description or str(status))


def not_found(error=None):
    return problem(404, "not_found", _("No such resource, or it is not visible to you."))


def install(blueprint) -> None:
    """Make every error of blueprint's requests a problem document."""
    blueprint.register_error_handler(ApiProblem, lambda e: problem(
        e.status, e.code, e.detail, errors=e.errors, headers=e.headers))
    blueprint.register_error_handler(NotFoundError, not_found)
    blueprint.register_error_handler(PermissionDeniedError, lambda e: problem(
        403, "forbidden", _("Your account may not do that with this resource.")))
    blueprint.register_error_handler(InvalidTransitionError, lambda e: problem(
        409, "invalid_transition", _("That status change is not possible from the current "
                                     "status.")))
    for stale in (StaleObjectError, StaleDataError):
        blueprint.register_error_handler(stale, stale_write)
    blueprint.register_error_handler(429, too_many)
    blueprint.register_error_handler(ValidationFailedError, lambda e: invalid(
        [{"field": field, "detail": str(message)} for field, message in e.reasons.items()]))


def too_many(error=None):
    """429 with Retry-After: the seconds until the breached limit lets the token in again."""
    limit = limiter.current_limit
    seconds = max(1, math.ceil(limit.reset_at - time.time())) if limit is not None else 60
    return problem(429, "rate_limited", _(
        "Too many requests with this token. Try again in %(seconds)d seconds.",
        seconds=seconds), headers={"Retry-After": str(seconds)})


def stale_write(error=None):
    db.session.rollback()  # a flush that found the row changed leaves the session unusable
    return problem(412, "stale_version", _(
        "Someone else changed this record after you read it. Read it again (GET) and send "
        "your change with its new ETag in If-Match."))


def register_http_handler(app: Flask, api) -> None:
    """flask-smorest answers every HTTP error with its own JSON, on the whole site: inside the
    API that becomes a problem document, elsewhere the site's own handling is kept."""

    def handle(error: HTTPException):
        if request.path.startswith("/api/"):
            return _http_exception(error)
        return error

    app.register_error_handler(HTTPException, handle)
