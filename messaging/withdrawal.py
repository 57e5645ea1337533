"""Withdrawing messages not sent yet, when a newer one makes them pointless (a new
SMS code replacing the old, SPEC §6.3 «Réessayer»)."""

from __future__ import annotations

from kernel.extensions import db
from messaging.models import Message
from messaging.models import MessageStatus


def withdraw_pending(message_ids: list[int]) -> int:
    """Those of the messages still waiting become `replaced` and are never sent; one
    whose attempt is under way may still leave. Returns how many were withdrawn."""
    if not message_ids:
        return 0
    return db.session.execute(
        db.update(Message)
        .where(Message.id.in_(message_ids), Message.status == MessageStatus.PENDING)
        .values(status=MessageStatus.REPLACED, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
