"""A fuzzed request: how to draw one for a route, send it, and judge the response."""
import json
import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import AnyConverter, Rule, UnicodeConverter

from matchmaker.routing import IdConverter
from matchmaker.seed import demo_email
from tests.conftest import DEMO_PASSWORD
from tests.fuzz import values
from tests.fuzz.forms import CSRF_FIELD, FormSpec
from tests.fuzz.world import NEWCOMER_PASSWORD, ROLES, IdPools, Visitor

# Methods the fuzzer knows how to send; a route with another method fails the suite until
# the fuzzer learns it (a JSON API's PUT, say, wants JSON bodies rather than forms).
KNOWN_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PATCH"})  # PATCH: /api/v1
BODY_METHODS = frozenset({"POST", "PATCH"})
_ARG = re.compile(r"<(?:(?P<converter>[^:<>(]+)(?:\([^)]*\))?:)?(?P<name>[^:<>]+)>")
TRACEBACK_MARKERS = ("Traceback (most recent call last)", "werkzeug.debug", "jinja2.exceptions",
                     "sqlalchemy.exc", "psycopg.errors", "sqlite3.")
LAYOUT_MARKERS = ('class="navbar-brand', "</main>", "</footer>")


class UnfuzzableRouteError(Exception):
    """A route has a converter or method the fuzzer cannot fill."""


def converter_of(rule: Rule, arg: str) -> type:
    """Return the converter class of the path argument arg of rule."""
    names = {m.group("name"): m.group("converter") or "default" for m in _ARG.finditer(rule.rule)}
    return rule.map.converters[names[arg]]


def converter_strategy(rule: Rule, arg: str, pools: IdPools) -> st.SearchStrategy[str]:
    """Return values for the path argument arg of rule, by its converter."""
    converter = converter_of(rule, arg)
    if issubclass(converter, IdConverter):
        return values.id_value(*pools.for_arg(rule, arg))
    if issubclass(converter, UnicodeConverter):  # the default <name> converter
        return values.string_value()
    if issubclass(converter, AnyConverter):  # <any(a, b):name>: one of its words, or not
        words = _any_words(rule, arg)
        return st.one_of(st.sampled_from(words), values.string_value())
    raise UnfuzzableRouteError(f"{rule.rule}: no strategy for the {converter.__name__} of <{arg}>")


def _any_words(rule: Rule, arg: str) -> list[str]:
    """Return the words an <any(…):arg> of rule accepts, as written in the rule."""
    match = re.search(r"<any\(([^)]*)\):" + re.escape(arg) + ">", rule.rule)
    return [word.strip().strip("'\"") for word in match.group(1).split(",")]


def check_fuzzable(rule: Rule) -> list[str]:
    """Return why rule cannot be fuzzed (empty when it can)."""
    problems = [f"{rule.rule}: unknown method {m}" for m in sorted(rule.methods - KNOWN_METHODS)]
    for arg in rule.arguments:
        try:
            converter_strategy(rule, arg, IdPools())
        except UnfuzzableRouteError as error:
            problems.append(str(error))
    return problems


@dataclass(frozen=True)
class FuzzRequest:
    method: str
    path: str
    query: str
    form: tuple[tuple[str, str], ...] | None = None  # sent urlencoded, or as multipart
    body: str | None = None  # sent as it is (JSON, or raw bytes that claim to be a form)
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    nul: bool | None = False  # a NUL byte in a query or form value (None: cannot tell)
    cookies: tuple[tuple[str, str], ...] = ()  # forged or broken, over the visitor's own

    def send(self, client):
        for name, value in self.cookies:
            client.set_cookie(name, value)
        data = MultiDict(list(self.form)) if self.form is not None else self.body
        return client.open(self.path, method=self.method, query_string=self.query, data=data,
                           content_type=self.content_type, headers=list(self.headers))


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return values.NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                         st.floats(allow_nan=False, allow_infinity=False), values.text())
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(values.text(8), inner, max_size=3)),
    max_leaves=6)
RAW_BODIES = st.one_of(st.sampled_from((
    "a=1&&b", "%", "%zz=%ff", "=", "&=&", "a=%ed%a0%80", "csrf_token", "x=" + "y" * 100_000,
    "--b\r\nContent-Disposition: form-data\r\n\r\n--b--", "{", "null", '"abc"', "[1,2]",
    "\ufeff{}", "a=1;b=2")), st.text(values.ANY_CHAR, max_size=80))
# Cookies a visitor can send but not sign: garbage, truncated or re-encoded signatures.
COOKIES = st.lists(st.tuples(
    st.sampled_from(("session", "remember_token", "locale")),
    st.one_of(st.sampled_from(("", "x|y", "|", "1|" + "a" * 128, ".eJyrVkpUslJKT8-", "null",
                               "eyJfdXNlcl9pZCI6IjEifQ.Z.abc", "a" * 4000)),
              st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e), max_size=60))),
    min_size=1, max_size=2)
RAW_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data",
             "multipart/form-data; boundary=b", "application/json", "text/plain",
             "application/x-www-form-urlencoded; charset=gbk")


