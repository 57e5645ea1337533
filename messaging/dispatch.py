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

from sqlalchemy import event
from sqlalchemy import inspect

from kernel import jobs
from kernel.extensions import db
from messaging import queue
from messaging.attempts import attempt
from messaging.compose import PENDING_KEY

COMMITTED_KEY = "guichet.to_send"


def setup_dispatch(app, transports) -> None:
    app.extensions["guichet.transports"] = transports
    queue.setup_queue(app)
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
    if jobs.queue() is None:
        send_now([message_id for message_id, _ in items])
        return
    send_now([message_id for message_id, immediate in items if immediate])
    queue.enqueue([message_id for message_id, immediate in items if not immediate])


def send_now(message_ids: list[int]) -> None:
    """One attempt per message, in this process; a retry goes to the queue if any."""
    can_retry = jobs.queue() is not None
    for message_id in message_ids:
        result = attempt(message_id, can_retry=can_retry)
        if result is not None and result.retry_after is not None:
            queue.schedule_retry(message_id, attempts=result.attempts)
