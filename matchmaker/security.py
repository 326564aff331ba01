"""Security headers on every response, no caching of signed-in pages, and the request-level
guards: against NUL bytes, and against form parts without a name."""
from flask import Flask, Request, Response, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.formparser import FormDataParser

from matchmaker.errors import error_response
from matchmaker.textclean import NUL

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


def _named(data: MultiDict) -> MultiDict:
    """Return data without the entries that have no name."""
    if None not in data:
        return data
    return type(data)((k, v) for k, v in data.items(multi=True) if k is not None)


class _FormDataParser(FormDataParser):
    """Werkzeug keeps a multipart part without a name under the key None, and every reader of
    request.form (Flask-WTF's CSRF check first, before any view) expects strings: such a
    part, which no browser sends, is dropped."""

    def parse(self, stream, mimetype, content_length, options=None):
        stream, form, files = super().parse(stream, mimetype, content_length, options)
        return stream, _named(form), _named(files)


class MatchmakerRequest(Request):
    form_data_parser_class = _FormDataParser


def _has_nul(value) -> bool:
    """Return whether a NUL byte hides anywhere in value (strings, lists, dicts)."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def request_has_nul() -> bool:
    """Return whether a query or form value (or name), or a JSON body, carries a NUL byte.

    PostgreSQL cannot store NUL in text and nothing typed by a person contains one, so such a
    request is refused before any view sees it.
    """
    for values in (request.args, request.form):
        if any(_has_nul(key) or _has_nul(items) for key, items in values.lists()):
            return True
    return request.is_json and _has_nul(request.get_json(silent=True))


# Endpoints whose responses set their own Cache-Control (a file served after a permission
# check: private and revalidated by ETag, or public): the signed-in "no-store" leaves it.
_OWN_CACHE_POLICY: set[str] = set()


def keep_cache_control(endpoint: str) -> None:
    """Let endpoint's responses keep the Cache-Control they set."""
    _OWN_CACHE_POLICY.add(endpoint)


def register(app: Flask) -> None:
    """Attach the request guards and the security-header hook to app."""
    app.request_class = MatchmakerRequest

    @app.before_request
    def refuse_nul_bytes():
        if request_has_nul():
            return error_response(400, _("Invalid characters"),
                                  _("The request contains a NUL character (\\0), which no text "
                                    "field accepts. Remove it and send the form again."))
        return None

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # The endpoint first: a response that keeps its own policy loads no user for this.
        if request.endpoint != "static" and request.endpoint not in _OWN_CACHE_POLICY \
                and not current_user.is_anonymous:
            # A signed-in page may hold personal or unpublished data: no browser or proxy
            # cache keeps it (the back button after sign-out shows nothing). is_anonymous,
            # not is_authenticated: it reads no column, so a view that committed (expiring
            # the user) does not make the answer load the user again.
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response
