"""The e-mail channel: SMTP settings from the configuration, messages built with the
standard library's email.message and sent with smtplib (from background jobs only).

Without MAIL_SERVER e-mail is off: nothing is queued or sent, and the log says so; the
in-app notification centre still works.
"""
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    use_tls: bool = False  # STARTTLS after connecting
    use_ssl: bool = False  # TLS from the first byte (port 465)
    timeout: float = 30.0


def settings_from(config) -> MailSettings | None:
    """Return the SMTP settings of config (a Flask config), or None when e-mail is off."""
    server = config.get("MAIL_SERVER")
    if not server:
        return None
    sender = config.get("MAIL_FROM") or f"noreply@{server}"
    return MailSettings(server=server, port=int(config.get("MAIL_PORT") or 25), sender=sender,
                        username=config.get("MAIL_USERNAME") or "",
                        password=config.get("MAIL_PASSWORD") or "",
                        use_tls=bool(config.get("MAIL_USE_TLS")),
                        use_ssl=bool(config.get("MAIL_USE_SSL")))


def is_enabled(config) -> bool:
    """Return whether e-mail is configured."""
    return settings_from(config) is not None


def build_message(settings: MailSettings, *, to: str, subject: str, body: str,
                  language: str) -> EmailMessage:
    """Return a plain-text message in language ("zh" or "en")."""
    message = EmailMessage()
    message.set_content(body)  # first: set_content replaces every Content-* header
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = settings.sender.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["Content-Language"] = "zh-CN" if language == "zh" else "en"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    return message


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Hand message to the SMTP server (an error propagates: the job fails and can be retried)."""
    if settings.use_ssl:
        smtp = smtplib.SMTP_SSL(settings.server, settings.port, timeout=settings.timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
    with smtp:
        if settings.use_tls and not settings.use_ssl:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)


def external_url(config, path: str) -> str:
    """Return the absolute URL of an app path, on BASE_URL (never the request's Host header:
    a forged Host must not put its own address into a password-reset e-mail)."""
    base = (config.get("BASE_URL") or "http://localhost:5000").rstrip("/")
    if urlsplit(path).netloc:  # already absolute
        return path
    return base + (path if path.startswith("/") else "/" + path)
