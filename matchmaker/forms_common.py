"""Form fields and validators shared by several features."""
import re

from flask_babel import gettext as _
from wtforms import SelectMultipleField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from matchmaker.domain import KEYWORD_LEN_MAX, KEYWORDS_MAX

_SEPARATORS = re.compile(r"[,，、;；\n]+")


def split_terms(text: str) -> list[str]:
    """Split a comma/semicolon/newline separated list, Chinese punctuation included."""
    return list(dict.fromkeys(t.strip() for t in _SEPARATORS.split(text or "") if t.strip()))


class TermListField(StringField):
    """A text input holding a list of short terms separated by commas (，、, also accepted)."""

    def __init__(self, label=None, validators=None, *, max_items=KEYWORDS_MAX,
                 max_len=KEYWORD_LEN_MAX, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.max_items = max_items
        self.max_len = max_len

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = split_terms(self.raw)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "，".join(self.data or [])

    def pre_validate(self, form):
        if len(self.data or []) > self.max_items:
            raise ValidationError(_("At most %(n)d items.", n=self.max_items))
        too_long = [t for t in self.data or [] if len(t) > self.max_len]
        if too_long:
            raise ValidationError(
                _("“%(term)s” is too long (at most %(n)d characters).",
                   term=too_long[0][:20], n=self.max_len))


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes for choosing several values."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def ordered_range(low_field: str, message):
    """Return a form-level check that low_field <= the field it is attached to."""

    def check(form, field):
        low = form[low_field].data
        if low is not None and field.data is not None and low > field.data:
            raise ValidationError(message)

    return check
