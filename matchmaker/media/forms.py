"""Forms of the media pages (shape checks only; the file checks are in media.services)."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from matchmaker.forms_common import BaseForm
from matchmaker.media import labels


def choices(pairs) -> list[SelectChoice]:
    """Return SelectChoices for (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _too_long(n: int):
    return Length(max=n, message=_l("Too long: at most %(n)d characters.", n=n))


class AttachmentForm(BaseForm):
    """Attach a file to an output or a need."""

    file = FileField(_l("File (PDF, PNG, JPEG or WebP)"),
                     validators=[FileRequired(message=_l("Choose a file to upload."))])
    kind = SelectField(_l("Kind"), choices=choices(labels.ATTACHMENT_KIND.items()),
                       validators=[DataRequired(message=_l("Choose a kind from the list."))])
    visibility = SelectField(
        _l("Who may see it"), choices=choices(labels.VISIBILITY.items()), default="after_nda",
        validators=[DataRequired(message=_l("Choose who may see the file."))])


class StoryForm(BaseForm):
    """Write a landed-project story or a product exhibit."""

    kind = SelectField(_l("Kind"), choices=choices(labels.STORY_KIND.items()),
                       validators=[DataRequired(message=_l("Choose a kind from the list."))])
    title = StringField(_l("Title"), validators=[
        DataRequired(message=_l("Give the piece a title.")), _too_long(200)])
    slug = StringField(_l("Address name (optional)"), validators=[Optional(), _too_long(80)],
                       description=_l("Lowercase letters, digits and hyphens; made from the "
                                      "title when empty."))
    summary = TextAreaField(_l("Summary"), validators=[Optional(), _too_long(500)],
                            description=_l("One or two sentences shown in lists."))
    body = TextAreaField(_l("Text"), validators=[Optional(), _too_long(20000)],
                         description=_l("Plain text; leave an empty line between paragraphs."))
    chain_id = SelectField(_l("Chain"), choices=[], validators=[Optional()])
    deal_id = SelectField(_l("Deal"), choices=[], validators=[Optional()])
    output_id = SelectField(_l("Research output"), choices=[], validators=[Optional()])


class StoryImageForm(BaseForm):
    """Add an image to a piece."""

    file = FileField(_l("Image (PNG, JPEG or WebP)"),
                     validators=[FileRequired(message=_l("Choose an image to upload."))])
    alt = StringField(_l("Alt text (what the image shows)"), validators=[
        DataRequired(message=_l("Describe the image in a few words (alt text).")),
        _too_long(200)])


class ActionForm(BaseForm):
    """A button that only needs its CSRF token."""
