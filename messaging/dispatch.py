"""Sending after commit: messages composed in a transaction go out once it commits,
and never when it rolls back; each send updates the message's status in a
separate short transaction, so a provider failure cannot undo the business change.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from idp.extensions import db
from messaging.compose import PENDING_KEY
from messaging.models import Message
from messaging.models import MessageStatus
from messaging.transports import TransportError

log = logging.getLogger("guichet.messaging")


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
        if pending:
            session.info.setdefault("guichet.to_send", []).extend(m.id for m in pending)

    @event.listens_for(db.session, "after_rollback")
    def _forget(session):
        session.info.pop(PENDING_KEY, None)

    @event.listens_for(db.session, "after_transaction_end")
    def _send(session, transaction):
        if transaction.parent is not None:
            return
        ids = session.info.pop("guichet.to_send", [])
        if ids:
            send_now(ids)


def send_now(message_ids: list[int]) -> None:
    """Send the given pending messages with the configured transports."""
    transports = current_app.extensions["guichet.transports"]
    with Session(db.engine) as session:
        for message_id in message_ids:
            message = session.get(Message, message_id)
            if message is None or message.status != MessageStatus.PENDING:
                continue
            message.attempts += 1
            try:
                result = transports[message.channel.value].send(message)
            except TransportError as exc:
                message.error = str(exc)
                if exc.permanent:
                    message.status = MessageStatus.FAILED
                log.warning("message %s not sent: %s", message.id, exc)
            else:
                message.status = MessageStatus.SENT
                message.sent_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
                message.provider_id = result.provider_id
            session.commit()
