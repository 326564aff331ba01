"""Password policy: a length range, then zxcvbn's estimate of how guessable the password is.

zxcvbn (Dropbox's estimator, maintained on PyPI as `zxcvbn`) finds common passwords, words,
names, keyboard patterns, repeats, sequences, dates and the person's own name or e-mail
(passed as user inputs) and estimates the guesses an attacker needs. We accept score 3 and up
("safely unguessable: moderate protection from an offline slow-hash scenario", about 10^8
guesses), the level its authors recommend for sign-up forms.
"""
import re
import threading

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn
from zxcvbn.matching import add_frequency_lists

PASSWORD_MIN, PASSWORD_MAX = 10, 128
MIN_SCORE = 3
# zxcvbn refuses to score more than 72 characters (its run time grows with length); a longer
# password is judged by its first 72 characters.
_SCORED = 72
# Words that every account here shares: a password built on them is no secret.
SITE_WORDS = ("qinchuangyuan", "matchmaker", "秦创原", "demo")

# zxcvbn's dictionaries are English. A short supplement of passwords that analyses of Chinese
# password leaks keep finding at the top (pinyin phrases, "520"/"1314" love numbers) and the
# most frequent Chinese surnames in pinyin, most common first.
CHINESE_COMMON = (
    "woaini", "5201314", "1314520", "woaini1314", "woaini520", "aini1314", "520520",
    "1314521", "iloveyou1314", "dearbook", "xiazhili", "qq123456", "wang", "li", "zhang",
    "liu", "chen", "yang", "huang", "zhao", "zhou", "xu", "sun", "ma", "zhu", "hu", "guo",
    "he", "gao", "lin", "luo", "zheng", "liang", "xie", "song", "tang", "han", "feng",
)
add_frequency_lists({"chinese_common": list(CHINESE_COMMON)})

# zxcvbn keeps the user inputs of the current call in a module-level dictionary.
_lock = threading.Lock()

REASONS = {
    "too_short": _l("Use at least 10 characters."),
    "too_long": _l("Use at most 128 characters."),
    "personal": _l("it contains your name, your e-mail address or the platform's name."),
    "common": _l("it is one of the most common passwords, or close to one."),
    "words": _l("a single common word or name is easy to guess."),
    "keyboard": _l("keyboard patterns such as “qwerty” are easy to guess."),
    "repeat": _l("repeated characters or words such as “aaa” or “abcabc” are easy to guess."),
    "sequence": _l("sequences such as “abc” or “6543” are easy to guess."),
    "date": _l("dates and years are easy to guess."),
    "guessable": _l("it would be found quickly by trying common patterns."),
}


def _reason(sequence: list[dict]) -> str:
    if any(m.get("dictionary_name") == "user_inputs" for m in sequence):
        return "personal"
    longest = max(sequence, key=lambda m: len(m["token"]), default=None)
    if longest is None:
        return "guessable"
    pattern = longest["pattern"]
    if pattern == "dictionary":
        common = longest["dictionary_name"] in ("passwords", "chinese_common")
        return "common" if common else "words"
    return {"spatial": "keyboard", "repeat": "repeat", "sequence": "sequence",
            "date": "date", "regex": "date"}.get(pattern, "guessable")


def password_problem(password: str, *, user_inputs=()) -> str | None:
    """Return why password is not acceptable (a key of REASONS), or None if it is.

    user_inputs: the person's e-mail, name, organisation and the like; a password built on
    them is refused.
    """
    if len(password) < PASSWORD_MIN:
        return "too_short"
    if len(password) > PASSWORD_MAX:
        return "too_long"
    inputs = [str(i) for i in user_inputs if i] + list(SITE_WORDS)
    for value in list(inputs):
        if "@" in value:  # an e-mail address: also its local part and the pieces of both
            local, _at, domain = value.partition("@")
            inputs.append(local)
            inputs.extend(p for p in re.split(r"[._+\-]", local) + domain.split(".") if p)
    with _lock:
        result = zxcvbn(password[:_SCORED], user_inputs=inputs, max_length=_SCORED)
    if result["score"] >= MIN_SCORE and not (result["score"] < 4 and _contains(password, inputs)):
        return None
    if result["score"] >= MIN_SCORE:
        return "personal"  # only just strong enough, and built on the person's own details
    return _reason(result["sequence"])


def _contains(password: str, inputs: list[str]) -> bool:
    lowered = password.casefold()
    return any(len(value) >= 4 and value.casefold() in lowered for value in inputs)


def describe(reason: str) -> str:
    """Return the translated message for a reason of password_problem."""
    if reason in ("too_short", "too_long"):
        return str(REASONS[reason])
    return _("This password is too easy to guess: %(reason)s Add a few uncommon words; length "
             "helps more than symbols.", reason=REASONS[reason])
