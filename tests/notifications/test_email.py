"""The e-mail channel: notifications and account e-mails received by a local SMTP server
(aiosmtpd on 127.0.0.1), in the recipient's language, with a link to the item."""
from datetime import date, timedelta

from sqlalchemy import select

from matchmaker.domain import Role
from matchmaker.jobs import BackgroundJob, run_queued
from matchmaker.notifications import services
from matchmaker.notifications.models import Notification
from matchmaker.notifications.rules import Kind


def _assign(app, db_session, make_user, make_broker, open_deal, *, locale: str):
    broker, operator = make_broker(), make_user(Role.ADMIN)
    broker.locale = locale
    with app.app_context():
        deal = open_deal(broker, actor=operator, due=date.today() + timedelta(days=3))
        db_session.commit()
        run_queued(db_session)
    return broker, deal


def test_a_notification_is_emailed_in_english_with_a_link(app, db_session, smtp, make_user,
                                                          make_broker, open_deal):
    broker, deal = _assign(app, db_session, make_user, make_broker, open_deal, locale="en")
    [received] = smtp.to(broker.email)
    message = received["message"]
    assert received["subject"].endswith(
        f"You are now the broker in charge of the deal “{deal.title}”.")
    assert message["From"] == "matchmaker@matchmaker.test"
    assert message["To"] == broker.email
    assert message["Content-Language"] == "en"
    assert f"http://matchmaker.test/deals/{deal.id}" in received["body"]
    assert "http://matchmaker.test/notifications/preferences" in received["body"]
    assert f"Hello {broker.display_name}," in received["body"]
    row = db_session.scalar(select(Notification).where(Notification.recipient_id == broker.id))
    assert row.emailed_at is not None


def test_a_notification_is_emailed_in_chinese_to_a_chinese_reader(app, db_session, smtp,
                                                                  make_user, make_broker,
                                                                  open_deal):
    broker, deal = _assign(app, db_session, make_user, make_broker, open_deal, locale="zh")
    [received] = smtp.to(broker.email)
    assert received["message"]["Content-Language"] == "zh-CN"
    assert f"您现在是项目“{deal.title}”的负责经纪人。" in received["subject"]
    assert received["subject"].startswith("秦创原")
    assert f"{broker.display_name}，您好：" in received["body"]


def test_a_notification_is_emailed_once_even_if_its_job_runs_again(app, db_session, smtp,
                                                                   make_user, make_broker,
                                                                   open_deal):
    from matchmaker.notifications import emails

    broker, _deal = _assign(app, db_session, make_user, make_broker, open_deal, locale="en")
    row = db_session.scalar(select(Notification).where(Notification.recipient_id == broker.id))
    with app.app_context():
        assert emails.send_notification_email(db_session, row.id) is False
    assert len(smtp.to(broker.email)) == 1


def test_turning_email_off_for_a_kind_keeps_it_in_app_only(app, db_session, smtp, make_user,
                                                           make_broker, open_deal):
    broker, operator = make_broker(), make_user(Role.ADMIN)
    services.save_choices(db_session, broker, {Kind.ASSIGNED: services.Choice(False, False)})
    with app.app_context():
        open_deal(broker, actor=operator, due=date.today() + timedelta(days=3))
        db_session.commit()
        run_queued(db_session)
    assert smtp.to(broker.email) == []
    assert db_session.scalar(select(Notification).where(
        Notification.recipient_id == broker.id)).kind == Kind.ASSIGNED


def test_without_a_mail_server_nothing_is_queued_and_the_log_says_so(app, db_session, caplog,
                                                                    make_user, make_broker,
                                                                    open_deal):
    broker, operator = make_broker(), make_user(Role.ADMIN)
    before = db_session.scalar(select(BackgroundJob.id).order_by(BackgroundJob.id.desc())
                               .limit(1)) or 0
    with app.app_context(), caplog.at_level("INFO", logger="matchmaker.notifications"):
        open_deal(broker, actor=operator, due=date.today() + timedelta(days=3))
    queued = db_session.scalars(select(BackgroundJob.name).where(
        BackgroundJob.id > before)).all()
    assert "notifications.email" not in queued
    assert "e-mail is off (MAIL_SERVER not set)" in caplog.text
    assert db_session.scalar(select(Notification.kind).where(
        Notification.recipient_id == broker.id)) == Kind.ASSIGNED


def test_the_smtp_message_is_built_with_the_standard_library(app):
    from matchmaker.notifications import mail

    settings = mail.MailSettings(server="127.0.0.1", port=25, sender="a@example.com")
    message = mail.build_message(settings, to="b@example.com", subject="主题", body="正文",
                                 language="zh")
    assert message["Subject"] == "主题" and message.get_content().strip() == "正文"
    assert message["Auto-Submitted"] == "auto-generated"
    assert mail.settings_from({"MAIL_SERVER": None}) is None
    parsed = mail.settings_from({"MAIL_SERVER": "smtp.example.com", "MAIL_PORT": "587",
                                 "MAIL_USE_TLS": True, "MAIL_USERNAME": "u",
                                 "MAIL_PASSWORD": "p", "MAIL_FROM": "x@example.com"})
    assert (parsed.port, parsed.use_tls, parsed.sender) == (587, True, "x@example.com")
