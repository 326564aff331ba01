"""Turning cells into what the web form would have received, or a reason they cannot be.

Pure (no Flask, no database). Choices (chains, segments, transfer modes, reform and listing
statuses, regions) are given as a Vocabulary built by the caller from the database and the
translated labels, so a cell may hold a key, its Chinese or its English label. The form then
applies every other rule (lengths, ranges, amounts, the order of a range, dates in the past),
so a cell is checked by the same validators as a typed value.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from matchmaker.imports.reading import FORMULA_WITHOUT_VALUE

_SEPARATORS = re.compile(r"[,，、;；/／\n]+")  # forms_common.split_terms's, and a slash
_TRL = re.compile(r"^(?:trl)?\s*(\d{1,2})(?:\.0+)?\s*(?:级)?$", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
YES = {"是", "y", "yes", "true", "1", "√", "✓", "x", "揭榜挂帅", "是否揭榜挂帅"}
NO = {"否", "n", "no", "false", "0", ""}


class CellError(ValueError):
    """A cell that cannot be read; code says why, params fill the message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def fold(text) -> str:
    """Return the comparable form of a choice: NFKC, case-folded, without spaces."""
    return "".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


@dataclass
class Vocabulary:
    """The allowed values: for each, the stored value by every name it may be written as."""

    chains: dict[str, str] = field(default_factory=dict)  # folded name or key -> chain key
    # chain key -> folded segment name or id -> segment id
    segments: dict[str, dict[str, int]] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    reform: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)  # the statuses an import may set
    regions: dict[str, str] = field(default_factory=dict)  # folded name -> region name
    shown: dict[str, list[str]] = field(default_factory=dict)  # column -> values to show

    def allowed(self, key: str, limit: int = 12) -> str:
        values = self.shown.get(key, [])
        more = "…" if len(values) > limit else ""
        return "、".join(values[:limit]) + more


def text_of(value) -> str:
    """Return a cell as the text a person typed (numbers without a trailing .0)."""
    if value is None:
        return ""
    if value is FORMULA_WITHOUT_VALUE:
        raise CellError("formula_without_value")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if not value.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _choice(table: dict[str, str], text: str, code: str, key: str, vocab: Vocabulary) -> str:
    found = table.get(fold(text))
    if found is None:
        raise CellError(code, value=text[:40], allowed=vocab.allowed(key))
    return found


def parse_cell(key: str, value, vocab: Vocabulary, *, chain_key: str | None = None):
    """Return the form value (a str, or a list for modes) of a cell of column key.

    chain_key: the row's chain (already parsed), to read a segment by name.
    """
    text = text_of(value)
    if key == "chain":
        return _choice(vocab.chains, text, "unknown_chain", key, vocab) if text else ""
    if key == "segment":
        if not text:
            return ""
        if not chain_key:
            raise CellError("segment_without_chain")
        found = vocab.segments.get(chain_key, {}).get(fold(text))
        if found is None:
            names = [n for n in vocab.shown.get(f"segment:{chain_key}", [])]
            raise CellError("unknown_segment", value=text[:40], allowed="、".join(names))
        return str(found)
    if key == "modes":
        return [_choice(vocab.modes, term, "unknown_mode", key, vocab)
                for term in dict.fromkeys(t.strip() for t in _SEPARATORS.split(text))
                if term]
    if key == "reform_status":
        return _choice(vocab.reform, text, "unknown_reform", key, vocab) if text else "none"
    if key == "status":
        return _choice(vocab.statuses, text, "unknown_status", key, vocab) if text else ""
    if key == "region":
        return _choice(vocab.regions, text, "unknown_region", key, vocab) if text else ""
    if key in ("trl", "min_trl"):
        if not text:
            return ""
        match = _TRL.match(unicodedata.normalize("NFKC", text))
        if match is None:
            raise CellError("not_a_trl", value=text[:20])
        return match.group(1)
    if key == "deadline":
        return _date(value, text)
    if key == "is_challenge":
        folded = fold(text)
        if folded in YES:
            return "y"
        if folded in NO:
            return ""
        raise CellError("not_yes_no", value=text[:20])
    if key == "patents":
        return text.replace("\r\n", "\n")
    return text


def _date(value, text: str) -> str:
    if isinstance(value, (date, datetime)):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if not text:
        return ""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, pattern).date().isoformat()
        except ValueError:
            continue
    raise CellError("not_a_date", value=text[:20])
