"""Sign-in and sign-up forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from matchmaker import labels
from matchmaker.domain import Role


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(message=_l("Enter your e-mail."))])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(message=_l("Enter your password."))])
    remember = BooleanField(_l("Keep me signed in"))


SIGNUP_ROLES = labels.choices({r: labels.ROLE[r]
                               for r in (Role.INSTITUTION, Role.ENTERPRISE, Role.BROKER)})


class SignupForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[
        DataRequired(message=_l("Enter your name.")),
        Length(max=80, message=_l("At most 80 characters."))])
    email = EmailField(_l("E-mail"), validators=[
        DataRequired(message=_l("Enter your e-mail.")),
        Email(message=_l("Enter a valid e-mail address."), check_deliverability=False),
        Length(max=254)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=_l("Choose a password.")),
        Length(min=10, max=128, message=_l("Use 10 to 128 characters."))])
    confirm = PasswordField(_l("Repeat password"), validators=[
        EqualTo("password", message=_l("The passwords do not match."))])
    role = SelectField(_l("I sign up as"), choices=SIGNUP_ROLES)
    organisation_name = StringField(_l("Organisation"), validators=[
        Length(max=120, message=_l("At most 120 characters."))],
        description=_l("The university, institute or company you represent."))
    organisation_type = SelectField(_l("Organisation type"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=True)

    def validate_organisation_name(self, field):
        if self.role.data != Role.BROKER and not field.data.strip():
            raise ValidationError(_l("Enter the name of your organisation."))

    def validate_organisation_type(self, field):
        allowed = labels.INSTITUTION_TYPE if self.role.data == Role.INSTITUTION else \
            labels.ENTERPRISE_TIER if self.role.data == Role.ENTERPRISE else None
        if allowed is not None and field.data not in allowed:
            raise ValidationError(_l("Choose a type that fits your role."))
