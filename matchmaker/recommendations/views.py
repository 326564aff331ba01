"""Match lists on the need and output pages, and feedback on a match."""
import json
from dataclasses import dataclass

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from matchmaker import permissions
from matchmaker.blocks import register_block
from matchmaker.domain import Side
from matchmaker.errors import ValidationFailedError
from matchmaker.extensions import db
from matchmaker.permissions import Action
from matchmaker.profiles import services as profiles
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.profiles.views import listing_url
from matchmaker.recommendations import labels, seen, services
from matchmaker.recommendations.forms import BACK_TO, MatchFeedbackForm
from matchmaker.templating import TranslatedLabels, current_language

bp = Blueprint("recommendations", __name__, url_prefix="/recommendations")
_MATCH_LABELS = TranslatedLabels(labels)

FIELD_ERRORS = {
    "unknown_verdict": lambda: _("Choose relevant or declined."),
    "reason_required": lambda: _("Choose why this match does not fit."),
    "unknown_reason": lambda: _("Choose a reason from the list."),
    "other_needs_text": lambda: _("Describe the reason when you choose “Other”."),
}


def match_context(item: ResearchOutput | TechNeed) -> dict | None:
    """Return what the match block of a listing's page shows the current user (None: nothing)."""
    if not permissions.can(current_user, Action.SEE_MATCHES, item):
        return None
    limit = current_app.config.get("MATCH_LIMIT", 10)
    weaker = request.args.get("weaker") == "1"
    matches = services.list_matches(db.session, item.side, item, limit=limit,
                                    floor=current_app.config.get("MATCH_FLOOR", 0.0),
                                    weaker=weaker)
    # The names are only drawn into cards and the chain guess: most pages of a busy platform
    # show a few cards, some none.
    names = labels.ChainNames.load(db.session) if matches.items or matches.chain else None
    return {"side": item.side, "matches": matches, "new_ids": _new_to_viewer(item, matches),
            "showing_weaker": weaker, "weaker_url": _weaker_url(not weaker),
            "may_judge": permissions.can(current_user, Action.JUDGE, item),
            "chain_names": names}


def _weaker_url(show: bool) -> str:
    """Return this page's address with the weaker candidates shown (or hidden again)."""
    args = {k: v for k, v in request.args.items() if k != "weaker"}
    if show:
        args["weaker"] = "1"
    return url_for(request.endpoint, **(request.view_args or {}), **args,
                   _anchor="matches-title")


def _new_to_viewer(item: ResearchOutput | TechNeed, matches: services.MatchList) -> set[int]:
    """Return the matches the page shows that are new to its viewer, and record them as seen
    (the listing's view commits once the page is drawn). Only the listing's own organisation
    is followed: a broker or operator opening it leaves the owner's "new" alone."""
    if not matches.items or not permissions.can(current_user, Action.FOLLOW_MATCHES, item):
        return set()
    return seen.mark_matches_seen(db.session, current_user, item,
                                  [rec.item.id for rec in matches.items])


def feedback_summary_context(item: ResearchOutput | TechNeed) -> dict | None:
    """Return what enterprises and brokers said about an output's matches (its side column)."""
    if item.side != Side.OUTPUT or not permissions.can(current_user, Action.SEE_MATCHES, item):
        return None
    return {"feedback_summary": services.summarize_output_feedback(db.session, item)}


def register_blocks(app: Flask) -> None:
    """Add the match list and the feedback summary to the listing pages of profiles."""
    register_block(app, "matches", "listing", "recommendations/_matches.html", match_context)
    register_block(app, "feedback-summary", "listing-aside",
                   "recommendations/_feedback_summary.html", feedback_summary_context)


@bp.app_template_global()
def match_rule_text(rule: dict, names: labels.ChainNames) -> str:
    return labels.rule_text(rule, names)


# The viewer-independent parts of match cards this process rendered (see match_card_parts):
# cleared when full, so it never holds more than CARD_CACHE_MAX cards (a few MB).
CARD_CACHE_MAX = 2000
_card_cache: dict[tuple, tuple[Markup, Markup, Markup]] = {}
_CARD_PART = "<!--match-card-part-->"


