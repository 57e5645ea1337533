"""A code sent to a mobile typed on a page (SPEC §6.3, §6.4, §6.7; docs/messaging.md,
"Knowing a message could not be sent"): the one way every journey does it —
self-registration, FranceConnect linking, mobile change.

The code is composed in the page's transaction and leaves on commit; the page then
reads what became of the SMS. One that could not be sent does not use up the code
nor the number's allowance (the challenge is dropped), and the parent reads why
under the field they typed; one still on its way (a slow provider, a retry the
worker will make) lets the parent go on to the code, with a warning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import flash
from wtforms import Field

from accounts.sms_codes import SmsChallenge
from kernel.errors import DomainError
from kernel.extensions import db
from messaging.delivery import DeliveryState
from messaging.delivery import latest_outcome
from messaging.models import Channel

# Not sent yet but coming: a slow provider, or a retry the worker will make.
ON_ITS_WAY = (DeliveryState.SENDING, DeliveryState.RETRYING)


def send_sms_code(
    field: Field, send: Callable[[], SmsChallenge], *, now: dt.datetime
) -> SmsChallenge | None:
    """The challenge once its SMS is on its way, else None with the refusal, or the
    reason the SMS could not leave, written under `field`. A refusal is committed too:
    what it counted (sending limits) must hold."""
    try:
        challenge = send()
    except DomainError as exc:
        db.session.commit()
        field.errors.append(str(exc.message))
        return None
    db.session.commit()
    problem = sms_delivery_problem(challenge, now=now)
    if problem:
        field.errors.append(problem)
        return None
    return challenge


def sms_delivery_problem(challenge: SmsChallenge, *, now: dt.datetime) -> str | None:
    """Why the challenge's SMS, composed at `now` and committed, could not be sent (the
    challenge is then dropped), or None; a delayed SMS is flashed as a warning."""
    delivery = latest_outcome(Channel.SMS, challenge.mobile, since=now)
    if delivery is not None and delivery.failed:
        db.session.delete(challenge)
        db.session.commit()
        return str(delivery.user_message)
    if delivery is not None and delivery.state in ON_ITS_WAY:
        flash(delivery.user_message, "warning")
    return None
