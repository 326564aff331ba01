"""Amounts of money: parse what people type and say amounts the way people read them.

Amounts are stored in 万元 (10,000 yuan), the unit of Chinese technology-market listings.
Chinese reads 「100–300 万元」 (亿元 from 10,000 万元 up); English reads "¥1–3 million",
"¥500,000". Plain Python: no Flask, so the rules can be read and tested on their own.
"""
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MONEY_MAX = Decimal(10_000_000)  # 万元 (1,000 亿元): anything larger is a typo
WAN = Decimal(10_000)  # yuan per 万元
YI = Decimal(10_000)  # 万元 per 亿元

# Digits with optional thousands separators and at most a few decimals; no signs, exponents,
# NaN or Infinity (Decimal accepts all of those).
_AMOUNT_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")
_UNIT_RE = re.compile(r"\s*(?:万元|万)$")


class AmountError(ValueError):
    """Text that is not an acceptable amount; code says why (not_a_number, negative, …)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def parse_amount(text: str | None) -> Decimal | None:
    """Return the amount in 万元 typed as text (None when blank); raise AmountError otherwise.

    Accepts full-width digits, thousands separators (1,200) and a trailing 万元 unit.
    """
    cleaned = unicodedata.normalize("NFKC", text or "").strip().replace("，", ",")
    cleaned = _UNIT_RE.sub("", cleaned).replace(" ", "")
    if not cleaned:
        return None
    if cleaned.startswith("-") and _AMOUNT_RE.match(cleaned[1:]):
        raise AmountError("negative")
    match = _AMOUNT_RE.match(cleaned) if len(cleaned) <= 24 else None
    if match is None:
        raise AmountError("not_a_number")
    if match.group(1) and len(match.group(1)) > 2:
        raise AmountError("too_precise")
    try:
        amount = Decimal(cleaned.replace(",", ""))
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only digits
        raise AmountError("not_a_number") from error
    if amount > MONEY_MAX:
        raise AmountError("too_large")
    return amount


def plain_number(value: Decimal) -> str:
    """Return value without exponent or trailing zeros ('120', '85.5') for an input box."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _number(value: Decimal, *, places: int = 2) -> str:
    """Return value rounded to places decimals, trailing zeros dropped, thousands grouped."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{rounded:f}".partition(".")
    fraction = fraction.rstrip("0")
    grouped = f"{int(whole):,}"
    return f"{grouped}.{fraction}" if fraction else grouped


def _zh_parts(values: list[Decimal]) -> tuple[str, str]:
    """Return the numbers joined by an en dash and the unit: 亿元 once the larger reaches it."""
    if max(values) >= YI:
        return "–".join(_number(v / YI) for v in values), "亿元"
    return "–".join(_number(v) for v in values), "万元"


_EN_SCALES = ((Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million"))


def _en_scale(yuan: Decimal) -> tuple[Decimal, str]:
    for size, word in _EN_SCALES:
        if yuan >= size:
            return size, word
    return Decimal(1), ""


def _en(values: list[Decimal]) -> str:
    """Say amounts in 万元 in English: one scale word for a range when both share it."""
    yuan = [v * WAN for v in values]
    scales = [_en_scale(y) for y in yuan]
    if len(set(scales)) == 1 and scales[0][1]:
        size, word = scales[0]
        numbers = "–".join(_number(y / size) for y in yuan)
        return f"¥{numbers} {word}"
    if len(values) == 1:
        return f"¥{_number(yuan[0])}"
    return "–".join(_en([v]) for v in values)


def format_amount(value: Decimal | None, *, locale: str = "zh") -> str:
    """Return one amount in 万元 as people read it ('' for None): 「300 万元」, "¥3 million"."""
    if value is None:
        return ""
    return _en([Decimal(value)]) if locale == "en" else " ".join(_zh_parts([Decimal(value)]))


def format_range(low: Decimal | None, high: Decimal | None, *, locale: str = "zh") -> str:
    """Return a range of amounts in 万元 as people read it; '' when both bounds are None.

    Parameters
    ----------
    low, high : the bounds in 万元; a missing bound reads "from …" / "up to …", equal bounds
        read as one amount.
    locale : 'zh' or 'en'.
    """
    if low is None and high is None:
        return ""
    if low is None or high is None or low == high:
        one = format_amount(low if low is not None else high, locale=locale)
        if low is not None and high is not None:
            return one
        if locale == "en":
            return f"from {one}" if high is None else f"up to {one}"
        return f"{one}起" if high is None else f"不超过 {one}"
    if locale == "en":
        return _en([Decimal(low), Decimal(high)])
    return " ".join(_zh_parts([Decimal(low), Decimal(high)]))
