"""A local SMTP server (aiosmtpd on 127.0.0.1, a free port) whose received messages tests read
back, and helpers to open deals for the reminder tests."""
import socket
from datetime import date
from email import message_from_bytes, policy

import pytest

from matchmaker.pipeline import services as pipeline


class Inbox:
    """aiosmtpd's handler: keeps every message it accepts, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append({"to": list(envelope.rcpt_tos), "message": message,
                              "subject": str(message["Subject"]),
                              "body": message.get_content()})
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[dict]:
        return [m for m in self.messages if address in m["to"]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    """Start a local SMTP server and point the app's mail settings at it; yield its Inbox.

    aiosmtpd answers 250 only after handle_DATA stored the message, and smtplib waits for that
    answer, so a message is in the inbox as soon as the job that sent it returned.
    """
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    monkeypatch.setitem(app.config, "MAIL_FROM", "matchmaker@matchmaker.test")
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def open_deal(db_session, make_output):
    """Return open_deal(owner, due=…, actor=owner, step="…") -> a new Deal on a new output."""
    def make(owner, *, due: date, actor=None, step: str = "Call the lab about the membrane",
             output=None):
        return pipeline.create_deal(db_session, actor=actor or owner, owner=owner,
                                    output=output or make_output(), next_step=step,
                                    next_step_due=due, title=f"Deal of {owner.display_name}")
    return make
