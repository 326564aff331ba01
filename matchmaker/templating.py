"""Jinja2 globals and filters: labels, language switch, money and localised names."""
from decimal import Decimal
from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import get_locale

from matchmaker import labels


def localized(obj, field: str = "name") -> str:
    """Return obj.<field>_en in English when it is filled, else the Chinese obj.<field>(_zh)."""
    if obj is None:
        return ""
    zh = getattr(obj, f"{field}_zh", None) or getattr(obj, field, "")
    if str(get_locale()) == "en":
        return getattr(obj, f"{field}_en", None) or zh
    return zh


def money(value: Decimal | None) -> str:
    """Format an amount in 万元 without trailing zeros."""
    if value is None:
        return ""
    return f"{value.normalize():f}" if isinstance(value, Decimal) else f"{value:g}"


def url_with(**changes) -> str:
    """Return the current URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        args[key] = [value] if value is not None else []
    args = {k: [v for v in vs if v not in ("", None)] for k, vs in args.items()}
    return request.path + "?" + urlencode(args, doseq=True)


def register(app: Flask) -> None:
    """Install the template helpers on app."""
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.filters["money"] = money
    app.jinja_env.globals["labels"] = labels

    app.jinja_env.globals["url_with"] = url_with

    @app.context_processor
    def inject_locale():
        return {"current_locale": str(get_locale())}
