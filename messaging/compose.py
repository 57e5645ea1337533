"""What to say: render a message template into a pending Message row.

Composing happens inside the caller's transaction, so a message exists only if
the change that caused it commits; `messaging.dispatch` sends it after commit.
Templates are files under `templates/messages/`: `NAME.subject.txt`,
`NAME.txt` and optionally `NAME.html` for email; `NAME.sms.txt` for SMS.
"""

from __future__ import annotations

import datetime as dt

from flask import render_template
from jinja2 import TemplateNotFound

from idp.extensions import db
from messaging.models import Channel
from messaging.models import Message
from messaging.models import MessageStatus

PENDING_KEY = "guichet.pending_messages"


def compose_email(to: str, template: str, context: dict, *, now: dt.datetime) -> Message:
    subject = render_template(f"messages/{template}.subject.txt", **context).strip()
    body = render_template(f"messages/{template}.txt", **context)
    try:
        html = render_template(f"messages/{template}.html", **context)
    except TemplateNotFound:
        html = None
    return _add(Channel.EMAIL, to.lower(), template, subject, body, html, now)


def compose_sms(to_e164: str, template: str, context: dict, *, now: dt.datetime) -> Message:
    body = render_template(f"messages/{template}.sms.txt", **context).strip()
    return _add(Channel.SMS, to_e164, template, "", body, None, now)


def _add(channel, recipient, template, subject, body, html, now) -> Message:
    message = Message(
        channel=channel,
        recipient=recipient,
        template=template,
        subject=subject,
        body=body,
        html=html,
        status=MessageStatus.PENDING,
        created_at=now,
    )
    db.session.add(message)
    db.session.info.setdefault(PENDING_KEY, []).append(message)
    return message
