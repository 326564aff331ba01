"""The notification centre (list, open, mark read), the preferences page, the unread count in
the top bar, and the brokers' calendar feed."""
import logging

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from matchmaker import permissions
from matchmaker.auth.models import Broker
from matchmaker.blocks import register_block
from matchmaker.errors import NotFoundError, ValidationFailedError
from matchmaker.extensions import db
from matchmaker.jobs import enqueue
from matchmaker.notifications import calendar, kinds, services, wecom
from matchmaker.notifications.jobs import WECOM_TEST_TASK
from matchmaker.notifications.rules import may_mute
from matchmaker.routing import page_number

log = logging.getLogger(__name__)
bp = Blueprint("notifications", __name__, url_prefix="/notifications")
calendar_bp = Blueprint("calendar", __name__, url_prefix="/calendar")


def _local(path: str) -> str:
    """Return path if it is a path inside the app, else the notification centre."""
    if path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return url_for("notifications.index")


@bp.route("")
@login_required
def index():
    page = db.paginate(services.list_query(current_user), page=page_number(),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("notifications/index.html", page=page, render=kinds.render)


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_item(notification_id: int):
    """Mark the notification read and go to what it is about."""
    row = services.get_notification(db.session, notification_id, viewer=current_user)
    services.mark_read(db.session, row, actor=current_user)
    db.session.commit()
    return redirect(_local(services.link_of(row)))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    row = services.get_notification(db.session, notification_id, viewer=current_user)
    services.mark_read(db.session, row, actor=current_user)
    db.session.commit()
    return redirect(url_for("notifications.index", page=request.form.get("page") or None))


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all_read():
    count = services.mark_all_read(db.session, current_user)
    db.session.commit()
    flash(_("%(n)d notifications marked as read.", n=count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    """Choose, per kind, whether to get an e-mail too, a post in one's WeCom group, and
    whether to mute it."""
    robot = wecom.find_robot(db.session, current_user)
    if request.method == "POST":
        stored = services.choices_of(db.session, current_user)
        choices = {kind: services.Choice(
            email=request.form.get(f"email-{kind}") == "on",
            muted=request.form.get(f"mute-{kind}") == "on",
            # Without a group the column is not shown: keep what was chosen.
            wecom=request.form.get(f"wecom-{kind}") == "on" if robot else stored[kind].wecom)
            for kind in kinds.kinds_for_role(current_user.role)}
        services.save_choices(db.session, current_user, choices)
        db.session.commit()
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html",
                           choices=services.choices_of(db.session, current_user),
                           label=kinds.label, may_mute=may_mute,
                           email_enabled=bool(current_app.config.get("MAIL_SERVER")),
                           wecom_enabled=services.wecom_enabled(), robot=robot)


@bp.route("/wecom", methods=["POST"])
@login_required
def set_wecom():
    """Connect the person's WeCom group robot (a pasted webhook address or key)."""
    try:
        wecom.set_robot(db.session, current_user, request.form.get("wecom_key", ""),
                        actor=current_user)
    except ValidationFailedError as error:
        db.session.rollback()
        for message in error.reasons.values():
            flash(f"{_('WeCom group robot')}: {message}", "danger")
        return redirect(url_for("notifications.preferences") + "#wecom")
    enqueue(db.session, WECOM_TEST_TASK, user_id=current_user.id)
    db.session.commit()
    flash(_("Your WeCom group is connected; a test message is on its way there."), "success")
    return redirect(url_for("notifications.preferences") + "#wecom")


@bp.route("/wecom/test", methods=["POST"])
@login_required
def test_wecom():
    if wecom.find_robot(db.session, current_user) is not None:
        enqueue(db.session, WECOM_TEST_TASK, user_id=current_user.id)
        db.session.commit()
        flash(_("A test message is on its way to your WeCom group."), "success")
    return redirect(url_for("notifications.preferences") + "#wecom")


@bp.route("/wecom/remove", methods=["POST"])
@login_required
def remove_wecom():
    wecom.remove_robot(db.session, current_user, actor=current_user)
    db.session.commit()
    flash(_("Your WeCom group is disconnected: nothing more is posted there."), "success")
    return redirect(url_for("notifications.preferences") + "#wecom")


def unread_notification_count() -> int:
    """Return the signed-in person's unread count (one query per request, only when a page
    shows it; 0 for visitors)."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = services.unread_count(db.session, current_user)
        except SQLAlchemyError:  # an error page while the database fails: show no count
            log.warning("notifications: cannot count unread notifications", exc_info=True)
            db.session.rollback()
            g.unread_notifications = 0
    return g.unread_notifications


# --- the calendar feed ------------------------------------------------------------------------

@calendar_bp.route("/<token>.ics")
def feed(token: str):
    """A broker's calendar: no session, the secret in the URL is the credential."""
    user = calendar.user_for_token(db.session, token)
    if user is None:
        raise NotFoundError("calendar feed")
    languages = current_app.config["LANGUAGES"]
    body = calendar.build_feed(
        db.session, user, base_url=current_app.config["BASE_URL"],
        language=user.locale if user.locale in languages else
        current_app.config["BABEL_DEFAULT_LOCALE"])
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="matchmaker.ics"',
        "Cache-Control": "private, max-age=300"})


@calendar_bp.route("/reset", methods=["POST"])
@login_required
def reset():
    """Make the broker's feed link, or replace it (the old one stops working)."""
    calendar.reset_feed(db.session, current_user, actor=current_user,
                        secret=current_app.config["SECRET_KEY"])
    db.session.commit()
    flash(_("Your calendar link is ready; a link you shared before no longer works."),
          "success")
    return redirect(url_for("brokers.edit_profile") + "#calendar")


def calendar_block(broker: Broker) -> dict | None:
    """The calendar link on the broker's own profile page."""
    if not (permissions.is_broker(current_user) and broker.user_id == current_user.id):
        return None
    found = calendar.find_feed(db.session, current_user)
    url = None
    if found is not None:
        token = calendar.feed_token(found, current_app.config["SECRET_KEY"])
        url = url_for("calendar.feed", token=token, _external=True)
    return {"feed": found, "feed_url": url}


def register(app: Flask) -> None:
    """Add the blueprints, the top bar's unread count and the profile page's calendar block."""
    app.register_blueprint(bp)
    app.register_blueprint(calendar_bp)
    app.jinja_env.globals["unread_notification_count"] = unread_notification_count
    register_block(app, "calendar-feed", "broker-profile", "notifications/_calendar.html",
                   calendar_block)