@st.composite
def body_request(draw, method: str, path: str, query: str,
                 pairs: list[tuple[str, str]], token: str | None) -> FuzzRequest:
    """Send pairs as a browser form (mostly), as multipart, as a JSON object with the CSRF
    token in its header (Flask-WTF reads JSON as form data), or send a raw body."""
    how = draw(st.integers(0, 9))
    nul = any(values.NUL in k + v for k, v in pairs)
    if how <= 5:
        return FuzzRequest(method, path, query, form=tuple(pairs), nul=nul)
    if how == 6:
        return FuzzRequest(method, path, query, form=tuple(pairs), nul=nul,
                           content_type="multipart/form-data")
    headers = (("X-CSRFToken", token),) if token else ()
    if how <= 8:
        obj = {k: v for k, v in pairs if k != CSRF_FIELD}
        for key in draw(st.lists(st.sampled_from(sorted(obj)), max_size=3)) if obj else ():
            obj[key] = draw(JSON_VALUES)
        document = obj if how == 7 else draw(st.one_of(st.just(obj), JSON_VALUES))
        return FuzzRequest(method, path, query, body=json.dumps(document), headers=headers,
                           content_type="application/json", nul=_has_nul(document))
    return FuzzRequest(method, path, query, body=draw(RAW_BODIES), headers=headers,
                       content_type=draw(st.sampled_from(RAW_TYPES)), nul=None)


def _good_values(kind: str, name: str, role: str) -> list[str]:
    """Values that pass a field's checks, so that some submissions reach the services."""
    key = ROLES[role] or "qcut"
    if kind == "password":
        return [DEMO_PASSWORD, NEWCOMER_PASSWORD, "ochre-tundra-violin-42"]
    if kind == "email" or "email" in name:
        return [demo_email(key), "fuzz-someone@example.com", "ＦＵＺＺ@example.com"]
    if kind == "date":
        return ["2031-06-30", "2020-01-01"]
    if kind == "number":
        return ["1", "5", "9"]
    return []


@st.composite
def form_pairs(draw, spec: FormSpec | None, visitor: Visitor) -> tuple[tuple[str, str], ...]:
    """Draw a form body: the page's fields filled with its own values, values that pass,
    hostile text or nothing, some random extra names, and a valid, missing or forged token."""
    pairs: list[tuple[str, str]] = []
    for name, field in (spec.fields.items() if spec else ()):
        offered = sorted(field.options | field.defaults)
        good = _good_values(field.kind, name, visitor.role)
        how = draw(st.sampled_from(("page", "page", "good", "hostile", "omit", "several")))
        if how == "page" and offered:
            pairs.append((name, draw(st.sampled_from(offered))))
        elif how == "good" and good:
            pairs.append((name, draw(st.sampled_from(good))))
        elif how == "several" and offered:
            pairs += [(name, v) for v in draw(st.lists(st.sampled_from(offered), max_size=12))]
        elif how != "omit":
            pairs.append((name, draw(values.text())))
    extra = draw(st.lists(st.tuples(values.text(12), values.text()), max_size=2))
    token = draw(st.integers(0, 7))  # 3: no token, 4: a forged one, else the page's
    if token not in (3, 4):
        pairs.append((CSRF_FIELD, visitor.csrf_token))
    elif token == 4:
        pairs.append((CSRF_FIELD, draw(st.sampled_from(
            (visitor.csrf_token[:-2], visitor.csrf_token + "x", "", "IjE")))))
    pairs += extra
    return tuple(draw(st.permutations(pairs)))


def request_strategy(rule: Rule, method: str, pools: IdPools, visitor: Visitor,
                     forms: dict) -> st.SearchStrategy[FuzzRequest]:
    """Return fuzzed requests of method to rule, for visitor."""
    args = {arg: converter_strategy(rule, arg, pools) for arg in rule.arguments}
    query_form = forms.get((rule.rule, "GET"))
    offered = {name: sorted(f.options | f.defaults) for name, f in
               (query_form.fields.items() if query_form else ())}
    body_form = forms.get((rule.rule, method))

    @st.composite
    def build(draw):
        path = _ARG.sub(lambda m: values.path_segment(draw(args[m.group("name")])), rule.rule)
        query = draw(values.query_pairs(offered))
        spec = forms.get((path, method), body_form)
        form = list(draw(form_pairs(spec, visitor))) if method in BODY_METHODS else None
        # One request in ten carries a NUL byte (the guard's 400); hypothesis draws integers
        # close to uniformly but picks among repeated sampled_from elements unevenly.
        nul = draw(st.integers(0, 9))
        query_nul = nul == 4 or (nul == 5 and form is None)
        if query_nul:
            query = draw(values.put_nul(query))
        elif nul == 5:
            form = draw(values.put_nul(form))
        query = values.encode_query(query, draw(st.sampled_from(values.RAW_QUERY_TAILS)))
        cookies = tuple(draw(COOKIES)) if draw(st.integers(0, 9)) == 7 else ()
        if form is None:
            return FuzzRequest(method, path, query, nul=query_nul, cookies=cookies)
        token = next((v for k, v in form if k == CSRF_FIELD), None)
        sent = draw(body_request(method, path, query, form, token))
        return replace(sent, nul=True if query_nul else sent.nul, cookies=cookies)

    return build()


def check_response(request: FuzzRequest, response) -> None:
    """Fail unless the response is a proper answer: no server error, no traceback, a whole
    page for a 200, a local redirect, and 400 for a NUL byte in the query or form."""
    status = response.status_code
    binary = response.mimetype.startswith(("application/vnd.", "application/octet-stream",
                                           "application/pdf", "image/"))
    data = response.get_data()  # read whole, which also closes a file being sent
    body = "" if binary else data.decode()  # binary: e.g. the contracts' xlsx, an image
    assert status < 500, f"{status} for {request}"
    for marker in TRACEBACK_MARKERS:
        assert marker not in body, f"{marker!r} in the {status} response to {request}"
    if request.nul:
        assert status == 400, f"{status} (not 400) for a NUL byte: {request}"
    if status == 200 and response.mimetype == "text/html" and request.method in ("GET", "POST"):
        for marker in LAYOUT_MARKERS:
            assert marker in body, f"the page lacks the base layout ({marker!r}): {request}"
    if 300 <= status < 400:
        location = urlsplit(response.headers.get("Location", ""))
        assert location.netloc in ("", "localhost"), f"redirect off the site: {request}"
