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


def _json_form(app, body: str) -> _Form:
    with app.test_request_context("/", method="POST", data=body,
                                  content_type="application/json"):
        return _Form()


def test_a_json_object_is_read_as_a_form_would_send_it(app):
    """Flask-WTF reads JSON bodies as form data; numbers in text fields were a 500 in the
    services (found by the route fuzz: {"email": 1} at sign-in)."""
    form = _json_form(app, '{"name": 1, "notes": true, "terms": ["a", 2, null, {}], '
                           '"amount": null}')
    assert (form.name.data, form.notes.data, form.terms.data, form.amount.data) == \
        ("1", "true", ["a"], None)


def test_json_that_is_not_an_object_holds_no_fields(app):
    for body in ('"abc"', "[1, 2]", "5", '[["a", "b", "c"]]'):
        form = _json_form(app, body)
        assert (form.name.data, form.terms.data, form.amount.data) == ("", [], None)


def test_signing_in_with_a_json_body_of_numbers_is_refused_not_a_500(client):
    from tests.conftest import csrf_token

    token = csrf_token(client, "/auth/login")
    for body in ('{"email": 1, "password": "0"}', '"abc"', '{"email": ["a"], "password": {}}'):
        response = client.post("/auth/login", data=body, content_type="application/json",
                               headers={"X-CSRFToken": token})
        assert response.status_code == 200
        assert "请输入" in response.get_data(as_text=True) or "错误" in \
            response.get_data(as_text=True)


def test_a_post_without_fields_is_an_empty_submission(app):
    """Flask-WTF validates such a post but left its fields unread (None), and a list field's
    validator failed on None (found by the route fuzz: a broken multipart body)."""
    with app.test_request_context("/", method="POST", data=b"a=1&&b",
                                  content_type="multipart/form-data"):
        form = _Form(obj=STORED)
    assert (form.name.data, form.terms.data, form.amount.data) == ("", [], None)


def test_a_segment_posted_with_a_broken_body_gets_messages_not_a_500(login_as):
    from tests.conftest import csrf_token

    client = login_as("admin")
    token = csrf_token(client, "/admin/chains/1/segments/new")
    response = client.post("/admin/chains/1/segments/new", data=b"a=1&&b",
                           content_type="multipart/form-data", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert "请输入标识" in response.get_data(as_text=True)


def test_a_number_no_column_holds_is_out_of_range_not_a_500(login_as, db_session):
    """int() read a thousand digits and NumberRange's float conversion overflowed (found by
    the route fuzz on the need and output forms' TRL)."""
    from tests.conftest import submit
    from tests.profiles.test_views import need_form

    client = login_as("h2-ent-01")
    page = submit(client, "/needs/new", need_form(min_trl="1" * 1000))
    assert page.status_code == 200
    assert "TRL 必须在 1 到 9 之间" in page.get_data(as_text=True)


def _attempt_in_request(app, db_session, change, **options):
    """Run forms_common.attempt inside a request; return its result, the flashes, and whether
    the chain the change added is still in the database afterwards."""
    from flask import get_flashed_messages
    from sqlalchemy import select

    from matchmaker.chains.models import Chain
    from matchmaker.forms_common import attempt

    def add_then(then):
        db_session.add(Chain(key="attempt-probe", name_zh="探针", name_en="Probe"))
        db_session.flush()
        then()

    with app.test_request_context("/"):
        done = attempt(lambda: add_then(change), "Saved.", **options)
        flashes = get_flashed_messages(with_categories=True)
    kept = db_session.scalar(select(Chain.id).where(Chain.key == "attempt-probe")) is not None
    return done, flashes, kept


def test_attempt_commits_and_flashes_success(app, db_session):
    assert _attempt_in_request(app, db_session, lambda: None) == (
        True, [("success", "Saved.")], True)


def test_attempt_rolls_back_a_stale_edit_with_the_given_or_a_generic_message(app, db_session):
    from matchmaker.errors import StaleObjectError

    def stale():
        raise StaleObjectError()

    assert _attempt_in_request(app, db_session, stale, stale="This deal changed.") == (
        False, [("warning", "This deal changed.")], False)
    done, flashes, kept = _attempt_in_request(app, db_session, stale)
    assert (done, kept, flashes[0][0]) == (False, False, "warning")
    assert flashes[0][1].startswith("在您打开之后")  # the default language is Chinese


def test_attempt_rolls_back_a_refusal_and_shows_each_reason(app, db_session):
    from matchmaker.errors import ValidationFailedError

    def refuse():
        raise ValidationFailedError({"title": "too long", "budget": "negative"})

    assert _attempt_in_request(app, db_session, refuse) == (
        False, [("danger", "too long"), ("danger", "negative")], False)
    assert _attempt_in_request(app, db_session, refuse,
                               refusal=lambda field, why: f"{field}: {why}") == (
        False, [("danger", "title: too long"), ("danger", "budget: negative")], False)
