"""What to say: render a message template into a pending Message row.

Composing happens inside the caller's transaction, so a message exists only if
the change that caused it commits; `messaging.dispatch` sends it after commit.
Templates are files under `templates/messages/`: `NAME.subject.txt`,
`NAME.txt` and optionally `NAME.html` (extending `messages/_layout.html`) for
email; `NAME.sms.txt` for SMS.

When it is sent (docs/messaging.md): a message on its own is tried right after
the commit, in the background, and the request waits a little for it
(MESSAGE_WAIT_SECONDS), so the journey can tell the parent at once that a number
cannot receive SMS (`messaging.delivery.outcome`); `immediate=False` starts it
without waiting (a page that must take as long whether or not a message left).
The messages of a batch (bulk sends) are the worker's. Every retry is the
worker's (`guichet worker`).

In which language (docs/languages.md): `locale` is the recipient's stored
language (`Account.locale`); `kernel.languages.message_locale` prefers the page's
when a parent asks from a page. The console's letters pass none: French.
"""

from __future__ import annotations

import datetime as dt
import uuid

from flask import render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound

from kernel import request_ids
from kernel.contact import normalise_mobile
from kernel.extensions import db
from kernel.languages import message_locale
from messaging.models import Channel
from messaging.models import Message
from messaging.models import MessageStatus

PENDING_KEY = "guichet.pending_messages"
WAIT, BACKGROUND, WORKER = "wait", "background", "worker"


def new_batch_id() -> str:
    """An id grouping the messages of one bulk send (`delivery.batch_progress`)."""
    return uuid.uuid4().hex


def compose_email(
    to: str,
    template: str,
    context: dict,
    *,
    now: dt.datetime,
    batch_id: str | None = None,
    immediate: bool | None = None,
    account_id: int | None = None,
    locale: str | None = None,
) -> Message:
    with force_locale(message_locale(locale)):
        subject = render_template(f"messages/{template}.subject.txt", **context).strip()
        body = render_template(f"messages/{template}.txt", **context)
        try:
            html = render_template(f"messages/{template}.html", **context)
        except TemplateNotFound:
            html = None
    return _add(
        Channel.EMAIL,
        to.strip().lower(),
        template,
        subject,
        body,
        html,
        now=now,
        batch_id=batch_id,
        account_id=account_id,
        immediate=immediate,
    )


def compose_sms(
    to_e164: str,
    template: str,
    context: dict,
    *,
    now: dt.datetime,
    batch_id: str | None = None,
    immediate: bool | None = None,
    account_id: int | None = None,
    locale: str | None = None,
) -> Message:
    with force_locale(message_locale(locale)):
        body = render_template(f"messages/{template}.sms.txt", **context).strip()
    recipient = normalise_mobile(to_e164) or to_e164.strip()
    return _add(
        Channel.SMS,
        recipient,
        template,
        "",
        body,
        None,
        now=now,
        batch_id=batch_id,
        account_id=account_id,
        immediate=immediate,
    )


def _add(
    channel, recipient, template, subject, body, html, *, now, batch_id, account_id, immediate
) -> Message:
    """The message, in the session, dispatched once the transaction commits."""
    message = Message(
        channel=channel,
        recipient=recipient,
        template=template,
        subject=subject,
        body=body,
        html=html,
        status=MessageStatus.PENDING,
        created_at=now,
        attempts=0,
        next_attempt_at=now,
        batch_id=batch_id,
        account_id=account_id,
        request_id=request_ids.current(),
    )
    db.session.add(message)
    _remember(message, immediate=immediate)
    return message


def _remember(message: Message, *, immediate: bool | None) -> None:
    """Handed to `messaging.dispatch` when (and only if) the transaction commits, with
    how the request takes part: wait for the first attempt, start it without waiting,
    or leave it to the worker (a batch)."""
    if message.batch_id is not None and immediate is None:
        mode = WORKER
    else:
        mode = BACKGROUND if immediate is False else WAIT
    db.session.info.setdefault(PENDING_KEY, []).append((message, mode))
