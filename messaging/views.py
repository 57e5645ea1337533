"""The development outbox, and Twilio's delivery reports.

The outbox pages show the messages the console and outbox backends kept. They
are served only when nothing leaves the machine (SMS_BACKEND=console and
MAIL_BACKEND=outbox); with a real backend every URL there is a 404, so a
production service never shows a code or a link to whoever asks.
"""

from __future__ import annotations

import functools
import re

from flask import abort
from flask import make_response
from flask import render_template
from flask import request
from flask_babel import gettext as _
from markupsafe import Markup
from markupsafe import escape
from twilio.request_validator import RequestValidator
from twilio.request_validator import get_signature_algorithm

from kernel.clock import paris
from kernel.extensions import csrf
from kernel.extensions import db
from kernel.runtime import settings
from messaging import bp
from messaging import outbox
from messaging.delivery import record_provider_failure
from messaging.forms import OutboxFilterForm
from messaging.models import Message
from messaging.twilio_sms import delivery_failure

PAGE_SIZE = 100
_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)»"


def dev_only(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not settings().messaging.uses_dev_backends:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/dev/outbox")
@dev_only
def outbox_page():
    form = OutboxFilterForm(formdata=request.args)
    messages: list[Message] = []
    if form.validate():
        try:
            messages = outbox.latest(to=form.to.data or None, limit=PAGE_SIZE)
        except outbox.UnknownRecipient:
            form.to.errors = [
                _("Indiquez une adresse électronique ou un numéro de téléphone valide.")
            ]
    return render_template("messaging/outbox.html", form=form, messages=messages)


@bp.get("/dev/outbox/<int:message_id>")
@dev_only
def message_page(message_id: int):
    message = db.get_or_404(Message, message_id)
    return render_template("messaging/message.html", message=message)


@bp.get("/dev/outbox/<int:message_id>/html")
@dev_only
def message_html(message_id: int):
    """The email's HTML as a mail client would show it, sandboxed (no script, no request)."""
    message = db.get_or_404(Message, message_id)
    if not message.html:
        abort(404)
    response = make_response(message.html)
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = (
        "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    return response


@bp.post("/messaging/twilio/status")
@csrf.exempt
def twilio_status():
    """Twilio's status callback (TWILIO_STATUS_CALLBACK=on): a late delivery failure
    (landline, unknown handset…) marks the message failed. Signed with the auth token."""
    config = settings().messaging
    if config.sms_backend != "twilio" or not config.twilio_status_callback_url:
        abort(404)
    validator = RequestValidator(config.twilio_auth_token)
    algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
    signature = request.headers.get("X-Twilio-Signature", "")
    if not validator.validate(
        config.twilio_status_callback_url, request.form, signature, algorithm
    ):
        abort(403)
    status = request.form.get("MessageStatus", "")
    error = request.form.get("ErrorCode")
    code = delivery_failure(status, error)
    if code is not None:
        record_provider_failure(
            request.form.get("MessageSid", ""), code, f"Twilio reported {status} ({error})"
        )
        db.session.commit()
    return "", 204


@bp.app_template_filter("linkify")
def linkify(text: str) -> Markup:
    """Plain text with its line breaks kept and its web addresses clickable."""
    pieces: list[Markup] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        pieces.append(escape(text[position : match.start()]))
        pieces.append(Markup('<a href="{0}">{0}</a>').format(url))
        position = match.start() + len(url)
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces).replace("\n", Markup("<br>\n"))


@bp.app_template_filter("outbox_time")
def outbox_time(moment) -> str:
    return paris(moment).strftime("%d/%m/%Y %H:%M:%S")
