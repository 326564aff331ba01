"""Translated text for the matcher's explanations: components, rule codes and hints.

The engine explains a match with codes and parameters (and English hint messages for its own
CLI); the UI turns the codes into sentences in the user's language here.
"""
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import String, literal, select, union_all
from sqlalchemy.orm import Session

from matchmaker import labels
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.money import format_amount
from matchmaker.orgs.models import Region
from matchmaker.templating import current_language, localized

COMPONENTS = {
    "text": _l("Text similarity"),
    "chain": _l("Chain fit"),
    "trl": _l("TRL fit"),
    "mode": _l("Transfer mode fit"),
    "price": _l("Price fit"),
    "region": _l("Local conversion"),
}
# How a rule reads for the match: good news, a warning, or neutral.
RULE_TONES = {
    "same_segment": "good", "adjacent_segment": "good", "same_chain": "good",
    "trl_ok": "good", "mode_match": "good", "mode_compatible": "good",
    "price_within_budget": "good", "local_conversion": "good", "same_province": "good",
    "other_chain": "warn", "trl_gap": "warn", "mode_mismatch": "warn",
    "price_over_budget": "warn",
}


class _Names(NamedTuple):
    """A chain's names (as localized() reads them)."""

    key: str
    name_zh: str
    name_en: str | None


class _Segment(NamedTuple):
    chain: str
    key: str
    name_zh: str
    name_en: str | None


class _Region(NamedTuple):
    name: str
    name_en: str | None


@dataclass(frozen=True)
class ChainNames:
    """Localised names of chains and segments by key, and of regions by (Chinese) name."""

    chains: dict
    segments: dict
    regions: dict = field(default_factory=dict)
    # Tells one set of names from another (a renamed chain or segment), for what is rendered
    # from them and kept (recommendations.views.match_card_parts).
    fingerprint: int = 0

    @classmethod
    def load(cls, session: Session) -> "ChainNames":
        """Read the names only (rows with name_zh / name_en, as localized() reads them): a
        match page loads them on every view, and whole chains carry their synonym groups and
        keyword lists. One statement for the three tables: each statement costs the web
        process more than its rows."""
        rows = session.execute(union_all(
            select(literal("c").label("kind"), Chain.key.label("chain"),
                   literal(None, String).label("key"), Chain.name_zh, Chain.name_en),
            select(literal("s"), Chain.key, ChainSegment.key, ChainSegment.name_zh,
                   ChainSegment.name_en).join(Chain, Chain.id == ChainSegment.chain_id),
            select(literal("r"), literal(None, String), literal(None, String), Region.name,
                   Region.name_en))).all()
        chains = [_Names(r.chain, r.name_zh, r.name_en) for r in rows if r.kind == "c"]
        segments = [_Segment(r.chain, r.key, r.name_zh, r.name_en) for r in rows
                    if r.kind == "s"]
        regions = [_Region(r.name_zh, r.name_en) for r in rows if r.kind == "r"]
        return cls({c.key: c for c in chains}, {(s.chain, s.key): s for s in segments},
                   {r.name: r for r in regions},
                   hash((tuple(sorted(chains)), tuple(sorted(segments)),
                         tuple(sorted(regions, key=str)))))

    def region(self, name) -> str:
        found = self.regions.get(name)
        return localized(found, "name") if found else str(name or "—")

    def chain(self, key) -> str:
        return localized(self.chains[key], "name") if key in self.chains else str(key or "—")

    def segment(self, chain, key) -> str:
        found = self.segments.get((chain, key))
        return localized(found, "name") if found else str(key or "—")


def _join(items) -> str:
    return ("、" if current_language() == "zh" else ", ").join(str(i) for i in items)


def _modes(modes) -> str:
    return _join(labels.TRANSFER_MODE.get(m, m) for m in modes or ())


