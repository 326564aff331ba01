"""The WeCom (企业微信) channel: a person's notifications also posted to their team's group chat
through the group's robot (群机器人), for the kinds they choose.

A person gives the robot's webhook address (or just its key); only the key is kept, and posts
go to the configured WECOM_WEBHOOK_URL followed by it, so the platform never posts to an
address a user typed. Members of one team who share a group each get their notification in
the app, and the group sees the occasion once (models.WecomPost, keyed by the robot and the
occasion: the notification's dedupe key without its recipient). A failed post is recorded on
the robot (shown on the settings page) and may be posted by a later occasion's retry.

The messages are plain text in the recipient's language, with the link to the item.
"""
import hashlib
import json
import logging
import re
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from matchmaker.auth.models import User
from matchmaker.errors import PermissionDeniedError, ValidationFailedError
from matchmaker.notifications import kinds, mail
from matchmaker.notifications.emails import language_of, site_name
from matchmaker.notifications.models import Notification, WecomPost, WecomRobot
from matchmaker.notifications.services import is_reachable, link_of, path_for, wecom_enabled
from matchmaker.types import utcnow

log = logging.getLogger(__name__)

TEXT_MAX = 2000  # WeCom takes at most 2048 bytes of text; Chinese is 3 bytes a character
_KEY = re.compile(r"[A-Za-z0-9-]{8,64}")
BAD_KEY = _l("Paste the group robot's webhook address (…/webhook/send?key=…) or its key.")


class WecomError(Exception):
    """WeCom refused a post or could not be reached."""


def parse_key(text: str) -> str:
    """Return the robot key in a pasted webhook address or bare key; ValidationFailedError
    (field wecom_key) when it is neither."""
    text = (text or "").strip()
    if "://" in text:
        parts = urlsplit(text)
        text = (parse_qs(parts.query).get("key") or [""])[0]
    if not _KEY.fullmatch(text):
        raise ValidationFailedError({"wecom_key": str(BAD_KEY)})
    return text


def find_robot(session: Session, user: User) -> WecomRobot | None:
    return session.get(WecomRobot, user.id)


def set_robot(session: Session, user: User, text: str, *, actor) -> WecomRobot:
    """Give user's notifications a WeCom group (their own setting only)."""
    if actor.id != user.id:
        raise PermissionDeniedError("wecom robot")
    key = parse_key(text)
    robot = find_robot(session, user) or WecomRobot(user_id=user.id)
    robot.key, robot.created_at, robot.last_error = key, utcnow(), None
    session.add(robot)
    session.flush()
    return robot


def remove_robot(session: Session, user: User, *, actor) -> None:
    if actor.id != user.id:
        raise PermissionDeniedError("wecom robot")
    session.execute(delete(WecomRobot).where(WecomRobot.user_id == user.id))
    session.flush()


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def occasion_of(notification: Notification) -> str:
    """Return the notification's occasion: its dedupe key without the recipient."""
    return re.sub(r":u\d+$", "", notification.dedupe_key)


def _claim(session: Session, key: str, occasion: str) -> bool:
    """Record that the group of key gets occasion; False when it already has."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(WecomPost)
            .values(key_hash=_key_hash(key), occasion=occasion[:200], posted_at=utcnow())
            .on_conflict_do_nothing().returning(WecomPost.key_hash))
    return session.execute(stmt).scalar() is not None


def post_text(key: str, text: str) -> None:
    """Post text to the robot of key; WecomError when WeCom refuses or cannot be reached."""
    config = current_app.config
    body = json.dumps({"msgtype": "text", "text": {"content": text}},
                      ensure_ascii=False).encode()
    request = urllib.request.Request(config["WECOM_WEBHOOK_URL"] + key, data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=config["WECOM_TIMEOUT"]) as response:
            answer = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise WecomError(str(error)) from error
    if answer.get("errcode", 0) != 0:
        raise WecomError(f"{answer.get('errcode')}: {answer.get('errmsg', '')}")


def _text(message: str, url: str) -> str:
    text = f"【{site_name()}】{message}\n{url}"
    return text if len(text) <= TEXT_MAX else text[:TEXT_MAX - 1] + "…"


def _send(robot: WecomRobot, text: str) -> bool:
    try:
        post_text(robot.key, text)
    except WecomError as error:
        log.warning("WeCom post for user %s failed: %s", robot.user_id, error)
        robot.last_error = str(error)[:300]
        return False
    robot.last_posted_at, robot.last_error = utcnow(), None
    return True


def post_notification(session: Session, notification_id: int) -> bool:
    """Post one notification to its recipient's group, once per group and occasion; return
    whether a message went out."""
    notification = session.get(Notification, notification_id)
    if notification is None or not wecom_enabled():
        return False
    user = notification.recipient
    robot = find_robot(session, user) if is_reachable(user) else None
    if robot is None or not _claim(session, robot.key, occasion_of(notification)):
        return False
    with force_locale(language_of(user)):
        text = _text(kinds.render(notification.kind, notification.params),
                     mail.external_url(current_app.config, link_of(notification) or "/"))
    sent = _send(robot, text)
    if not sent:  # let a later post of the same occasion (another member's) try again
        session.execute(delete(WecomPost).where(
            WecomPost.key_hash == _key_hash(robot.key),
            WecomPost.occasion == occasion_of(notification)[:200]))
    session.flush()
    return sent


def post_test(session: Session, user_id: int) -> bool:
    """Post a test message to user's group, so they see the robot works."""
    user = session.get(User, user_id)
    robot = find_robot(session, user) if user is not None and wecom_enabled() else None
    if robot is None:
        return False
    with force_locale(language_of(user)):
        text = _text(_("%(name)s connected this group: the notifications they choose arrive "
                       "here.", name=user.display_name),
                     mail.external_url(current_app.config,
                                       path_for("notifications.preferences")))
    sent = _send(robot, text)
    session.flush()
    return sent
