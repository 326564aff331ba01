"""The shared form base: a submitted form holds what was submitted, as a browser sends it."""
from types import SimpleNamespace

from wtforms import StringField, TextAreaField

from matchmaker.forms_common import BaseForm, TermListField
from matchmaker.profiles.forms import MoneyField


class _Form(BaseForm):
    class Meta:
        csrf = False

    name = StringField()
    notes = TextAreaField()
    terms = TermListField()
    amount = MoneyField()


STORED = SimpleNamespace(name="stored", notes=["a|b", "c|d"], terms=["x"], amount=5)


def test_a_shown_form_is_filled_from_the_object(app):
    with app.test_request_context("/", method="GET"):
        form = _Form(obj=STORED)
    assert (form.name.data, form.terms.data, form.amount.data) == ("stored", ["x"], 5)


def test_a_submitted_form_ignores_the_object_and_reads_missing_text_as_empty(app):
    with app.test_request_context("/", method="POST", data={"name": "typed"}):
        form = _Form(obj=STORED)
    assert form.name.data == "typed"
    assert (form.notes.data, form.terms.data, form.amount.data) == ("", [], None)
