"""One attempt at sending a pending message, and the delay before the next one.

The attempt is claimed by a conditional UPDATE committed before the provider is
called: it counts the attempt and leases the message (its next attempt moves past
the provider's timeout), so a second worker, or the request that composed it,
never makes the same attempt, and no database transaction stays open during the
network call. A temporary failure sets the next attempt; the worker makes it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from kernel import metrics
from kernel import request_ids
from kernel.clock import utcnow
from kernel.config import MessagingConfig
from kernel.extensions import db
from messaging.models import Message
from messaging.models import MessageStatus
from messaging.transports import ErrorCode
from messaging.transports import TransportError

log = logging.getLogger("guichet.messaging")


@dataclass(frozen=True)
class AttemptResult:
    status: MessageStatus
    attempts: int
    # Seconds before the next try, when a temporary failure leaves the message pending.
    retry_after: int | None = None


def attempt(message_id: int) -> AttemptResult | None:
    """Try to send one due message once; None when it is not (or no longer) due, or
    another process has just claimed it."""
    with Session(db.engine, expire_on_commit=False) as session:
        message = session.get(Message, message_id)
        if message is None or message.status != MessageStatus.PENDING:
            return None
        # The attempt's log lines carry the id of the request that composed it.
        with request_ids.bound(message.request_id):
            return _claim_and_send(session, message)


def _claim_and_send(session: Session, message: Message) -> AttemptResult | None:
    """Claim the attempt (committed before the provider is called), then send."""
    transports = current_app.extensions["guichet.transports"]
    config: MessagingConfig = current_app.extensions["guichet.settings"].messaging
    now = utcnow()
    message_id = message.id
    lease_until = now + lease(config)
    claimed = session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.status == MessageStatus.PENDING,
            Message.attempts == message.attempts,
            Message.next_attempt_at <= now,
        )
        .values(attempts=message.attempts + 1, last_attempt_at=now, next_attempt_at=lease_until)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if not claimed:
        return None
    message.attempts += 1
    message.last_attempt_at = now
    try:
        result = transports[message.channel.value].send(message)
    except TransportError as exc:
        failure = exc
    except Exception:  # a fault of ours must not surface after the business commit
        log.exception("message %s: unexpected error while sending", message.id)
        failure = TransportError("internal error", permanent=False, code=ErrorCode.INTERNAL)
    else:
        message.status = MessageStatus.SENT
        message.sent_at = utcnow()
        message.provider_id = result.provider_id
        message.error = message.error_code = message.next_attempt_at = None
        session.commit()
        metrics.message(message.channel.value, "sent")
        return AttemptResult(MessageStatus.SENT, message.attempts)
    message.error = str(failure)
    message.error_code = failure.code.value
    retry_after = None
    if not failure.permanent and message.attempts < config.max_attempts:
        retry_after = retry_interval(config, attempts=message.attempts)
        message.next_attempt_at = now + dt.timedelta(seconds=retry_after)
    else:
        message.status = MessageStatus.FAILED
        message.next_attempt_at = None
    session.commit()
    metrics.message(message.channel.value, "retried" if retry_after is not None else "failed")
    log.warning(
        "message %s (%s) not sent, attempt %s, %s: %s",
        message.id,
        message.channel.value,
        message.attempts,
        "will retry" if retry_after is not None else "failed",
        failure,
    )
    return AttemptResult(message.status, message.attempts, retry_after)


def lease(config: MessagingConfig) -> dt.timedelta:
    """How long a claimed attempt keeps others away: well past the providers' timeouts,
    after which an attempt that never reported (a process killed) is made again."""
    slowest = max(config.smtp_timeout_seconds, config.twilio_timeout_seconds)
    return dt.timedelta(seconds=max(60, 3 * slowest))


def retry_interval(config: MessagingConfig, *, attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt (the last delay repeats)."""
    intervals = config.retry_intervals_seconds or (0,)
    return intervals[min(attempts - 1, len(intervals) - 1)]
