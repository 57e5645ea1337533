"""The messages `guichet worker` sends: every pending message whose next attempt is
due (just composed, a retry after a temporary failure, or an attempt whose process
died), oldest first (kernel.jobs runs it)."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from kernel import jobs
from kernel.extensions import db
from messaging.attempts import attempt
from messaging.models import Message
from messaging.models import MessageStatus


def due_messages(now: dt.datetime, limit: int) -> list[int]:
    return list(
        db.session.scalars(
            db.select(Message.id)
            .where(Message.status == MessageStatus.PENDING, Message.next_attempt_at <= now)
            .order_by(Message.next_attempt_at, Message.id)
            .limit(limit)
        )
    )


def setup_worker(app: Flask) -> None:
    config = app.extensions["guichet.settings"].messaging
    if config.max_attempts < 1:
        raise ValueError("MESSAGE_MAX_ATTEMPTS must be at least 1")
    if any(seconds < 0 for seconds in config.retry_intervals_seconds):
        raise ValueError("MESSAGE_RETRY_INTERVALS must be seconds, 0 or more")
    jobs.register(app, jobs.Deliverer("messages", due=due_messages, attempt=attempt))
