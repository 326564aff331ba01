"""The import pages' forms (shape checks; the file is read by the dry run)."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from matchmaker.forms_common import BaseForm
from matchmaker.imports import messages


class UploadForm(BaseForm):
    kind = SelectField(_l("What the file lists"), choices=[],
                       validators=[DataRequired(message=_l("Choose what the file lists."))])
    file = FileField(_l("File (.xlsx or .csv)"),
                     validators=[FileRequired(message=_l("Choose a file to upload."))])

    def set_kinds(self, kinds) -> None:
        self.kind.choices = [SelectChoice(k, messages.KINDS[k]) for k in kinds]


class ConfirmForm(BaseForm):
    """Confirm a dry run; each likely duplicate's choice comes as decision-<row>."""

    all_duplicates = SelectField(
        _l("For every likely duplicate"),
        choices=[SelectChoice("", _l("— choose per row —"))] + [
            SelectChoice(k, v) for k, v in messages.DECISIONS.items()], default="")
