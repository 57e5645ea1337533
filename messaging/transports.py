"""How to send: the transports, chosen by configuration (SMS_BACKEND, MAIL_BACKEND).

`console` (SMS) logs the text; `outbox` (email) keeps it. Both leave the message
in the `messages` table, which `guichet outbox` and the development page read.
`twilio` (SMS, `messaging.twilio_sms`) and `smtp` (email, `messaging.smtp_mail`)
reach the outside world; every failure they meet becomes a `TransportError`
saying whether another attempt could help and why, in a stable `ErrorCode`.
`messaging.backends` builds the configured ones.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Protocol

from messaging.models import Message

log = logging.getLogger("guichet.messaging")


class ErrorCode(enum.StrEnum):
    """Why a message could not be sent; `messaging.delivery` says it in French."""

    INVALID_NUMBER = "invalid_number"  # not a phone number at all
    NOT_MOBILE = "not_mobile"  # a landline or a number that cannot take SMS
    UNREACHABLE = "unreachable"  # a valid number our provider cannot reach
    OPTED_OUT = "opted_out"  # the recipient answered STOP
    ADDRESS_REJECTED = "address_rejected"  # the mail server refused the address
    REJECTED = "rejected"  # the provider refused this message for another reason
    CONFIGURATION = "configuration"  # our credentials or sender are wrong
    UNAVAILABLE = "unavailable"  # provider outage, network error, timeout
    INTERNAL = "internal"  # a fault of ours while sending


class TransportError(Exception):
    """The provider refused or failed; `permanent` says whether retrying could help."""

    def __init__(self, detail: str, *, permanent: bool, code: ErrorCode | None = None):
        self.permanent = permanent
        self.code = code or (ErrorCode.REJECTED if permanent else ErrorCode.UNAVAILABLE)
        super().__init__(detail)


@dataclass
class SendResult:
    provider_id: str | None = None


class Transport(Protocol):
    def send(self, message: Message) -> SendResult: ...


class ConsoleSms:
    """Development SMS: the text goes to the log and stays in the `messages` table."""

    def send(self, message: Message) -> SendResult:
        log.info("SMS to %s: %s", message.recipient, message.body)
        return SendResult()


class OutboxMail:
    """Development email: kept in the `messages` table (`guichet outbox`, /dev/outbox)."""

    def send(self, message: Message) -> SendResult:
        log.info("Email to %s kept in the outbox: %s", message.recipient, message.subject)
        return SendResult()
