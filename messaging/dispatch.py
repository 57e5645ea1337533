"""Sending after commit: messages composed in a transaction go out once it commits,
and never when it rolls back; each attempt updates the message's status in a
separate short transaction, so a provider failure cannot undo the business change.

After the commit, immediate messages (an SMS on its own) are tried at once in
the request; the others go to the job queue (`messaging.queue`) when Redis is
configured, or are tried in the request too. A temporary failure is retried by
the queue with growing delays up to MESSAGE_MAX_ATTEMPTS; without a queue
nothing could try again, so it fails at once and the journey says so.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import event
from sqlalchemy import inspect
from sqlalchemy import update
from sqlalchemy.orm import Session

from idp.clock import utcnow
from idp.config import MessagingConfig
from idp.extensions import db
from messaging.compose import PENDING_KEY
from messaging.models import Message
from messaging.models import MessageStatus
from messaging.transports import ErrorCode
from messaging.transports import TransportError

log = logging.getLogger("guichet.messaging")

COMMITTED_KEY = "guichet.to_send"


def setup_dispatch(app, transports) -> None:
    from messaging.queue import setup_queue

    app.extensions["guichet.transports"] = transports
    setup_queue(app)
    _install_session_listeners()


_installed = False


def _install_session_listeners() -> None:
    """Listeners live on the one session factory shared by every app instance."""
    global _installed
    if _installed:
        return
    _installed = True

    @event.listens_for(db.session, "after_commit")
    def _collect(session):
        pending = session.info.pop(PENDING_KEY, [])
        # A message added in a savepoint that rolled back is no longer persistent.
        committed = [(m.id, immediate) for m, immediate in pending if inspect(m).persistent]
        if committed:
            session.info.setdefault(COMMITTED_KEY, []).extend(committed)

    @event.listens_for(db.session, "after_rollback")
    def _forget(session):
        session.info.pop(PENDING_KEY, None)

    @event.listens_for(db.session, "after_transaction_end")
    def _send(session, transaction):
        if transaction.parent is not None:
            return
        committed = session.info.pop(COMMITTED_KEY, [])
        if committed:
            deliver_committed(committed)


def deliver_committed(items: list[tuple[int, bool]]) -> None:
    """Route the messages of a committed transaction: (message id, immediate)."""
    from messaging import queue

    job_queue = queue.current_queue()
    if job_queue is None:
        send_now([message_id for message_id, _ in items])
        return
    send_now([message_id for message_id, immediate in items if immediate])
    queue.enqueue([message_id for message_id, immediate in items if not immediate])


def send_now(message_ids: list[int]) -> None:
    """One attempt per message, in this process; a retry goes to the queue if any."""
    from messaging import queue

    job_queue = queue.current_queue()
    for message_id in message_ids:
        result = attempt(message_id, can_retry=job_queue is not None)
        if result is not None and result.retry_after is not None:
            queue.schedule_retry(message_id, attempts=result.attempts)


@dataclass(frozen=True)
class AttemptResult:
    status: MessageStatus
    attempts: int
    # Seconds before the next try, when a temporary failure leaves the message pending.
    retry_after: int | None = None


def attempt(message_id: int, *, can_retry: bool) -> AttemptResult | None:
    """Try to send one pending message once; None when it is not (or no longer) pending.

    The attempt is claimed by a conditional UPDATE and committed before the
    provider is called, so two workers never send the same attempt and no
    database transaction stays open during the network call.
    """
    transports = current_app.extensions["guichet.transports"]
    config: MessagingConfig = current_app.extensions["guichet.settings"].messaging
    now = utcnow()
    with Session(db.engine, expire_on_commit=False) as session:
        message = session.get(Message, message_id)
        if message is None or message.status != MessageStatus.PENDING:
            return None
        claimed = session.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.status == MessageStatus.PENDING,
                Message.attempts == message.attempts,
            )
            .values(attempts=message.attempts + 1, last_attempt_at=now)
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
            return AttemptResult(MessageStatus.SENT, message.attempts)
        message.error = str(failure)
        message.error_code = failure.code.value
        retry_after = None
        if not failure.permanent and can_retry and message.attempts < config.max_attempts:
            retry_after = retry_interval(config, attempts=message.attempts)
            message.next_attempt_at = now + dt.timedelta(seconds=retry_after)
        else:
            message.status = MessageStatus.FAILED
            message.next_attempt_at = None
        session.commit()
        log.warning(
            "message %s (%s) not sent, attempt %s, %s: %s",
            message.id,
            message.channel.value,
            message.attempts,
            "will retry" if retry_after is not None else "failed",
            failure,
        )
        return AttemptResult(message.status, message.attempts, retry_after)


def retry_interval(config: MessagingConfig, *, attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt (the last delay repeats)."""
    intervals = config.retry_intervals_seconds or (0,)
    return intervals[min(attempts - 1, len(intervals) - 1)]
