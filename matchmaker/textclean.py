"""Text hygiene for user input: invisible, zero-width and control characters.

Plain Python (no Flask): used by the shared form base class, the request guard and the
organisation-name normaliser.
"""
import re
import unicodedata

NUL = "\x00"

# Characters that render as nothing or as blank space but are not Unicode whitespace or in the
# control/format categories: Hangul fillers and the Braille blank are popular for "empty" names.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")

_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")


def is_invisible(char: str) -> bool:
    """Return whether char shows nothing: whitespace, control (Cc), format (Cf: zero-width
    spaces and joiners, bidi marks, soft hyphen, BOM), or a blank-looking letter."""
    return char.isspace() or char in _BLANK_LOOKING or unicodedata.category(char) in ("Cc", "Cf")


def is_blank(text: str) -> bool:
    """Return whether text is empty or made only of invisible characters."""
    return all(is_invisible(c) for c in text)


def clean_line(text: str, *, keep: str = "") -> str:
    """Clean a single-line value: control and format characters removed (whitespace controls
    such as tab and newline become a space), leading and trailing blanks stripped, and blank
    text becomes "". Characters in keep are left alone (a list field keeps its newlines)."""
    out = []
    for char in _LINE_BREAKS.sub("\n", text):
        if char in keep:
            out.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf") or char in _BLANK_LOOKING:
            if char.isspace():
                out.append(" ")
        else:
            out.append(char)
    cleaned = "".join(out).strip()
    return "" if is_blank(cleaned) else cleaned


def clean_text(text: str) -> str:
    """Clean a multi-line value: line breaks normalised to \\n, NUL and other control characters
    except tab and newline removed; blank text becomes "". Zero-width joiners inside the text
    stay (emoji and some scripts need them)."""
    text = _LINE_BREAKS.sub("\n", text)
    cleaned = "".join(c for c in text
                      if c in "\n\t" or unicodedata.category(c) != "Cc")
    return "" if is_blank(cleaned) else cleaned


def fold_name(text: str) -> str:
    """Return the comparison key of a name: NFKC (full-width → ASCII), case-folded, without
    whitespace, control, zero-width or other invisible characters.

    Normalised again at the end: NFKC turns a spacing mark such as ¨ into a space and a
    combining mark, and once the space is gone the mark composes with the letter before it.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return unicodedata.normalize("NFKC", "".join(c for c in folded if not is_invisible(c)))
