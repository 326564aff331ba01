"""A broker's contact details: how each one is checked and the one form in which it is stored.

The profile form asks here to say what is wrong next to the field; update_broker_profile asks
again, so the seed loader and the coming API store exactly what the form would. Who may read
the details is decided by permissions (Action.CONTACT), not here.
"""
import re
from dataclasses import dataclass, fields

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from matchmaker.textclean import clean_line

PHONE_MAX = 40  # as typed: spaces, dashes, +86 and an extension included
EMAIL_MAX = 254
WECHAT_MAX = 20
OFFICE_HOURS_MAX = 200

# Mainland China only: the parties a broker serves call mainland numbers, and the privacy
# notice promises that personal information stays in mainland China.
_REGION = "CN"
_PERSONAL_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE,
                   PhoneNumberType.FIXED_LINE_OR_MOBILE}
# Extensions as they are written in China ("029-8836 5102 转 8012"); phonenumbers reads the
# Latin forms (ext., x, #) itself.
_CHINESE_EXTENSION = re.compile(r"\s*(?:转|分机)\s*")
_STORED_EXTENSION = " ext. "  # how phonenumbers' national format writes one
_TRAILING_EXTENSION = re.compile(r"(.*\d)\s*[-－]\s*(\d{1,6})")  # "029-88365102-8012"
# A WeChat ID (微信号) as WeChat allows it: 6–20 letters, digits, _ or -, a letter first.
_WECHAT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{5,19}")

MESSAGES = {
    "phone_invalid": _l("Enter a mainland China mobile number (11 digits, e.g. 138 0029 1234) "
                        "or a landline with its area code (e.g. 029 8836 5102)."),
    "phone_abroad": _l("Enter a mainland China number: numbers outside mainland China are not "
                       "accepted here."),
    "phone_service": _l("Enter a mobile number or a landline: service numbers such as 400 or "
                        "800 numbers are not accepted here."),
    "email_invalid": _l("Enter a valid e-mail address."),
    "wechat_invalid": _l("A WeChat ID has 6 to 20 letters, digits, underscores or hyphens and "
                         "starts with a letter."),
}


class ContactError(ValueError):
    """A contact detail that cannot be stored; code is a key of MESSAGES, or "too_long"."""

    def __init__(self, code: str, limit: int | None = None):
        super().__init__(code)
        self.code = code
        self.limit = limit

    @property
    def message(self) -> str:
        """Return what is wrong, in the reader's language."""
        if self.code == "too_long":
            return str(_l("Too long: at most %(n)d characters.", n=self.limit))
        return str(MESSAGES[self.code])


@dataclass
class BrokerContact:
    """What a broker tells the parties they work with about how to reach them."""

    phone: str = ""
    contact_email: str = ""
    wechat_id: str = ""
    office_hours: str = ""


FIELDS = tuple(item.name for item in fields(BrokerContact))  # the Broker columns of the same names


def _limit(text: str, limit: int) -> str:
    text = clean_line(text or "").strip()
    if len(text) > limit:
        raise ContactError("too_long", limit)
    return text


def _parse_phone(text: str) -> phonenumbers.PhoneNumber | None:
    def parse(value: str) -> phonenumbers.PhoneNumber | None:
        try:
            return phonenumbers.parse(value, _REGION)
        except phonenumbers.NumberParseException:
            return None

    number = parse(_CHINESE_EXTENSION.sub(" ext. ", text))
    if number is not None and phonenumbers.is_valid_number(number):
        return number
    trailing = _TRAILING_EXTENSION.fullmatch(text)
    if trailing:
        base = parse(trailing.group(1))
        if base is not None and phonenumbers.is_valid_number(base) and \
                phonenumbers.number_type(base) == PhoneNumberType.FIXED_LINE:
            base.extension = trailing.group(2)
            return base
    return number


def normalize_phone(text: str) -> str:
    """Return a mainland mobile or landline number written one way ("138 0029 1234",
    "029 8836 5102", "029 8836 5102 ext. 8012"), or "" for none; raise ContactError."""
    text = _limit(text, PHONE_MAX)
    if not text:
        return ""
    number = _parse_phone(text)
    if number is None or not phonenumbers.is_valid_number(number):
        raise ContactError("phone_invalid")
    if phonenumbers.region_code_for_number(number) != _REGION:
        raise ContactError("phone_abroad")
    if phonenumbers.number_type(number) not in _PERSONAL_TYPES:
        raise ContactError("phone_service")
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)


def phone_parts(stored: str) -> tuple[str, str]:
    """Return the number and the extension ("" if none) of a stored phone number."""
    number, _sep, extension = stored.partition(_STORED_EXTENSION)
    return number, extension


def phone_uri(stored: str) -> str | None:
    """Return the tel: link of a stored number (a tap on a phone calls it), None if none."""
    if not stored:
        return None
    try:
        number = phonenumbers.parse(stored, _REGION)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.RFC3966)


def normalize_email(text: str) -> str:
    """Return the e-mail address as email-validator normalises it, or "" for none."""
    text = _limit(text, EMAIL_MAX)
    if not text:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ContactError("email_invalid") from None


def normalize_wechat(text: str) -> str:
    """Return the WeChat ID as typed (trimmed), or "" for none; raise ContactError."""
    text = _limit(text, PHONE_MAX)  # a little room, so a long paste says "invalid", not "long"
    if text and not _WECHAT_ID.fullmatch(text):
        raise ContactError("wechat_invalid")
    return text


def normalize_office_hours(text: str) -> str:
    """Return the note on when the broker is reachable, trimmed, or "" for none."""
    return _limit(text, OFFICE_HOURS_MAX)


NORMALIZERS = {"phone": normalize_phone, "contact_email": normalize_email,
               "wechat_id": normalize_wechat, "office_hours": normalize_office_hours}


def normalize_contact(contact: BrokerContact) -> tuple[BrokerContact, dict[str, str]]:
    """Return the contact written one way and, per field that cannot be stored, the reason."""
    values, problems = {}, {}
    for name in FIELDS:
        try:
            values[name] = NORMALIZERS[name](getattr(contact, name) or "")
        except ContactError as error:
            problems[name] = error.message
    return BrokerContact(**values), problems
