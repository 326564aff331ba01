"""The contact form of a public listing page: shape checks, a honeypot and the consent box."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from matchmaker.auth.contact import ContactError, normalize_email, normalize_phone
from matchmaker.forms_common import BaseForm

NAME_MAX, ORG_MAX, MESSAGE_MIN, MESSAGE_MAX = 60, 120, 10, 2000


class ContactForm(BaseForm):
    name = StringField(_l("Your name"), validators=[
        DataRequired(message=_l("Tell us your name, so that the broker knows whom to answer.")),
        Length(max=NAME_MAX, message=_l("At most %(max)d characters."))])
    organisation = StringField(_l("Organisation (optional)"), validators=[
        Length(max=ORG_MAX, message=_l("At most %(max)d characters."))])
    email = StringField(_l("E-mail"))
    phone = StringField(_l("Phone"))
    message = TextAreaField(_l("Your question"), validators=[
        DataRequired(message=_l("Write what you would like to know or propose.")),
        Length(min=MESSAGE_MIN, max=MESSAGE_MAX,
               message=_l("Write between %(min)d and %(max)d characters."))])
    accept_privacy = BooleanField(
        _l("I agree that the platform stores these details and passes them to the broker on "
           "duty, who uses them only to answer me."),
        validators=[DataRequired(message=_l(
            "Tick the box to agree; without it we cannot pass your request on."))])
    # The honeypot: hidden from people (and from screen readers), filled in by form robots.
    website = StringField(_l("Leave this field empty"))

    def validate_email(self, field):
        try:
            field.data = normalize_email(field.data or "")
        except ContactError as error:
            raise ValidationError(error.message) from error

    def validate_phone(self, field):
        try:
            field.data = normalize_phone(field.data or "")
        except ContactError as error:
            raise ValidationError(error.message) from error

    def validate(self, extra_validators=None) -> bool:
        """Check the fields, then that the visitor left at least one way to answer them."""
        valid = super().validate(extra_validators)
        if valid and not (self.email.data or self.phone.data):
            self.email.errors = [*self.email.errors, str(_l(
                "Give an e-mail address or a phone number, so that the broker can answer."))]
            valid = False
        return valid

    def is_robot(self) -> bool:
        """Return whether the honeypot was filled (people never see it)."""
        return bool((self.website.data or "").strip())
