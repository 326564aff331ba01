"""Sign-in, sign-up and account forms (shape checks; the password policy is in services)."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from matchmaker import labels
from matchmaker.auth import contact
from matchmaker.auth.passwords import PASSWORD_MAX, PASSWORD_MIN
from matchmaker.domain import Role
from matchmaker.forms_common import BaseForm, MultiCheckboxField


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(message=_l("Enter your e-mail."))])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(message=_l("Enter your password."))])
    remember = BooleanField(_l("Keep me signed in"))


SIGNUP_ROLES = labels.choices({r: labels.ROLE[r]
                               for r in (Role.INSTITUTION, Role.ENTERPRISE, Role.BROKER)})


def _new_password(label, required_message):
    return PasswordField(label, validators=[
        DataRequired(message=required_message),
        Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=_l("Use 10 to 128 characters."))])


class SignupForm(BaseForm):
    display_name = StringField(_l("Your name"), validators=[
        DataRequired(message=_l("Enter your name.")),
        Length(max=80, message=_l("At most 80 characters."))])
    email = EmailField(_l("E-mail"), validators=[
        DataRequired(message=_l("Enter your e-mail.")),
        Email(message=_l("Enter a valid e-mail address."), check_deliverability=False),
        Length(max=254)])
    password = _new_password(_l("Password"), _l("Choose a password."))
    confirm = PasswordField(_l("Repeat password"), validators=[
        EqualTo("password", message=_l("The passwords do not match."))])
    role = SelectField(_l("I sign up as"), choices=SIGNUP_ROLES)
    organisation_name = StringField(_l("Organisation"), validators=[
        Length(max=120, message=_l("At most 120 characters."))],
        description=_l("The university, institute or company you represent."))
    organisation_type = SelectField(_l("Organisation type"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=True)
    # Shown when the organisation is already on the platform: the person asks to join it.
    join_organisation = HiddenField()  # orgs.services.organisation_key of the one shown
    join_existing = BooleanField(_l("Yes, I work there: ask to join this organisation"))
    accept_privacy = BooleanField(
        _l("I have read the privacy notice and agree that my personal information is "
           "processed as it describes."),
        validators=[DataRequired(message=_l("Tick the box to accept the privacy notice; "
                                            "without it we cannot create an account."))])

    def validate_organisation_name(self, field):
        if self.role.data != Role.BROKER and not (field.data or "").strip():
            raise ValidationError(_l("Enter the name of your organisation."))

    def validate_organisation_type(self, field):
        allowed = labels.INSTITUTION_TYPE if self.role.data == Role.INSTITUTION else \
            labels.ENTERPRISE_TIER if self.role.data == Role.ENTERPRISE else None
        if allowed is not None and field.data not in allowed:
            raise ValidationError(_l("Choose a type that fits your role."))

    def organisation_to_join(self) -> str | None:
        """Return the key of the organisation the person asked to join, if they ticked it."""
        return (self.join_organisation.data or None) if self.join_existing.data else None


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(message=_l("Enter your current password."))])
    new_password = _new_password(_l("New password"), _l("Choose a new password."))
    confirm = PasswordField(_l("Repeat new password"), validators=[
        EqualTo("new_password", message=_l("The passwords do not match."))])


class DeleteAccountForm(BaseForm):
    password = PasswordField(_l("Your password"), validators=[
        DataRequired(message=_l("Enter your password to confirm."))])
    confirm = BooleanField(_l("I understand that this cannot be undone."), validators=[
        DataRequired(message=_l("Tick the box to confirm that you want to delete the account."))])


def _level(label):
    from wtforms import IntegerField
    from wtforms.validators import InputRequired, NumberRange

    return IntegerField(label, validators=[
        InputRequired(message=_l("Rate it from 1 to 5.")),
        NumberRange(1, 5, message=_l("Rate it from 1 to 5."))])


def _contact(normalize):
    """Return a validator that reports what auth.contact finds wrong with the field."""
    def check(form, field):
        try:
            normalize(field.data or "")
        except contact.ContactError as error:
            raise ValidationError(error.message) from None
    return check


class BrokerProfileForm(BaseForm):
    """A broker's own profile: chains of specialty, the six competencies, certificate, contact."""

    chains = MultiCheckboxField(_l("Chains of specialty"), choices=[])
    technology = _level(_l("Technology"))
    industry = _level(_l("Industry"))
    capital = _level(_l("Capital"))
    market = _level(_l("Market"))
    investment = _level(_l("Investment attraction"))
    cultivation = _level(_l("Enterprise cultivation"))
    certificate_no = StringField(_l("Certificate number"), validators=[Length(max=40, message=_l(
        "Too long: at most %(n)d characters.", n=40))])
    organisation = StringField(_l("Organisation"), validators=[Length(max=120, message=_l(
        "Too long: at most %(n)d characters.", n=120))])
    bio = TextAreaField(_l("About you"), description=_l(
        "Shown on your public broker page: what you work on and what you are good at. Put your "
        "phone and e-mail in the contact fields below, not here."),
        validators=[Length(max=2000, message=_l("Too long: at most %(n)d characters.", n=2000))])
    # Contact: checked (and later stored) by auth.contact, the same rules as the service.
    phone = StringField(_l("Phone"), validators=[_contact(contact.normalize_phone)],
                        description=_l("A mobile number or a landline with its area code, "
                                       "e.g. 138 0029 1234, or 029-8836 5102 ext. 8012."))
    contact_email = EmailField(_l("Contact e-mail"),
                               validators=[_contact(contact.normalize_email)])
    wechat_id = StringField(_l("WeChat ID"), validators=[_contact(contact.normalize_wechat)])
    office_hours = StringField(_l("Office hours"), validators=[
        _contact(contact.normalize_office_hours)], description=_l(
        "When parties can reach you, e.g. weekdays 9:00–17:30, Wednesdays at the Xixian office."))

    def contact_data(self) -> contact.BrokerContact:
        """Return the contact fields as typed (the service writes them one way)."""
        return contact.BrokerContact(phone=self.phone.data or "",
                                     contact_email=self.contact_email.data or "",
                                     wechat_id=self.wechat_id.data or "",
                                     office_hours=self.office_hours.data or "")


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[
        DataRequired(message=_l("Enter your e-mail.")),
        Email(message=_l("Enter a valid e-mail address."), check_deliverability=False),
        Length(max=254, message=_l("Too long: at most %(n)d characters.", n=254))])


class ResetPasswordForm(BaseForm):
    new_password = _new_password(_l("New password"), _l("Choose a new password."))
    confirm = PasswordField(_l("Repeat new password"), validators=[
        EqualTo("new_password", message=_l("The passwords do not match."))])
