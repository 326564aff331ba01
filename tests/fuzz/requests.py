"""A fuzzed request: how to draw one for a route, send it, and judge the response."""
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule

from matchmaker.routing import IdConverter
from matchmaker.seed import demo_email
from tests.conftest import DEMO_PASSWORD
from tests.fuzz import values
from tests.fuzz.forms import CSRF_FIELD, FormSpec
from tests.fuzz.world import NEWCOMER_PASSWORD, ROLES, IdPools, Visitor

# Methods the fuzzer knows how to send; a route with another method fails the suite until
# the fuzzer learns it (a JSON API's PUT, say, wants JSON bodies rather than forms).
KNOWN_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST"})
BODY_METHODS = frozenset({"POST"})
_ARG = re.compile(r"<(?:(?P<converter>[^:<>(]+)(?:\([^)]*\))?:)?(?P<name>[^:<>]+)>")
TRACEBACK_MARKERS = ("Traceback (most recent call last)", "werkzeug.debug", "jinja2.exceptions",
                     "sqlalchemy.exc", "psycopg.errors", "sqlite3.")
LAYOUT_MARKERS = ('class="navbar-brand', "</main>", "</footer>")


class UnfuzzableRouteError(Exception):
    """A route has a converter or method the fuzzer cannot fill."""


def converter_strategy(rule: Rule, arg: str, pools: IdPools) -> st.SearchStrategy[str]:
    """Return values for the path argument arg of rule, by its converter."""
    converter = rule._converters[arg]
    if isinstance(converter, IdConverter):
        return values.id_value(*pools.for_arg(rule, arg))
    if type(converter).__name__ == "UnicodeConverter":  # the default <name> converter
        return values.string_value()
    raise UnfuzzableRouteError(
        f"{rule.rule}: no strategy for the {type(converter).__name__} of <{arg}>")


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
    form: tuple[tuple[str, str], ...] | None

    @property
    def has_nul(self) -> bool:
        """Whether a query or form name or value carries a NUL byte (the guard answers 400)."""
        form = self.form or ()
        return "%00" in self.query.lower() or any(values.NUL in k + v for k, v in form)

    def send(self, client):
        data = MultiDict(list(self.form)) if self.form is not None else None
        return client.open(self.path, method=self.method, query_string=self.query, data=data)


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
        form = list(draw(form_pairs(body_form, visitor))) if method in BODY_METHODS else None
        # One request in ten carries a NUL byte (the guard's 400); hypothesis draws integers
        # close to uniformly but picks among repeated sampled_from elements unevenly.
        nul = draw(st.integers(0, 9))
        if nul == 4 or (nul == 5 and form is None):
            query = draw(values.put_nul(query))
        elif nul == 5:
            form = draw(values.put_nul(form))
        query = values.encode_query(query, draw(st.sampled_from(values.RAW_QUERY_TAILS)))
        return FuzzRequest(method, path, query, tuple(form) if form is not None else None)

    return build()


def check_response(request: FuzzRequest, response) -> None:
    """Fail unless the response is a proper answer: no server error, no traceback, a whole
    page for a 200, a local redirect, and 400 for a NUL byte in the query or form."""
    status = response.status_code
    body = response.get_data(as_text=True)
    assert status < 500, f"{status} for {request}"
    for marker in TRACEBACK_MARKERS:
        assert marker not in body, f"{marker!r} in the {status} response to {request}"
    if request.has_nul:
        assert status == 400, f"{status} (not 400) for a NUL byte: {request}"
    if status == 200 and response.mimetype == "text/html" and request.method in ("GET", "POST"):
        for marker in LAYOUT_MARKERS:
            assert marker in body, f"the page lacks the base layout ({marker!r}): {request}"
    if 300 <= status < 400:
        location = urlsplit(response.headers.get("Location", ""))
        assert location.netloc in ("", "localhost"), f"redirect off the site: {request}"
