"""No input gives a 500: every route, as every role, with every method, random ids, query
strings and form bodies (hypothesis).

Routes come from app.url_map, so a route added later is fuzzed without touching this file; a
route whose converter or method the fuzzer cannot fill fails test_every_route_can_be_fuzzed
instead of being skipped. Only `static` is left out: it serves files through Werkzeug's
send_from_directory (safe_join), no code of ours runs, and any other path is a 404.

Each test case runs in a rolled-back transaction with a signed-in visitor; each example in a
savepoint of it and with a fresh client carrying the visitor's cookies, so an example that
signs out, changes the password or deletes the account is undone before the next one.

FUZZ_EXAMPLES (default 6) sets the examples per route, method and role; HEAD and OPTIONS get a
quarter of them. See tests/fuzz/config.py for FUZZ_SEED.
"""
import pytest
from hypothesis import given, note

from config import TestConfig
from matchmaker import create_app
from tests.conftest import DEMO_PASSWORD, login
from tests.fuzz.config import EXAMPLES, fuzz_settings, seeded
from tests.fuzz.forms import FormSpec
from tests.fuzz.requests import check_fuzzable, check_response, request_strategy
from tests.fuzz.world import (
    ROLES,
    IdPools,
    add_fixture_rows,
    discover_forms,
    rolled_back,
    savepoint,
    sign_in,
)

EXCLUDED_ENDPOINTS = {"static"}


def fuzz_targets(app) -> list[tuple[str, str]]:
    """Return (rule, method) for every route of app except static."""
    return sorted((rule.rule, method) for rule in app.url_map.iter_rules()
                  if rule.endpoint not in EXCLUDED_ENDPOINTS for method in rule.methods)


def _rule(app, text: str):
    return next(r for r in app.url_map.iter_rules() if r.rule == text)


# The routes are listed at collection time, from an app of the same configuration as the
# session's (which only exists once tests run); test_every_route_can_be_fuzzed checks that
# the two agree.
TARGETS = fuzz_targets(create_app(TestConfig))


def test_every_route_can_be_fuzzed(app):
    assert fuzz_targets(app) == TARGETS
    problems = [p for rule in app.url_map.iter_rules()
                if rule.endpoint not in EXCLUDED_ENDPOINTS for p in check_fuzzable(rule)]
    assert not problems, "the route fuzzer cannot fill: " + "; ".join(problems)


def test_a_route_the_fuzzer_cannot_fill_is_reported_not_skipped():
    from flask import Flask

    other = Flask(__name__)
    other.add_url_rule("/rates/<float:rate>", "rate", lambda rate: "", methods=["PUT"])
    problems = check_fuzzable(next(r for r in other.url_map.iter_rules() if r.endpoint == "rate"))
    assert any("unknown method PUT" in p for p in problems)
    assert any("FloatConverter of <rate>" in p for p in problems)


@pytest.fixture(scope="session")
def page_forms(app) -> dict[str, dict[tuple[str, str], FormSpec]]:
    """The forms each role's pages offer, by (rule or path, method) of their action; "*"
    unites them (an anonymous visitor's POST to a form page still uses that form's real
    field names)."""
    found: dict[str, dict] = {"*": {}}
    # The WeCom settings show only where the channel is configured (the tests' app has it
    # off); nothing is posted while the pages are read.
    wecom_url = app.config["WECOM_WEBHOOK_URL"]
    app.config["WECOM_WEBHOOK_URL"] = "http://127.0.0.1:9/cgi-bin/webhook/send?key="
    try:
        _discover_all(app, found)
    finally:
        app.config["WECOM_WEBHOOK_URL"] = wecom_url
    return found


def _discover_all(app, found: dict) -> None:
    for role in ROLES:
        with rolled_back(app):
            add_fixture_rows(app)
            visitor = sign_in(app, role)
            found[role] = discover_forms(app, visitor, IdPools.load(visitor.user_id))
        for key, spec in found[role].items():
            union = found["*"].setdefault(key, FormSpec(spec.method, spec.action))
            for name, field in spec.fields.items():
                union.add(name, field)


def test_every_form_posts_to_a_route_the_crawl_finds(page_forms):
    """Every POST route's form is found on some page, so its fuzz uses real field names. (The
    REST API takes JSON, not forms: tests/api/test_schemathesis.py fuzzes it from its
    document.)"""
    posts = {rule for rule, method in TARGETS if method == "POST" and not rule.startswith("/api/")}
    assert posts <= {rule for rule, method in page_forms["*"] if method == "POST"}


def _examples(method: str) -> int:
    return EXAMPLES if method in ("GET", "POST") else max(1, EXAMPLES // 4)


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("rule_text, method", TARGETS)
def test_no_input_gives_a_server_error(app, page_forms, rule_text, method, role):
    rule = _rule(app, rule_text)
    with rolled_back(app) as connection:
        add_fixture_rows(app)
        visitor = sign_in(app, role)
        forms = {**page_forms["*"], **page_forms[role]}
        strategy = request_strategy(rule, method, IdPools.load(visitor.user_id), visitor, forms)

        @seeded
        @fuzz_settings(_examples(method))
        @given(request=strategy)
        def one_request(request):
            note(repr(request))
            with savepoint(connection):
                check_response(request, request.send(visitor.client(app)))

        one_request()


NEW_PASSWORD = "ochre-tundra-violin-42"


@pytest.mark.parametrize("path, data, account_page", [
    ("/auth/logout", {}, 302),
    ("/account/sessions/revoke-others", {}, 200),
    ("/account/password", {"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
                           "confirm": NEW_PASSWORD}, 200),
    ("/account/delete", {"password": DEMO_PASSWORD, "confirm": "y"}, 302),
])
def test_an_example_that_ends_the_session_is_undone_before_the_next(app, path, data,
                                                                     account_page):
    """The fuzz's isolation: what one example does to the account is gone in the next."""
    with rolled_back(app) as connection:
        add_fixture_rows(app)
        visitor = sign_in(app, "institution")
        with savepoint(connection):
            client = visitor.client(app)
            response = client.post(path, data={"csrf_token": visitor.csrf_token, **data})
            assert response.status_code == 302
            assert client.get("/account").status_code == account_page
        with savepoint(connection):
            assert visitor.client(app).get("/account").status_code == 200
            login(app.test_client(), "qcut")  # the demo password works again
