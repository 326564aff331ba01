"""Operator pages: account approval and the sector-chain editor."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from matchmaker import labels
from matchmaker.admin import admin_required, bp
from matchmaker.admin.job_views import flash_rebuild, queued_rebuild
from matchmaker.auth import services as auth_services
from matchmaker.auth.models import JoinRequest, User
from matchmaker.chains import services as chain_services
from matchmaker.chains.forms import ChainForm, SegmentForm
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.domain import AccountStatus, JoinRequestStatus
from matchmaker.extensions import db
from matchmaker.templating import localized

ACCOUNT_TABS = tuple(AccountStatus)


@bp.route("/users")
@admin_required
def users():
    status = request.args.get("status", AccountStatus.PENDING)
    stmt = (select(User).options(selectinload(User.join_requests))
            .order_by(User.created_at.desc(), User.id.desc()))
    if status in AccountStatus.__members__.values():
        stmt = stmt.where(User.status == status)
    page = db.paginate(stmt, per_page=50)
    counts = dict(db.session.execute(select(User.status, func.count()).group_by(User.status)).all())
    return render_template("admin/users.html", page=page, status=status, counts=counts)


def _back():
    back = request.form.get("back", "pending")
    return redirect(url_for("admin.users", status=back if back in ACCOUNT_TABS else "pending"))


ACTIVATION_BLOCKED = {
    "join_pending": lambda: _("It asks to join an existing organisation: confirm or decline "
                              "the request first."),
    "no_organisation": lambda: _("It has no organisation (its join request was declined): "
                                 "reject it, or register its organisation separately."),
    "deleted": lambda: _("The account was deleted by its owner."),
}


@bp.route("/users/<int:user_id>/status", methods=["POST"])
@admin_required
def set_user_status(user_id: int):
    user = db.get_or_404(User, user_id)
    status = request.form.get("status", "")
    if status not in AccountStatus.__members__.values() or user.id == current_user.id:
        abort(400)
    try:
        auth_services.set_account_status(db.session, user, status)
    except auth_services.ActivationBlockedError as error:
        db.session.rollback()
        flash(_("%(name)s cannot be approved yet. %(reason)s", name=user.display_name,
                reason=ACTIVATION_BLOCKED[error.reason]()), "danger")
    else:
        db.session.commit()
        flash(_("%(name)s: account updated.", name=user.display_name), "success")
    return _back()


@bp.route("/join-requests/<int:request_id>", methods=["POST"])
@admin_required
def decide_join_request(request_id: int):
    """An operator confirms, declines or separates a sign-up's request to join an existing
    organisation."""
    join_request = db.get_or_404(JoinRequest, request_id)
    decision = request.form.get("decision", "")
    if decision not in JoinRequestStatus.__members__.values() or \
            decision == JoinRequestStatus.PENDING:
        abort(400)
    try:
        auth_services.decide_join_request(db.session, join_request, decision,
                                          decider=current_user)
    except auth_services.AlreadyDecidedError:
        db.session.rollback()
        flash(_("Someone already decided this request."), "warning")
    except auth_services.NameTakenError:
        db.session.rollback()
        flash(_("“%(name)s” is exactly the name of an organisation already on the platform; "
                "it cannot be registered separately.", name=join_request.requested_name),
              "danger")
    else:
        db.session.commit()
        flash(_("%(name)s: %(decision)s.", name=join_request.user.display_name,
                decision=labels.JOIN_REQUEST_STATUS[decision]), "success")
    return _back()


@bp.route("/chains")
@admin_required
def chains():
    rows = db.session.scalars(select(Chain).order_by(Chain.id)).all()
    return render_template("admin/chains.html", chains=rows)


@bp.route("/chains/new", methods=["GET", "POST"])
@bp.route("/chains/<int:chain_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_chain(chain_id: int | None = None):
    chain = db.get_or_404(Chain, chain_id) if chain_id else None
    form = ChainForm(obj=chain)
    if request.method == "GET" and chain is not None:
        form.synonyms.data = "\n".join(" | ".join(g) for g in chain.synonym_groups)
    if form.validate_on_submit():
        values = {name: form[name].data for name in
                  ("key", "name_zh", "name_en", "description_zh", "description_en", "core_terms",
                   "is_active")}
        values["synonyms"] = form.synonym_lines()
        try:
            chain = chain_services.save_chain(db.session, chain, values)
        except chain_services.DuplicateKeyError:
            db.session.rollback()
            form.key.errors.append(_("Another chain already uses this key."))
        except chain_services.SynonymCollisionError as error:
            db.session.rollback()
            form.synonyms.errors.extend(collision_messages(error.collisions))
        else:
            rebuild = queued_rebuild()
            db.session.commit()
            flash_rebuild(_("Chain saved."), rebuild)
            return redirect(url_for("admin.chains"))
    form.mark_languages()
    return render_template("admin/chain_edit.html", form=form, chain=chain)


def collision_messages(collisions) -> list[str]:
    """Say, for each clashing term, what the group makes of it and how the other chain uses it."""
    names = {c.key: localized(c, "name") for c in db.session.scalars(select(Chain))}
    messages = []
    for found in collisions:
        theirs = (_("its synonym group %(group)s", group=" | ".join(found.other_group))
                  if found.other_group else _("its keywords, without any other term of the group"))
        messages.append(_(
            "“%(term)s” would be folded into “%(head)s” (%(chain)s), but %(other)s uses it in "
            "another sense (%(theirs)s). Remove it from the group or use an unambiguous term.",
            term=found.term, head=found.group[0], chain=names.get(found.chain, found.chain),
            other=names.get(found.other_chain, found.other_chain), theirs=theirs))
    return messages


@bp.route("/chains/<int:chain_id>/segments/new", methods=["GET", "POST"])
@bp.route("/segments/<int:segment_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_segment(chain_id: int | None = None, segment_id: int | None = None):
    segment = db.get_or_404(ChainSegment, segment_id) if segment_id else None
    chain = segment.chain if segment else db.get_or_404(Chain, chain_id)
    form = SegmentForm(obj=segment)
    if request.method == "GET" and segment is None:
        form.position.data = len(chain.segments) + 1
    if form.validate_on_submit():
        values = {name: form[name].data for name in
                  ("key", "name_zh", "name_en", "position", "keywords_zh", "keywords_en",
                   "ipc_prefixes")}
        try:
            chain_services.save_segment(db.session, chain, segment, values)
        except chain_services.DuplicateKeyError:
            db.session.rollback()
            form.key.errors.append(_("Another segment of this chain already uses this key."))
        except chain_services.SynonymCollisionError as error:
            db.session.rollback()
            english = {t.casefold() for t in form.keywords_en.data}
            for found, message in zip(error.collisions, collision_messages(error.collisions),
                                      strict=True):
                field = form.keywords_en if found.term in english else form.keywords_zh
                field.errors.append(message)
        else:
            rebuild = queued_rebuild()
            db.session.commit()
            flash_rebuild(_("Segment saved."), rebuild)
            return redirect(url_for("admin.chains"))
    form.mark_languages()
    return render_template("admin/segment_edit.html", form=form, chain=chain, segment=segment)


@bp.route("/segments/<int:segment_id>/delete", methods=["POST"])
@admin_required
def delete_segment(segment_id: int):
    segment = db.get_or_404(ChainSegment, segment_id)
    try:
        chain_services.delete_segment(db.session, segment)
    except chain_services.SegmentInUseError:
        db.session.rollback()
        flash(_("Outputs or needs still use this segment; move them first."), "danger")
    else:
        rebuild = queued_rebuild()
        db.session.commit()
        flash_rebuild(_("Segment deleted."), rebuild)
    return redirect(url_for("admin.chains"))
