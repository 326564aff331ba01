"""Forms of the pipeline's pages (shape checks only; the rules are in rules.py and services).

Every form that changes what a user saw carries the deal's version (VersionField): a save based
on an older version is refused with a message and a fresh page instead of overwriting."""
import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
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
from matchmaker.domain import (
    ActivityKind,
)
from matchmaker.forms_common import BaseForm, MultiCheckboxField
from matchmaker.pipeline import labels as deal_labels
from matchmaker.pipeline.rebalance import BATCH_MAX
from matchmaker.profiles.forms import MoneyField
from matchmaker.routing import ID_MAX


def _choices(mapping: dict, *, blank: bool = True) -> list[SelectChoice]:
    head = [SelectChoice("", _l("— choose —"))] if blank else []
    return head + labels.choices(mapping)


def _required_text(label, message, max_len: int, area: bool = False):
    field = TextAreaField if area else StringField
    return field(label, validators=[
        DataRequired(message=message),
        Length(max=max_len, message=_l("Too long: at most %(n)d characters.", n=max_len))])


def _optional_text(label, max_len: int, area: bool = False):
    field = TextAreaField if area else StringField
    return field(label, validators=[Optional(), Length(
        max=max_len, message=_l("Too long: at most %(n)d characters.", n=max_len))])


def _date(label, required: bool = False):
    checks = [InputRequired(message=_l("Choose a date."))] if required else [Optional()]
    return DateField(label, validators=checks)


class VersionForm(BaseForm):
    """A form about a deal as the user saw it."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])


class NewDealForm(BaseForm):
    """Start a deal on an output, a need, or a match of both."""

    output_id = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    need_id = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    # "need" / "output": carry the pair's match as the card on that listing's page showed it
    # (score, explanation, match quality); "1": the pair's match of the higher quality
    from_match = HiddenField()
    title = _optional_text(_l("Title"), 200)
    next_step = _required_text(_l("Next step"), _l("Say what happens next."), 300)
    next_step_due = _date(_l("Due on"), required=True)
    expected_value = MoneyField(_l("Expected value (10k yuan)"), validators=[Optional()])
    owner = SelectField(_l("Owner"), validators=[Optional()], choices=[])


class MoveForm(VersionForm):
    stage = StringField(validators=[DataRequired(message=_l("Choose a stage."))])
    reason = _optional_text(_l("Reason"), 1000, area=True)
    lost_reason = SelectField(_l("Why was it lost?"), validators=[Optional()],
                              choices=_choices(deal_labels.LOST_REASON))


class DealFieldsForm(VersionForm):
    """The deal's own fields: value and probability, qualification, terms, showcase."""

    title = _required_text(_l("Title"), _l("Give it a title."), 200)
    expected_value = MoneyField(_l("Expected value (10k yuan)"), validators=[Optional()])
    probability = IntegerField(_l("Win probability"), description=_l(
        "Leave empty to use the stage's default."), validators=[
        Optional(), NumberRange(0, 100, message=_l("A percentage between 0 and 100."))])
    ip_checked = BooleanField(_l("IP status checked"))
    team_willing = BooleanField(_l("Team willing to transfer"))
    reform_status = SelectField(_l("Reform status"), validators=[Optional()],
                                choices=_choices(labels.REFORM_STATUS))
    transfer_mode = SelectField(_l("Transfer mode"), validators=[Optional()],
                                choices=_choices(labels.TRANSFER_MODE))
    price = MoneyField(_l("Price (10k yuan)"), validators=[Optional()])
    payment_kind = SelectField(_l("Payment"), validators=[Optional()],
                               choices=_choices(deal_labels.PAYMENT_KIND))
    terms_note = _optional_text(_l("Terms"), 5000, area=True)
    showcase_material = _optional_text(_l("Material for the showcase"), 5000, area=True)

    def to_changes(self) -> dict:
        """Return the values as update_deal takes them ("" choices as None)."""
        names = ("title", "expected_value", "probability", "ip_checked", "team_willing",
                 "reform_status", "transfer_mode", "price", "payment_kind", "terms_note",
                 "showcase_material")
        values = {name: self[name].data for name in names}
        for name in ("reform_status", "transfer_mode", "payment_kind"):
            values[name] = values[name] or None
        return values


