"""Operator forms for sector chains and segments."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Regexp, ValidationError

from matchmaker.domain import normalize_ipc
from matchmaker.forms_common import BaseForm, TermListField

_TEXT_FIELDS = ("StringField", "TextAreaField", "TermListField")

KEY_RULE = Regexp(r"^[a-z][a-z0-9_]{1,39}$",
                  message=_l("Use 2–40 lowercase letters, digits or _ , starting with a letter."))


class _LanguageMarked(BaseForm):
    """A form whose filled text boxes say the language of what they hold (user content)."""

    def mark_languages(self) -> None:
        """Tag each filled text box with the language of its content."""
        from matchmaker.templating import lang_of

        for field in self:
            if field.type in _TEXT_FIELDS and field._value():
                field.render_kw = {**(field.render_kw or {}), "lang": lang_of(field._value())}


class ChainForm(_LanguageMarked):
    key = StringField(_l("Key"), validators=[DataRequired(message=_l("Enter a key.")), KEY_RULE])
    name_zh = StringField(_l("Name (Chinese)"), validators=[
        DataRequired(message=_l("Enter a name.")), Length(max=60)])
    name_en = StringField(_l("Name (English)"), validators=[
        DataRequired(message=_l("Enter a name.")), Length(max=80)])
    description_zh = TextAreaField(_l("Description (Chinese)"), validators=[Length(max=2000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Length(max=2000)])
    # The examples are part of the translation: Chinese terms on Chinese pages, English ones
    # on English pages (an English page shows no Chinese outside what users wrote).
    synonyms = TextAreaField(_l("Synonym groups"), validators=[Length(max=20000)],
                             description=_l("One group per line, terms separated by |, e.g. "
                                            "proton exchange membrane | PEM | PEMFC"))
    core_terms = TermListField(_l("Core terms"), max_items=100, max_len=60,
                               description=_l("Umbrella terms of the whole chain, e.g. fuel "
                                              "cell, hydrogen energy: a text that uses them "
                                              "belongs to the chain, whatever its segment."))
    is_active = BooleanField(_l("Active"), default=True)

    def synonym_lines(self) -> list[str]:
        """Return the synonym groups normalised to 'a|b|c' lines."""
        groups = ([t.strip() for t in line.split("|") if t.strip()]
                  for line in (self.synonyms.data or "").splitlines())
        return ["|".join(g) for g in groups if g]

    def validate_synonyms(self, field):
        for number, line in enumerate((field.data or "").splitlines(), 1):
            if line.strip() and len([t for t in line.split("|") if t.strip()]) < 2:
                raise ValidationError(_("Line %(n)d: a group needs at least two terms.", n=number))


class SegmentForm(_LanguageMarked):
    key = StringField(_l("Key"), validators=[DataRequired(message=_l("Enter a key.")), KEY_RULE])
    name_zh = StringField(_l("Name (Chinese)"), validators=[
        DataRequired(message=_l("Enter a name.")), Length(max=60)])
    name_en = StringField(_l("Name (English)"), validators=[
        DataRequired(message=_l("Enter a name.")), Length(max=80)])
    position = IntegerField(_l("Position (1 = most upstream)"), validators=[
        NumberRange(min=1, max=50, message=_l("Enter a number from 1 to 50."))])
    keywords_zh = TermListField(_l("Keywords (Chinese)"), max_items=200)
    keywords_en = TermListField(_l("Keywords (English)"), max_items=200, max_len=60)
    ipc_prefixes = TermListField(_l("IPC prefixes"), max_items=50,
                                 description=_l("e.g. C25B 1/04, H01M 8, F17C"))

    def validate_ipc_prefixes(self, field):
        bad = [code for code in field.data if normalize_ipc(code) is None]
        if bad:
            raise ValidationError(_("“%(code)s” is not an IPC code or prefix.", code=bad[0][:30]))
        field.data = [normalize_ipc(code) for code in field.data]