# The sentence of each rule code: a function of the rule's values and the names it refers to
# (built once; a page shows about fifty rules).
_RULE_TEXTS = {
    "same_segment": lambda r, n: _("Same segment: %(segment)s",
                                   segment=n.segment(r.get("chain"), r.get("segment"))),
    "adjacent_segment": lambda r, n: _(
        "Adjacent segments: %(need_segment)s ↔ %(output_segment)s",
        need_segment=n.segment(r.get("chain"), r.get("need_segment")),
        output_segment=n.segment(r.get("chain"), r.get("output_segment"))),
    "same_chain": lambda r, n: _("Same sector chain: %(chain)s", chain=n.chain(r.get("chain"))),
    "other_chain": lambda r, n: _("Different chains: the need is in %(need)s, the output in "
                                  "%(output)s", need=n.chain(r.get("need")),
                                  output=n.chain(r.get("output"))),
    "chain_unknown": lambda r, n: _("Sector chain unknown"),
    "trl_ok": lambda r, n: _("TRL %(trl)s meets the required %(required)s",
                             trl=r.get("trl"), required=r.get("required")),
    "trl_gap": lambda r, n: _("TRL %(trl)s is below the required %(required)s",
                              trl=r.get("trl"), required=r.get("required")),
    "mode_match": lambda r, n: _("Transfer mode fits: %(modes)s", modes=_modes(r.get("modes"))),
    "mode_compatible": lambda r, n: _("Compatible transfer mode: %(modes)s",
                                      modes=_modes(r.get("modes"))),
    "mode_mismatch": lambda r, n: _("No common transfer mode"),
    "price_within_budget": lambda r, n: _("Asking price within the budget"),
    "price_over_budget": lambda r, n: _("Asking price over the budget"),
    "local_conversion": lambda r, n: _("Local conversion: both in %(region)s",
                                       region=n.region(r.get("region"))),
    "same_province": lambda r, n: _("Both in the same province"),
}


def rule_text(rule: dict, names: ChainNames) -> str:
    """Return the sentence for one rule that fired (its code when the code is unknown)."""
    text = _RULE_TEXTS.get(rule.get("code"))
    return text(rule, names) if text else str(rule.get("code"))


def hint_text(hint: dict) -> str | None:
    """Return what would make an almost-fitting pair fit, or None for an unknown hint."""
    code = hint.get("code")
    if code == "trl_gap":
        trl, required = hint.get("trl") or 0, hint.get("required") or 0
        if hint.get("step") == "pilot":
            return _("TRL %(trl)s < required %(required)s: needs a pilot line",
                     trl=trl, required=required)
        return _("TRL %(trl)s < required %(required)s: needs further development and a pilot "
                 "line", trl=trl, required=required)
    if code == "mode_mismatch":
        return _("Offers %(offered)s only; the need wants %(wanted)s",
                 offered=_modes(hint.get("offered")), wanted=_modes(hint.get("wanted")))
    if code == "price_over_budget":
        return _("Asking price from %(price)s exceeds the budget of %(budget)s",
                 price=_amount(hint.get("price_min")), budget=_amount(hint.get("budget_max")))
    return None


def _amount(value) -> str:
    """Say an amount in 万元 from an explanation (a float) like every other amount."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "—"
    return format_amount(Decimal(str(value)), locale=current_language())


def guess_text(guess, names: ChainNames) -> str:
    """Return where the matcher placed a profile: chain · segment, and whether it guessed."""
    if guess is None or guess.chain is None:
        return _("unknown")
    place = names.chain(guess.chain)
    if guess.segment:
        place += " · " + names.segment(guess.chain, guess.segment)
    if guess.source == "inferred":
        return _("%(place)s (inferred, confidence %(pct)s%%)", place=place,
                 pct=round(guess.confidence * 100))
    return place


def highlight(text: str, terms, *, width: int = 220) -> Markup:
    """Return an escaped excerpt of text around the first shared term, terms in <mark>.

    A term shown as "a / b" (a synonym group) matches either variant; case is ignored.
    """
    text = " ".join((text or "").split())
    variants = sorted({v.strip() for t in terms or () for v in str(t).split(" / ")
                       if len(v.strip()) >= 2}, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, variants)), re.IGNORECASE) if variants else None
    first = pattern.search(text) if pattern else None
    start = max(0, first.start() - width // 4) if first else 0
    excerpt = text[start:start + width]
    parts = [Markup("…") if start else Markup("")]
    position = 0
    for hit in pattern.finditer(excerpt) if pattern else ():
        parts += [escape(excerpt[position:hit.start()]),
                  Markup("<mark>%s</mark>") % hit.group(0)]
        position = hit.end()
    parts.append(escape(excerpt[position:]))
    if start + width < len(text):
        parts.append(Markup("…"))
    return Markup("").join(parts)


def pct_step(value, step: int = 5) -> int:
    """Return value in [0, 1] as a percentage rounded to step (for the CSS width classes)."""
    try:
        pct = float(value) * 100
    except (TypeError, ValueError):
        return 0
    return int(min(100, max(0, round(pct / step) * step)))