class NextStepForm(VersionForm):
    next_step = _required_text(_l("Next step"), _l("Say what happens next."), 300)
    next_step_due = _date(_l("Due on"), required=True)


class SnoozeForm(VersionForm):
    snoozed_until = _date(_l("Snooze until"), required=True)
    snooze_reason = _required_text(_l("Why"), _l("Say why the deal may rest."), 300)


class ActivityForm(BaseForm):
    kind = SelectField(_l("Kind"), choices=labels.choices(
        {k: v for k, v in deal_labels.ACTIVITY_KIND.items() if k != ActivityKind.COMMENT}))
    body = _required_text(_l("What happened"), _l("Write something."), 5000, area=True)


class CommentForm(BaseForm):
    body = _required_text(_l("Comment"), _l("Write something."), 5000, area=True)


class TaskForm(BaseForm):
    title = _required_text(_l("Task"), _l("Give it a title."), 200)
    due_on = _date(_l("Due on"))


class TicketForm(BaseForm):
    kind = SelectField(_l("Service"), choices=labels.choices(deal_labels.TICKET_KIND))
    title = _required_text(_l("Title"), _l("Give it a title."), 200)
    status = SelectField(_l("Status"), choices=labels.choices(deal_labels.TICKET_STATUS))
    due_on = _date(_l("Due on"))
    outcome = _optional_text(_l("Outcome"), 5000, area=True)
    financing_kind = SelectField(_l("Financing"), validators=[Optional()],
                                 choices=_choices(deal_labels.FINANCING_KIND))
    amount_raised = MoneyField(_l("Amount raised (10k yuan)"), validators=[Optional()])


class TicketUpdateForm(BaseForm):
    status = SelectField(_l("Status"), choices=labels.choices(deal_labels.TICKET_STATUS))
    due_on = _date(_l("Due on"))
    outcome = _optional_text(_l("Outcome"), 5000, area=True)
    amount_raised = MoneyField(_l("Amount raised (10k yuan)"), validators=[Optional()])


class NdaForm(VersionForm):
    nda_status = SelectField(_l("NDA"), choices=labels.choices(deal_labels.NDA_STATUS))
    nda_expires_on = _date(_l("Expires on"))


class ContractForm(VersionForm):
    """技术合同认定登记: type, parties, amounts, dates, registration."""

    name = _optional_text(_l("Contract name"), 200)
    contract_type = SelectField(_l("Contract type"),
                                choices=labels.choices(deal_labels.CONTRACT_TYPE))
    seller_name = _optional_text(_l("Seller (transferor / contractor)"), 120)
    buyer_name = _optional_text(_l("Buyer (transferee / client)"), 120)
    total_amount = MoneyField(_l("Total amount (10k yuan)"), validators=[Optional()])
    technical_amount = MoneyField(_l("Technical-transaction amount (10k yuan)"),
                                  validators=[Optional()])
    signed_on = _date(_l("Signed on"))
    term_start = _date(_l("Term from"))
    term_end = _date(_l("Term to"))
    registration_no = _optional_text(_l("Registration no."), 40)
    registered_on = _date(_l("Registered on"))

    FIELDS = ("name", "contract_type", "seller_name", "buyer_name", "total_amount",
              "technical_amount", "signed_on", "term_start", "term_end", "registration_no",
              "registered_on")


class LandingForm(VersionForm):
    landing_name = _required_text(_l("Company or project"), _l(
        "Name the company registered or the project started."), 120)
    landing_region = SelectField(_l("Region"), choices=[],
                                 validators=[DataRequired(message=_l("Say where it landed."))])
    landing_address = _optional_text(_l("Address"), 200)
    landed_on = _date(_l("Landed on"), required=True)


class BrokerChoiceForm(BaseForm):
    broker = SelectField(_l("Broker"), choices=[],
                         validators=[DataRequired(message=_l("Choose a broker."))])
    note = _optional_text(_l("Note"), 300)


