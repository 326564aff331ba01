"""Form fields, validators and the base form shared by every feature."""
import json
import re
from collections.abc import Callable

from flask import flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from matchmaker.domain import KEYWORD_LEN_MAX, KEYWORDS_MAX
from matchmaker.errors import StaleObjectError, ValidationFailedError
from matchmaker.extensions import db
from matchmaker.textclean import clean_line, clean_text, is_blank

_SEPARATORS = re.compile(r"[,，、;；\n]+")
INT_LIMIT = 2**63  # beyond any integer column


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


def _cleaner(field):
    """Return the hygiene function for the submitted values of field."""
    if isinstance(field, PasswordField):
        # A password is kept exactly as typed (sign-in must see what sign-up saw); only a
        # password made of invisible characters counts as empty.
        return lambda value: "" if is_blank(value) else value
    if isinstance(field, TextAreaField):
        return clean_text
    if isinstance(field, TermListField):
        return lambda value: clean_line(value, keep="\n")  # newline separates terms
    return clean_line


def clean_formdata(form, formdata) -> MultiDict:
    """Return formdata with every text value cleaned for the field it belongs to: no NUL or
    control characters, no zero-width characters in single-line fields, and text made only of
    invisible characters turned into "" so that required fields say "required"."""
    fields = {field.name: field for field in form}
    cleaned = MultiDict()
    for key, values in formdata.lists():
        field = fields.get(key)
        clean = _cleaner(field) if field is not None else clean_line
        for value in values:
            if isinstance(value, bool | int | float):  # a JSON body: as a form would send it
                value = json.dumps(value)
            elif value is None or isinstance(value, list | dict):
                continue  # JSON that no form field can carry
            cleaned.add(key, clean(value) if isinstance(value, str) else value)
    return cleaned


class BaseForm(FlaskForm):
    """The base of every form in matchmaker: submitted values are cleaned before any field
    parses them (see clean_formdata), so every feature gets the same input hygiene, and a
    submitted form holds only what was submitted (see process)."""

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        """Fill the fields from the submission, or, for a form that is shown, from obj/data.

        WTForms documents obj and data as used only without formdata, yet fills a field the
        submission lacks from them: the field then held the stored value in the stored type
        (a chain's list of synonym lines in a text box, a 500 in its validator) and a missing
        field silently kept the old value instead of failing its "required" check.
        """
        formdata = self.meta.wrap_formdata(self, formdata)
        if formdata is not None:
            obj, data, kwargs = None, None, {}
        super().process(formdata, obj, data, extra_filters, **kwargs)
        for field in self:
            # int() reads a thousand typed digits, and NumberRange then fails converting them
            # to float (a 500). No column holds such a number: it reads as no number, which
            # the field's range check reports.
            if isinstance(field, IntegerField) and isinstance(field.data, int) \
                    and abs(field.data) > INT_LIMIT:
                field.data = None

    class Meta:
        def wrap_formdata(self, form, formdata):
            from_request = formdata is not None and not hasattr(formdata, "getlist")
            try:
                formdata = super().wrap_formdata(form, formdata)
            except (TypeError, ValueError):
                # Flask-WTF reads a JSON body as the form: one that is not an object (a
                # list, a string, a number) holds no fields.
                formdata = MultiDict()
            if formdata is None and from_request and form.is_submitted():
                # A POST whose body holds no fields (empty, or a broken multipart body) is
                # still a submission: Flask-WTF validates it, so its fields must be read.
                formdata = MultiDict()
            if formdata is None or not hasattr(formdata, "lists"):
                return formdata
            cleaned = clean_formdata(form, formdata)
            # A browser sends every text box, empty or not; a submission without one (a
            # script, a stale page) reads as if it were empty. WTForms would leave the field's
            # data None, which no "text" column or service expects.
            for field in form:
                if isinstance(field, StringField) and field.name not in cleaned:
                    cleaned.add(field.name, "")
            return cleaned


def flash_form_errors(form) -> None:
    """Flash what is wrong with a submitted form: an expired CSRF token, then each field's
    messages named by its label."""
    if form.csrf_token.errors if hasattr(form, "csrf_token") else False:
        flash(_("The form expired. Submit it again."), "danger")
    for name, errors in form.errors.items():
        if name == "csrf_token":
            continue
        label = form[name].label.text if name in form._fields else ""
        for error in errors:
            flash(f"{label}: {error}" if label else str(error), "danger")


def attempt(change: Callable[[], object], success: str | None, *, stale: str | None = None,
            refusal: Callable[[str, str], str] | None = None) -> bool:
    """Run change() for a view that owns the transaction: commit and flash success, or roll
    back and flash why not.

    stale: the message for an edit that lost a race with someone else's (a generic one when
    None); refusal(field, message): how a service's reason is shown (the message alone when
    None, as the pipeline's and the events' services already name the field in it).
    """
    try:
        change()
    except StaleObjectError:
        db.session.rollback()
        flash(stale or _("Someone else changed this since you opened it. Check it and make "
                         "your change again."), "warning")
        return False
    except ValidationFailedError as error:
        db.session.rollback()
        for field, message in error.reasons.items():
            flash(refusal(field, str(message)) if refusal else str(message), "danger")
        return False
    db.session.commit()
    if success:
        flash(success, "success")
    return True
