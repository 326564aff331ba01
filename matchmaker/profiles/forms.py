"""Forms for research outputs and technology needs (shape checks only)."""
import re
from datetime import date
from typing import ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from matchmaker import labels
from matchmaker.domain import TEXT_MAX, TITLE_MAX, TRL_MAX, TRL_MIN, normalize_ipc
from matchmaker.forms_common import BaseForm, MultiCheckboxField, TermListField, ordered_range
from matchmaker.money import MONEY_MAX, AmountError, parse_amount, plain_number
from matchmaker.profiles.publishing import TEXT_MIN_CHARS, TEXT_MIN_TERMS, TITLE_MIN_CHARS

_VERSION_RE = re.compile(r"^[0-9]{1,9}$")
_TEXT_FIELDS = ("StringField", "TextAreaField", "TermListField", "PatentListField")


class MoneyField(StringField):
    """An amount in 万元: digits, thousands separators and two decimals at most.

    Decimal() would accept NaN, sNaN, Infinity and 1e400, which either crash a comparison or
    end up in the database; every such input is a field error here instead.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist:
            try:
                self.data = parse_amount(valuelist[0])
            except AmountError as error:
                raise ValueError(self._message(error.code)) from error

    def _message(self, code: str) -> str:
        name = self.label.text
        if code == "negative":
            return _("%(field)s cannot be negative.", field=name)
        if code == "too_large":
            return _("%(field)s is too large: at most %(max)s (10k yuan).", field=name,
                     max=f"{MONEY_MAX:,}")
        if code == "too_precise":
            return _("%(field)s: use at most two decimal places.", field=name)
        return _("%(field)s must be a number of 10k yuan, e.g. 120 or 85.5.", field=name)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else plain_number(self.data)


def _money(label):
    return MoneyField(label, validators=[Optional()])


def _title():
    return StringField(_l("Title"), description=_l(
        "Name the technology and what it is for; publishing needs at least %(n)d characters.",
        n=TITLE_MIN_CHARS), validators=[
        DataRequired(message=_l("Enter a title.")),
        Length(max=TITLE_MAX, message=_l("The title is too long (at most 200 characters).")),
    ])


def _text(label, message, description):
    return TextAreaField(label, description=description, validators=[
        DataRequired(message=message),
        Length(max=TEXT_MAX, message=_l("The text is too long (at most 5000 characters).")),
    ])


class PatentListField(TextAreaField):
    """One patent per line: number; IPC codes separated by commas; status."""

    STATUSES: ClassVar[dict[str, str]] = {"filed": "filed", "granted": "granted", "pct": "pct",
                "申请中": "filed", "已授权": "granted", "授权": "granted"}

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data, self.line_errors = [], []
        for number, line in enumerate(self.raw.splitlines(), 1):
            if line.strip():
                self._parse_line(number, line)

    def _parse_line(self, number: int, line: str) -> None:
        parts = [p.strip() for p in line.replace("；", ";").split(";")]
        if len(parts) != 3 or not parts[0]:
            self.line_errors.append(_("Line %(n)d: write “number; IPC codes; status”.", n=number))
            return
        codes = []
        for raw in parts[1].replace("，", ",").split(","):
            code = normalize_ipc(raw, full=True) if raw.strip() else None
            if code is None:
                self.line_errors.append(_(
                    "Line %(n)d: “%(code)s” is not an IPC code (write it like C25B 1/04).",
                    n=number, code=raw.strip()[:30]))
                return
            codes.append(code)
        status = self.STATUSES.get(parts[2].lower())
        if status is None:
            self.line_errors.append(_("Line %(n)d: status must be filed, granted or PCT.", n=number))
            return
        self.data.append({"number": parts[0][:40], "ipc": codes, "status": status})

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "\n".join(f"{p['number']}; {', '.join(p['ipc'])}; {p['status']}"
                         for p in self.data or [])

    def pre_validate(self, form):
        if getattr(self, "line_errors", None):
            raise ValidationError(" ".join(self.line_errors))
        if len(self.data or []) > 20:
            raise ValidationError(_("At most 20 patents."))


class ProfileForm(BaseForm):
    """Fields shared by outputs and needs; chain and segment choices are set per request.

    On an edit form (require_version), the hidden version the page was read at must come back:
    without it a save could silently overwrite someone else's newer change.
    """

    title = _title()
    keywords = TermListField(_l("Keywords"),
                             description=_l("Separate with commas, e.g. PEM, electrolyser"))
    chain = SelectField(_l("Sector chain"), validators=[Optional()], validate_choice=True)
    segment = SelectField(_l("Segment"), validators=[Optional()], validate_choice=True)
    modes = MultiCheckboxField(_l("Transfer modes"), choices=labels.choices(labels.TRANSFER_MODE),
                               validators=[DataRequired(message=_l("Choose at least one mode."))])
    version = HiddenField()

    require_version = False

    def set_chain_choices(self, chains) -> None:
        """Offer the active chains and all their segments; remember each segment's chain."""
        from matchmaker.templating import localized

        self.chains = list(chains)
        self.segment_chain = {str(s.id): c.key for c in self.chains for s in c.segments}
        self.chain.choices = [SelectChoice("", _("— not set —"))] + [
            SelectChoice(c.key, localized(c, "name")) for c in self.chains]
        self.segment.choices = [SelectChoice("", _("— not set —"))] + [
            SelectChoice(str(s.id), localized(s, "name"), optgroup=localized(c, "name"))
            for c in self.chains for s in c.segments]

    def validate_segment(self, field):
        if not field.data:
            return
        if not self.chain.data:
            raise ValidationError(_("Choose the chain this segment belongs to."))
        if self.segment_chain.get(field.data) != self.chain.data:
            raise ValidationError(_("This segment does not belong to the chosen chain."))

    def mark_languages(self) -> None:
        """Tag each filled text box with the language of its content (user content)."""
        from matchmaker.templating import lang_of

        for field in self:
            if field.type in _TEXT_FIELDS and field._value():
                field.render_kw = {**(field.render_kw or {}), "lang": lang_of(field._value())}

    @property
    def version_number(self) -> int | None:
        """Return the version the form was read at, or None when it is missing or malformed."""
        value = (self.version.data or "").strip()
        return int(value) if _VERSION_RE.match(value) else None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.require_version and self.version_number is None:
            self.form_errors.append(_(
                "This form lacks the version of the record it was opened at, so saving it could "
                "overwrite someone else's changes. Reload the page and make your changes again."))
            return False
        return valid


