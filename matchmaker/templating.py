"""Jinja2 globals and filters: labels, language switch, money, localised names, user content."""
import re
from decimal import Decimal
from types import ModuleType
from urllib.parse import urlencode

from flask import Flask, request
from flask.globals import _cv_app, _cv_request
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user

from matchmaker import labels, permissions
from matchmaker.blocks import render_blocks
from matchmaker.matching import calibration
from matchmaker.money import format_amount, format_range

# Han ideographs, CJK symbols and punctuation (、。「」【】), full-width forms (，：（）).
CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _chosen_locale():
    """Return the locale Flask-Babel already chose for this request (or forced), else None.

    Flask-Babel keeps it on g._flask_babel.babel_locale; get_locale() reaches it through three
    lookups of the g proxy, and a page asks for the language hundreds of times (every label,
    name and amount). Reading the application context once gives the same object; anything
    unexpected falls back to get_locale()."""
    app_ctx = _cv_app.get(None)
    babel_ctx = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
    return getattr(babel_ctx, "babel_locale", None)


def current_language() -> str:
    """Return the UI language of the request: 'zh' or 'en'. (The locale's language attribute,
    not str(locale): pages ask this for every label and amount, and str() rebuilds the
    identifier each time.)"""
    locale = _chosen_locale() or get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def _translations(cache: dict):
    """Return the catalogue of the current locale, kept in cache by language."""
    locale = _chosen_locale() or get_locale()
    if locale is None or locale.territory or locale.script or locale.variant:
        return get_translations()  # outside a request, or a locale this cache does not key
    translations = cache.get(locale.language)
    if translations is None:
        translations = cache[locale.language] = get_translations()
    return translations


def _install_gettext(app: Flask) -> None:
    """Give templates the same gettext functions as Flask-Babel installs, minus the cost of
    finding the catalogue again for each of a page's sixty-odd strings: Flask-Babel loads a
    catalogue once per locale and process and keeps it, so the app keeps a reference by
    language."""
    cache: dict = {}
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations(cache).ugettext(s),
        ngettext=lambda s, p, n: _translations(cache).ungettext(s, p, n),
        pgettext=lambda c, s: _translations(cache).upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations(cache).unpgettext(c, s, p, n),
        newstyle=True)


_URL_CACHE_MAX = 1000


def _install_url_for(app: Flask) -> None:
    """Give templates a url_for that keeps the addresses of endpoints without arguments (and of
    static files) per process: every page draws some twenty of them in its navigation bar, each
    built again by the URL map, and they only change with the application's root. Anything
    else (arguments, external URLs, no request) goes to Flask's url_for."""
    build = app.jinja_env.globals["url_for"]
    cache: dict[tuple, str] = {}

    def url_for(endpoint: str, **values) -> str:
        ctx = _cv_request.get(None)
        if ctx is None or (values and (endpoint != "static" or len(values) != 1
                                       or "filename" not in values)):
            return build(endpoint, **values)
        req = ctx.request
        key = (endpoint, values.get("filename"), req.script_root,
               req.blueprint if endpoint.startswith(".") else None)
        url = cache.get(key)
        if url is None:
            url = build(endpoint, **values)
            if len(cache) >= _URL_CACHE_MAX:
                cache.clear()
            cache[key] = url
        return url

    app.jinja_env.globals["url_for"] = url_for


def localized(obj, field: str = "name") -> str:
    """Return obj.<field>_en in English when it is filled, else the Chinese obj.<field>(_zh)."""
    if obj is None:
        return ""
    zh = getattr(obj, f"{field}_zh", None) or getattr(obj, field, "")
    if current_language() == "en":
        return getattr(obj, f"{field}_en", None) or zh
    return zh


def _resolved(value):
    """Return value with its lazy strings made plain in the current language, or None when it
    holds nothing lazy (a function, a number, a plain string)."""
    if isinstance(value, LazyString):
        return str(value)
    if isinstance(value, dict) and any(isinstance(v, LazyString) for v in value.values()):
        return {k: str(v) if isinstance(v, LazyString) else v for k, v in value.items()}
    return None


class TranslatedLabels:
    """A labels module as templates see it: its lazy strings and dicts of lazy strings
    translated once per language and process, not once per use.

    A page renders the same labels many times (a select of decline reasons on each of ten match
    cards); each lazy string looked its translation up through Flask-Babel's request context
    again. The catalogues are loaded once per process, so a translated copy per language stays
    right for the life of the process.
    """

    def __init__(self, module: ModuleType):
        self._module = module
        self._cache: dict[tuple[str, str], object] = {}

    def __getattr__(self, name: str):
        key = (current_language(), name)
        try:
            return self._cache[key]
        except KeyError:
            pass
        value = getattr(self._module, name)
        resolved = _resolved(value)
        if resolved is None:
            return value
        self._cache[key] = resolved
        return resolved


def lang_of(text) -> str:
    """Return the language tag for user content: 'zh' when it contains Chinese, else 'en'.

    Pages mark what users wrote (titles, abstracts, names) with this tag, so that screen
    readers and fonts pick the right language and tests can tell content from interface text.
    """
    return "zh" if CJK_RE.search(str(text or "")) else "en"


def money(value: Decimal | None) -> str:
    """Format one amount in 万元 for the current language ('' for None)."""
    return format_amount(value, locale=current_language())


def money_range(low: Decimal | None, high: Decimal | None) -> str:
    """Format a range of amounts in 万元 for the current language ('' when both are None)."""
    return format_range(low, high, locale=current_language())


def join_terms(items) -> str:
    """Join short terms with the list separator of the current language (、 or , )."""
    return ("、" if current_language() == "zh" else ", ").join(str(i) for i in items or ())


def segment_catalogue(chains) -> list[dict]:
    """Return chains and their segments with localised names, for static/js/segments.js."""
    return [{"key": c.key, "name": localized(c),
             "segments": [[str(s.id), localized(s)] for s in c.segments]} for c in chains]


def url_with(**changes) -> str:
    """Return the current URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        args[key] = [value] if value is not None else []
    args = {k: [v for v in vs if v not in ("", None)] for k, vs in args.items()}
    return request.path + "?" + urlencode(args, doseq=True)


def register(app: Flask) -> None:
    """Install the template helpers on app."""
    _install_gettext(app)
    _install_url_for(app)
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["lang_of"] = lang_of
    app.jinja_env.filters["join_terms"] = join_terms
    app.jinja_env.filters["quality_percent"] = calibration.percent
    app.jinja_env.globals["money_range"] = money_range
    app.jinja_env.globals["segment_catalogue"] = segment_catalogue
    app.jinja_env.globals["labels"] = TranslatedLabels(labels)

    app.jinja_env.globals["url_with"] = url_with
    # Higher features' blocks inside lower templates (a match card's deal actions).
    app.jinja_env.globals["render_blocks"] = render_blocks

    def can(action: str, obj) -> bool:
        """Return whether the signed-in user (or the anonymous visitor) may do action on obj."""
        return permissions.can(current_user, action, obj)

    app.jinja_env.globals["can"] = can

    @app.context_processor
    def inject_locale():
        return {"current_locale": str(get_locale())}
