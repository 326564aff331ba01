"""The feedback form on a recommended match (shape checks only; the rules are in services)."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from matchmaker import labels
from matchmaker.domain import Side
from matchmaker.forms_common import BaseForm
from matchmaker.recommendations.models import COMMENT_MAX

BACK_TO = tuple(Side)  # the side of the listing page to return to


class MatchFeedbackForm(BaseForm):
    """Relevant, or declined with a reason (and a comment when the reason is "other")."""

    verdict = RadioField(_l("Your verdict"), choices=labels.choices(labels.FEEDBACK_VERDICT),
                         validators=[InputRequired(message=_l("Choose relevant or declined."))])
    reason = SelectField(_l("Reason for declining"), validators=[Optional()],
                         choices=[SelectChoice("", _l("— choose a reason —"))]
                         + labels.choices(labels.DECLINE_REASON))
    comment = TextAreaField(_l("Comment"), description=_l("Required when the reason is “Other”."),
                            validators=[Length(max=COMMENT_MAX, message=_l(
                                "The comment is too long (at most 1000 characters)."))])
    back = HiddenField()  # which page to return to: one of BACK_TO