class OutputForm(ProfileForm):
    abstract = _text(_l("Abstract"), _l("Describe the research output."), _l(
        "A draft may be short. To publish, write at least %(chars)d characters with at least "
        "%(terms)d specific terms: what it is, materials and methods, figures, uses.",
        chars=TEXT_MIN_CHARS, terms=TEXT_MIN_TERMS))
    inventors = TermListField(_l("Team / inventors"), max_items=30)
    trl = IntegerField(_l("Readiness (TRL 1–9)"), validators=[
        InputRequired(message=_l("Enter a TRL from 1 to 9.")),
        NumberRange(min=TRL_MIN, max=TRL_MAX, message=_l("TRL must be between 1 and 9."))])
    patents = PatentListField(_l("Patents"), description=_l(
        "One per line: number; IPC codes separated by commas; status (filed / granted / PCT). "
        "Example: ZL202110345678.2; C25B 1/04, C25B 11/091; granted"))
    price_min = _money(_l("Asking price from (10k yuan)"))
    price_max = _money(_l("Asking price to (10k yuan)"))
    reform_status = SelectField(_l("Reform status"), choices=labels.choices(labels.REFORM_STATUS))

    def validate_price_max(self, field):
        ordered_range("price_min", _("The lowest price is above the highest."))(self, field)


class NeedForm(ProfileForm):
    description = _text(_l("Description"), _l("Describe the problem to be solved."), _l(
        "A draft may be short. To publish, write at least %(chars)d characters with at least "
        "%(terms)d specific terms: the equipment or process, the problem, figures, targets.",
        chars=TEXT_MIN_CHARS, terms=TEXT_MIN_TERMS))
    min_trl = IntegerField(_l("Minimum TRL"), validators=[
        Optional(), NumberRange(min=TRL_MIN, max=TRL_MAX, message=_l("TRL must be between 1 and 9."))])
    budget_min = _money(_l("Budget from (10k yuan)"))
    budget_max = _money(_l("Budget to (10k yuan)"))
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    region = SelectField(_l("Where it should land"), validators=[Optional()], validate_choice=True)
    is_challenge = BooleanField(_l("Open challenge"), description=_l(
        "You set the problem and a prize; teams apply and you judge the solutions."))
    prize = _money(_l("Prize (10k yuan)"))

    def validate_budget_max(self, field):
        ordered_range("budget_min", _("The lowest budget is above the highest."))(self, field)

    def validate_deadline(self, field):
        if field.data and field.data < date.today():
            raise ValidationError(_("The deadline is in the past."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.is_challenge.data and not self.prize.data and not self.prize.errors:
            self.prize.errors.append(_("An open challenge needs a prize."))
            return False
        return valid
