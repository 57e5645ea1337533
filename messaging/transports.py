"""How to send: the transports, chosen by configuration (SMS_BACKEND, MAIL_BACKEND).

`console` (SMS) logs the text; `outbox` (email) keeps it. Both leave the message
in the `messages` table, which `guichet outbox` and the development page read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from idp.config import MessagingConfig
from messaging.models import Message

log = logging.getLogger("guichet.messaging")


class TransportError(Exception):
    """The provider refused or failed; `permanent` says whether retrying could help."""

    def __init__(self, detail: str, *, permanent: bool):
        self.permanent = permanent
        super().__init__(detail)


@dataclass
class SendResult:
    provider_id: str | None = None


class Transport(Protocol):
    def send(self, message: Message) -> SendResult: ...


class ConsoleSms:
    def send(self, message: Message) -> SendResult:
        log.info("SMS to %s: %s", message.recipient, message.body)
        return SendResult()


class OutboxMail:
    def send(self, message: Message) -> SendResult:
        log.info("Email to %s kept in the outbox: %s", message.recipient, message.subject)
        return SendResult()


def build_transports(config: MessagingConfig) -> dict[str, Transport]:
    sms = {"console": ConsoleSms}
    mail = {"outbox": OutboxMail}
    if config.sms_backend not in sms:
        raise ValueError(f"SMS_BACKEND={config.sms_backend!r} is not available")
    if config.mail_backend not in mail:
        raise ValueError(f"MAIL_BACKEND={config.mail_backend!r} is not available")
    return {"sms": sms[config.sms_backend](), "email": mail[config.mail_backend]()}