@dataclass(frozen=True)
class CardParts:
    head: Markup  # the candidate's title and organisation, chain badge
    score: Markup  # the score and its bar
    explanation: Markup  # excerpt, shared terms, components, rules, hints


def _card_key(rec, side: str, names: labels.ChainNames) -> tuple:
    """Everything the parts are drawn from: the language, the candidate as saved (its version),
    its organisation's names, the match as stored, its quality (calibrated: it moves with
    the list's best and the calibration, not only with the match) and the chain names. Deal
    marks are the viewer's and never part of the cached parts."""
    item, match = rec.item, rec.match
    org = item.institution if side == Side.NEED else item.enterprise
    return (current_language(), side, item.id, item.version, org.id, org.name, org.name_en,
            match.score, rec.quality, rec.is_weak,
            json.dumps(match.explanation, sort_keys=True, default=str),
            json.dumps(match.parts, sort_keys=True, default=str), names.fingerprint)


@bp.app_template_global()
def match_card_parts(rec, side: str, names: labels.ChainNames) -> CardParts:
    """Return the parts of a match card that are the same for every viewer.

    They are most of a listing page's work (each card localises its rules, highlights the
    shared terms in an excerpt and draws its components), and the same cards are shown over and
    over until the matches or the candidate change, so each process keeps what it drew, keyed
    by everything the parts are drawn from (_card_key). Who looks changes only the rest of the
    card: the "new" badge, the feedback, the deal actions and the feedback form.
    """
    key = _card_key(rec, side, names)
    parts = _card_cache.get(key)
    if parts is None:
        template = current_app.jinja_env.get_template("recommendations/_match_card_parts.html")
        html = template.render(rec=rec, side=side, chain_names=names,
                               **match_labels())
        parts = tuple(Markup(part) for part in html.split(_CARD_PART))
        if len(_card_cache) >= CARD_CACHE_MAX:
            _card_cache.clear()
        _card_cache[key] = parts
    return CardParts(*parts)


@bp.app_template_global()
def match_hint_text(hint: dict) -> str | None:
    return labels.hint_text(hint)


@bp.app_template_global()
def match_guess_text(guess, names: labels.ChainNames) -> str:
    return labels.guess_text(guess, names)


@bp.app_template_filter("highlight_terms")
def highlight_terms(text: str, terms) -> str:
    return labels.highlight(text, terms)


@bp.app_template_filter("pct_step")
def pct_step(value) -> int:
    return labels.pct_step(value)


@bp.app_context_processor
def match_labels() -> dict:
    return {"match_components": _MATCH_LABELS.COMPONENTS, "match_rule_tones": labels.RULE_TONES}


def _back_url(back: Side, need: TechNeed, output: ResearchOutput) -> str:
    if back == Side.OUTPUT:
        return listing_url(output, _anchor=f"match-{need.id}")
    return listing_url(need, _anchor=f"match-{output.id}")


@bp.route("/needs/<int:need_id>/outputs/<int:output_id>/feedback", methods=["GET", "POST"])
@login_required
def feedback(need_id: int, output_id: int):
    need = profiles.get_need(db.session, need_id, viewer=current_user)
    output = profiles.get_output(db.session, output_id, viewer=current_user)
    permissions.require(current_user, Action.JUDGE, need)
    mine = services.find_feedback(db.session, need, output, current_user)
    form = MatchFeedbackForm(obj=mine)
    if request.method == "GET":
        form.back.data = request.args.get("back")
    back = Side(form.back.data) if form.back.data in BACK_TO else Side.NEED
    if form.validate_on_submit():
        try:
            services.record_feedback(db.session, need=need, output=output, user=current_user,
                                     verdict=form.verdict.data, reason=form.reason.data or None,
                                     comment=form.comment.data or "")
        except ValidationFailedError as error:
            for field, code in error.reasons.items():
                form[field].errors.append(FIELD_ERRORS[code]())
        else:
            db.session.commit()
            flash(_("Thank you: your feedback on this match is saved."), "success")
            return redirect(_back_url(back, need, output))
    return render_template("recommendations/feedback.html", form=form, need=need, output=output,
                           back=back, back_url=_back_url(back, need, output),
                           feedback=services.list_pair_feedback(db.session, need, output))
