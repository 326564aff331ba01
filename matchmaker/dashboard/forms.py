"""The targets editor's form (shape checks; the rules are in dashboard.services)."""
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from matchmaker.dashboard.models import NOTE_MAX
from matchmaker.forms_common import BaseForm

_NUMBER_RE = re.compile(r"^-?\d+(?:\.\d+)?$")


def parse_target(text: str | None) -> Decimal:
    """Return the number typed (full-width digits, thousands separators and spaces allowed);
    raise ValueError with a code: not_a_number, too_precise."""
    cleaned = unicodedata.normalize("NFKC", text or "").replace(",", "").replace(" ", "")
    if len(cleaned) > 20 or not _NUMBER_RE.match(cleaned):
        raise ValueError("not_a_number")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only digits
        raise ValueError("not_a_number") from error
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("too_precise")
    return value


def _number(form, field) -> None:
    try:
        field.parsed = parse_target(field.data)
    except ValueError as error:
        raise ValidationError(
            _l("Enter a number, e.g. 1500 or 1.2.") if str(error) == "not_a_number"
            else _l("At most two decimals.")) from error


class TargetForm(BaseForm):
    """Set one metric's target for one year."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    target = StringField(_l("Target"), validators=[
        DataRequired(message=_l("Enter the target.")), _number])
    note = StringField(_l("Note"), validators=[Optional(), Length(
        max=NOTE_MAX, message=_l("Too long: at most %(n)d characters.", n=NOTE_MAX))])
