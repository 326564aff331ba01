"""The template helpers that stand between pages and Flask-Babel."""
import types

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from matchmaker import labels
from matchmaker.templating import TranslatedLabels


def test_translated_labels_follow_the_language_of_each_use(app):
    translated = TranslatedLabels(labels)
    with app.test_request_context(), force_locale("zh"):
        zh = translated.DECLINE_REASON
    with app.test_request_context(), force_locale("en"):
        en = translated.DECLINE_REASON
    with app.test_request_context(), force_locale("zh"):
        zh_again = translated.DECLINE_REASON
    assert set(zh) == set(en) == set(labels.DECLINE_REASON)
    with app.test_request_context(), force_locale("en"):
        assert en == {k: str(v) for k, v in labels.DECLINE_REASON.items()}
    assert all(type(v) is str for v in zh.values())
    assert zh != en  # translated, not the English source twice
    assert zh_again is zh  # made once per language, then reused


def test_translated_labels_pass_through_what_is_not_lazy(app):
    def helper():
        return "x"

    module = types.SimpleNamespace(TONES={"a": "good"}, helper=helper, ONE=_l("Withdrawn"))
    translated = TranslatedLabels(module)
    with app.test_request_context(), force_locale("en"):
        assert translated.TONES is module.TONES
        assert translated.helper is helper
        assert translated.ONE == "Withdrawn"
    with app.test_request_context(), force_locale("zh"):
        assert translated.ONE != "Withdrawn"
