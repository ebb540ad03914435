"""A real SMTP server on loopback (aiosmtpd) that collects what it receives."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Envelope:
    """What the server was told besides the message: sender, recipients, SMTPUTF8."""

    sender: str
    recipients: tuple[str, ...]
    smtputf8: bool


class Inbox:
    """The handler: accepts mail, or refuses recipients listed in `refuse` with 550;
    takes `delay` seconds over each message, like a slow server."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []  # one per message, in the same order
        self.refuse: set[str] = set()
        self.delay = 0.0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        content = envelope.content
        if envelope.smtp_utf8:  # headers may hold UTF-8 (RFC 6532)
            self.messages.append(message_from_string(content.decode(), policy=policy.default))  # type: ignore[arg-type]
        else:
            self.messages.append(message_from_bytes(content, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append(
            Envelope(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.smtp_utf8)
        )
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


class SMTPServer:
    """`smtputf8`: whether the server offers SMTPUTF8 (RFC 6531) in its EHLO answer."""

    def __init__(self, smtputf8: bool = False) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.smtputf8 = smtputf8
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
