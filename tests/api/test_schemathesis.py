"""A property-based run of schemathesis against the API's own OpenAPI document: for every
operation, as every role, generated requests (valid ones, then invalid ones) never get a
500, and every response conforms to the document (status code, content type, headers, body
schema). Bounded and reproducible: derandomised, a few examples per operation and role."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import ROLES

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")  # 429: test_limits
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _operations(schema):
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 17, [o.label for o in found]
    return found


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_conforms_and_never_fails(api_schema, role, mode, make_user,
                                                  make_token, make_output, make_need):
    headers = {}
    if role != "anonymous":
        user = make_user(role)
        headers["Authorization"] = f"Bearer {make_token(user, 'write')}"
        # Something the caller owns, so ids the generator draws can hit real records too.
        if role == "institution":
            make_output(owner=user, status="draft")
        if role == "enterprise":
            make_need(owner=user, status="draft")
    failures, statuses = [], []
    for operation in _operations(api_schema):
        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as error:  # noqa: BLE001  (every operation's failure, then all)
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
    # The run reached the resources, not only the door: with a token, valid requests read.
    assert (200 in statuses) == (role != "anonymous" and mode == GenerationMode.POSITIVE) or \
        mode == GenerationMode.NEGATIVE, sorted(set(statuses))
    assert len(statuses) >= len(_operations(api_schema)), len(statuses)