class ReassignForm(BrokerChoiceForm):
    """An operator gives the deal to another broker: about the deal as the page showed it."""

    version = IntegerField(widget=HiddenField.widget, validators=[
        InputRequired(message=_l("The form is incomplete: reload the page and try again."))])


class IntroductionForm(BaseForm):
    need_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    output_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    back = HiddenField()
    message = _optional_text(_l("Message to the broker"), 1000, area=True)


class AcceptIntroductionForm(BaseForm):
    next_step = _required_text(_l("Next step"), _l("Say what happens next."), 300)
    next_step_due = _date(_l("Due on"), required=True)


class DeclineIntroductionForm(BaseForm):
    note = _required_text(_l("Why not"), _l("Say why, for the person who asked."), 1000,
                          area=True)


_PICK = re.compile(r"(\d{1,10}):(\d{1,10})")  # "<deal id>:<version the page showed>"


def _readable_pick(value: str | None) -> bool:
    found = _PICK.fullmatch(value or "")
    return found is not None and all(0 < int(n) <= ID_MAX for n in found.groups())


class ReassignDealsForm(BaseForm):
    """The overview's batch reassignment: the ticked deals, each with the version the page
    showed, and the broker who takes them over."""

    deals = SelectMultipleField(_l("Deals"), choices=[], validate_choice=False)
    broker = SelectField(_l("Give the ticked deals to"), choices=[],
                         validators=[DataRequired(message=_l("Choose a broker."))])
    note = _optional_text(_l("Note"), 300)

    def validate_deals(self, field):
        if not field.data:
            raise ValidationError(_l("Tick at least one deal to reassign."))
        if len(field.data) > BATCH_MAX:
            raise ValidationError(_l("Reassign at most %(n)d deals at a time.", n=BATCH_MAX))
        if not all(_readable_pick(value) for value in field.data):
            raise ValidationError(_l("The ticked deals could not be read: reload the page and "
                                     "tick them again."))

    def picks(self) -> list[tuple[int, int]]:
        """Return (deal id, version seen) per ticked deal, in the order ticked."""
        return [tuple(int(n) for n in _PICK.fullmatch(value).groups())
                for value in self.deals.data]


# --- the stages page (operators) ---------------------------------------------------------------

class StageForm(BaseForm):
    """A stage's names, figures and requirements (the rules are checked by the services)."""

    name_zh = _required_text(_l("Chinese name"), _l("Give the stage a Chinese name."), 40)
    name_en = _required_text(_l("English name"), _l("Give the stage an English name."), 60)
    default_probability = IntegerField(
        _l("Default win probability (%)"),
        validators=[InputRequired(message=_l("Give a percentage between 0 and 100.")),
                    NumberRange(0, 100, message=_l("Give a percentage between 0 and 100."))])
    stale_after_days = IntegerField(
        _l("Stale after (days)"),
        validators=[Optional(), NumberRange(1, 3650, message=_l(
            "A number of days from 1 to 3650, or empty for never."))],
        description=_l("An open deal idle this long at the stage is flagged stale; leave "
                       "empty for never."))
    requirements = MultiCheckboxField(_l("Requirements before leaving"),
                                      choices=labels.choices(deal_labels.REQUIREMENT))


class EditStageForm(StageForm, VersionForm):
    is_active = BooleanField(_l("Active"))


class NewStageForm(StageForm):
    key = StringField(_l("Key"), validators=[DataRequired(message=_l("Enter a key.")),
                                             Length(max=40, message=_l(
                                                 "Too long: at most %(n)d characters.",
                                                 n=40))],
                      description=_l("Lower-case letters, digits and underscores, e.g. "
                                     "due_diligence; it cannot be changed later."))
    after = SelectField(_l("Insert after"), choices=[],
                        validators=[DataRequired(message=_l("Choose a stage."))],
                        description=_l("The new stage joins that stage's phase, right after "
                                       "it; the stages after it move down one place."))


class StageMoveForm(VersionForm):
    direction = SelectField(choices=[SelectChoice("up", "up"), SelectChoice("down", "down")],
                            validators=[DataRequired()])
