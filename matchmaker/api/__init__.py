"""The REST API (/api/v1): JSON over the same services as the web pages, personal bearer
tokens, RFC 9457 problems, ETags with If-Match, per-token rate limits, and an OpenAPI 3
document generated from the code by flask-smorest (/api/v1/openapi.json)."""
from flask import Flask
from flask_smorest import Api

from matchmaker.api import auth, listings, problems, resources
from matchmaker.api.schemas import ProblemSchema
from matchmaker.extensions import csrf, limiter

BLUEPRINTS = (listings.outputs, listings.needs, resources.institutions,
              resources.enterprises, resources.chains, resources.deals)

# Once, at import: blueprints take hooks only before their first registration.
_api_limit = limiter.shared_limit(auth.rate_limit, scope="api", key_func=auth.rate_key)
for _blp in BLUEPRINTS:
    _blp.before_request(auth.require_token)
    problems.install(_blp)
    _api_limit(_blp)


class MatchmakerApi(Api):
    """flask-smorest's Api whose error responses are the problem documents."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = "DEFAULT_ERROR"

    def _register_responses(self):
        """Document the error responses as what they are: application/problem+json."""
        self.DEFAULT_RESPONSE_CONTENT_TYPE = "application/problem+json"
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE  # the class's again, for the others


DESCRIPTION = """JSON access to the platform for programs, with the caller's own permissions.

* **Authentication**: a personal token made on the account page (API tokens), sent as
  `Authorization: Bearer <token>`. Cookies are never read here; without a usable token every
  resource answers 401. Scopes: `read`, or `write` (read and write).
* **Errors**: RFC 9457 problem details (`application/problem+json`) with `status`, `code`,
  `detail` and, for bad input, `errors` naming each field, in the language of
  `Accept-Language` (zh by default, en).
* **Versions**: reads send an `ETag`; updates need it back in `If-Match` (428 without it,
  412 when the record changed since).
* **Rate limits**: per token (per address without one); 429 with `Retry-After`.
"""


def register(app: Flask) -> None:
    """Add the API, its document and the tokens page to app."""
    from matchmaker.api import token_views

    config = app.config
    config.setdefault("API_TITLE", "Matchmaker API")
    config.setdefault("API_VERSION", "v1")
    config.setdefault("OPENAPI_VERSION", "3.0.3")
    config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": DESCRIPTION},
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    })
    api = MatchmakerApi(app)
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
        csrf.exempt(blp)
    problems.register_http_handler(app, api)
    # Before every other hook: Flask-Login's cookie, CSRF and the rate limiter see the token.
    app.before_request_funcs.setdefault(None, []).insert(0, auth.authenticate)
    app.register_blueprint(token_views.bp)
