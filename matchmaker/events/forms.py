"""Forms of the events' pages (shape checks only; the rules are in events.services)."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from matchmaker.events import labels
from matchmaker.forms_common import BaseForm, MultiCheckboxField


def choices(pairs) -> list[SelectChoice]:
    """Return SelectChoices for (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _text(label, max_len: int, *, required_message=None, area: bool = False):
    checks = [DataRequired(message=required_message)] if required_message else [Optional()]
    checks.append(Length(max=max_len, message=_l("Too long: at most %(n)d characters.",
                                                  n=max_len)))
    return (TextAreaField if area else StringField)(label, validators=checks)


class EventForm(BaseForm):
    """Create or edit an event."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    title = _text(_l("Title"), 200, required_message=_l("Give the event a title."))
    description = _text(_l("Description"), 5000, area=True)
    starts_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Choose a date."))])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(message=_l("Choose a date."))])
    place = _text(_l("Place"), 200)
    online_link = _text(_l("Online link"), 300)
    chain_id = SelectField(_l("Chain focus"), validators=[Optional()], choices=[])
    capacity = IntegerField(_l("Capacity (participants)"), validators=[
        Optional(), NumberRange(min=1, max=10000, message=_l("Between 1 and 10000."))])
    tables = IntegerField(_l("Tables"), default=10, validators=[
        InputRequired(message=_l("Give the number of tables.")),
        NumberRange(min=0, max=500, message=_l("Between 0 and 500."))])
    is_public = BooleanField(_l("Public (shown in the showcase calendar)"))


class SlotForm(BaseForm):
    day = DateField(_l("Day"), validators=[InputRequired(message=_l("Choose a date."))])
    starts_at = TimeField(_l("Starts at"), validators=[InputRequired(message=_l("Give a time."))])
    ends_at = TimeField(_l("Ends at"), validators=[InputRequired(message=_l("Give a time."))])


class InviteForm(BaseForm):
    organisation = SelectField(_l("Organisation"), validators=[
        DataRequired(message=_l("Choose an organisation."))], choices=[])
    max_meetings = IntegerField(_l("Maximum meetings"), default=6, validators=[
        InputRequired(message=_l("Give a number.")),
        NumberRange(min=1, max=50, message=_l("Between 1 and 50."))])
    booth = _text(_l("Booth (exhibitors)"), 40)


class RegisterForm(BaseForm):
    listings = MultiCheckboxField(_l("What you bring"), coerce=int, choices=[], validators=[
        DataRequired(message=_l("Choose at least one need or output to bring."))])


class BlockedSlotsForm(BaseForm):
    slots = MultiCheckboxField(_l("Slots you are not available"), coerce=int, choices=[],
                               validators=[Optional()])


class StatusForm(BaseForm):
    status = SelectField(_l("Status"), choices=choices(labels.EVENT_STATUS.items()),
                         validators=[DataRequired(message=_l("Choose a status."))])


class ActionForm(BaseForm):
    """A button that only needs its CSRF token."""


class PairingForm(BaseForm):
    need_id = IntegerField(_l("Need"), validators=[InputRequired(message=_l("Choose a need."))])
    output_id = IntegerField(_l("Output"), validators=[
        InputRequired(message=_l("Choose an output."))])


class OutcomeForm(BaseForm):
    outcome = SelectField(_l("Outcome"), choices=choices([("", _l("— choose —")),
                                           *labels.OUTCOME.items()]),
                          validators=[DataRequired(message=_l("Choose an outcome."))])
    notes = _text(_l("Notes"), 5000, area=True)


class MeetingRequestForm(BaseForm):
    """Ask another participant for a meeting (the choices are set by the view)."""

    their_listing = SelectField(_l("Meet about their"), coerce=int, choices=[], validators=[
        InputRequired(message=_l("Choose what you want to meet about."))])
    own_listing = SelectField(_l("And your"), coerce=int, choices=[], validators=[
        InputRequired(message=_l("Choose one of the listings you bring."))])
    reason = _text(_l("Why meet (one or two sentences)"), 300,
                   required_message=_l("Say in a sentence why you want to meet."), area=True)
