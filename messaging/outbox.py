"""Reading the recorded messages: `guichet outbox` and the development page.

A developer (or a test script) finds the SMS code or the link a journey just
sent: numbers are matched in international form whatever way they are typed
(`06 12 34 56 78`, `+33 6 12 34 56 78`, `0033612345678`), emails regardless of case.
"""

from __future__ import annotations

from kernel.contact import normalise_mobile
from kernel.extensions import db
from messaging.models import Channel
from messaging.models import Message


class UnknownRecipient(ValueError):
    """`--to` is neither an email address nor a phone number."""


def recipient_filter(raw: str) -> tuple[Channel, str]:
    """The channel and the stored form of an address or number typed any usual way."""
    text = raw.strip()
    if "@" in text:
        return Channel.EMAIL, text.lower()
    number = normalise_mobile(text)
    if number is None:
        raise UnknownRecipient(raw)
    return Channel.SMS, number


def latest(*, to: str | None = None, limit: int = 20) -> list[Message]:
    """The latest messages, newest first, optionally to one recipient."""
    query = db.select(Message).order_by(Message.created_at.desc(), Message.id.desc())
    if to:
        channel, recipient = recipient_filter(to)
        query = query.where(Message.channel == channel, Message.recipient == recipient)
    return list(db.session.scalars(query.limit(limit)))


def as_dict(message: Message) -> dict:
    """The JSON form of `guichet outbox --json` (times in UTC, ISO 8601 with `Z`)."""
    return {
        "id": message.id,
        "channel": message.channel.value,
        "recipient": message.recipient,
        "created_at": _iso(message.created_at),
        "sent_at": _iso(message.sent_at),
        "status": message.status.value,
        "attempts": message.attempts,
        "template": message.template,
        "subject": message.subject,
        "text": message.body,
        "html": message.html,
        "batch_id": message.batch_id,
        "provider_id": message.provider_id,
        "error_code": message.error_code,
        "error": message.error,
    }


def _iso(moment) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment is not None else None
