"""Sending after commit: messages composed in a transaction exist only if it commits
(they are rows of it), and each is then sent from its row (kernel.jobs).

Right after the commit, the request starts the first attempt of its own messages
(not those of a bulk send, which are the worker's) in the background and waits at
most MESSAGE_WAIT_SECONDS for them: a number that cannot receive SMS is known at
once, yet a hung provider never holds the parent. What is not done by then, and
every retry, is the worker's; a message is never lost, only delayed.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import event
from sqlalchemy import inspect

from kernel import jobs
from kernel.extensions import db
from messaging.attempts import attempt
from messaging.compose import PENDING_KEY
from messaging.compose import WAIT
from messaging.compose import WORKER

COMMITTED_KEY = "guichet.to_send"


def setup_dispatch(app, transports) -> None:
    app.extensions["guichet.transports"] = transports
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
        committed = [
            (m.id, mode) for m, mode in pending if mode != WORKER and inspect(m).persistent
        ]
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
            first_attempts(committed)


def first_attempts(committed: list[tuple[int, str]]) -> None:
    """Attempt these messages now, in the background, waiting at most
    MESSAGE_WAIT_SECONDS for those composed to be waited for."""
    wait = current_app.extensions["guichet.settings"].messaging.wait_seconds
    waited = [message_id for message_id, mode in committed if mode == WAIT]
    others = [message_id for message_id, mode in committed if mode != WAIT]
    if waited:
        jobs.in_background(jobs.each(waited, attempt), wait=wait)
    if others:
        jobs.in_background(jobs.each(others, attempt))
