"""What became of a message, in words a parent or a director can act on.

A journey composes a message, commits, then asks `outcome(message)`: an SMS on
its own has been tried by then (see `messaging.compose`), so a number that
cannot receive SMS is known at once and the page can say so instead of "code
sent". Pages that follow a bulk send show `batch_progress(batch_id)`.
How a journey uses it: docs/messaging.md, "Knowing a message could not be sent".
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from kernel.extensions import db
from messaging.models import Channel
from messaging.models import Message
from messaging.models import MessageStatus
from messaging.transports import ErrorCode


class DeliveryState(enum.StrEnum):
    SENT = "sent"  # the provider accepted it
    QUEUED = "queued"  # waiting for its first attempt (the worker's)
    SENDING = "sending"  # an attempt is under way (a slow provider): on its way
    RETRYING = "retrying"  # a temporary failure; the worker will try again
    FAILED = "failed"  # final: no further attempt


# Failures that say the recipient's number or address is the problem: ask for another.
RECIPIENT_ERRORS = frozenset(
    {
        ErrorCode.INVALID_NUMBER,
        ErrorCode.NOT_MOBILE,
        ErrorCode.UNREACHABLE,
        ErrorCode.OPTED_OUT,
        ErrorCode.ADDRESS_REJECTED,
        ErrorCode.REJECTED,
    }
)

_TRY_LATER_SMS = _l(
    "Le SMS n'a pas pu être envoyé : le service d'envoi est momentanément indisponible. "
    "Veuillez réessayer dans quelques minutes."
)
_TRY_LATER_EMAIL = _l(
    "Le courriel n'a pas pu être envoyé : le service d'envoi est momentanément "
    "indisponible. Veuillez réessayer dans quelques minutes."
)
_OUR_FAULT_SMS = _l(
    "Le SMS n'a pas pu être envoyé à la suite d'un problème technique de notre service. "
    "Veuillez réessayer plus tard ; si le problème persiste, contactez l'école de votre enfant."
)
_OUR_FAULT_EMAIL = _l(
    "Le courriel n'a pas pu être envoyé à la suite d'un problème technique de notre service. "
    "Veuillez réessayer plus tard ; si le problème persiste, contactez l'école de votre enfant."
)

FAILURE_MESSAGES = {
    Channel.SMS: {
        ErrorCode.INVALID_NUMBER: _l(
            "Ce numéro de téléphone n'est pas valide. Vérifiez-le ; pour un numéro étranger, "
            "indiquez l'indicatif du pays (par exemple +32)."
        ),
        ErrorCode.NOT_MOBILE: _l(
            "Ce numéro ne peut pas recevoir de SMS. Indiquez un numéro de téléphone mobile."
        ),
        ErrorCode.UNREACHABLE: _l(
            "Ce numéro ne peut pas recevoir de SMS de notre service. Indiquez un autre numéro "
            "de téléphone mobile, ou contactez l'école de votre enfant."
        ),
        ErrorCode.OPTED_OUT: _l(
            "Ce numéro a demandé à ne plus recevoir nos SMS (réponse « STOP »). Indiquez un "
            "autre numéro de téléphone mobile, ou contactez l'école de votre enfant."
        ),
        ErrorCode.REJECTED: _l(
            "Le SMS n'a pas pu être envoyé à ce numéro. Vérifiez-le ou indiquez un autre "
            "numéro de téléphone mobile."
        ),
        ErrorCode.CONFIGURATION: _OUR_FAULT_SMS,
        ErrorCode.INTERNAL: _TRY_LATER_SMS,
        ErrorCode.UNAVAILABLE: _TRY_LATER_SMS,
    },
    Channel.EMAIL: {
        ErrorCode.ADDRESS_REJECTED: _l(
            "Cette adresse électronique a été refusée par le serveur de messagerie. "
            "Vérifiez-la ou indiquez une autre adresse."
        ),
        ErrorCode.REJECTED: _l(
            "Le courriel n'a pas pu être envoyé à cette adresse. Vérifiez-la ou indiquez une "
            "autre adresse."
        ),
        ErrorCode.CONFIGURATION: _OUR_FAULT_EMAIL,
        ErrorCode.INTERNAL: _TRY_LATER_EMAIL,
        ErrorCode.UNAVAILABLE: _TRY_LATER_EMAIL,
    },
}
SENDING_MESSAGES = {
    Channel.SMS: _l(
        "Le SMS est en cours d'envoi : il peut mettre quelques minutes à arriver. S'il ne "
        "vous parvient pas, cliquez sur « Réessayer »."
    ),
    Channel.EMAIL: _l(
        "Le courriel est en cours d'envoi : il peut mettre quelques minutes à arriver."
    ),
}
RETRYING_MESSAGES = {
    Channel.SMS: _l(
        "L'envoi du SMS a pris du retard à cause d'un incident chez notre prestataire ; il "
        "sera retenté dans quelques minutes. S'il ne vous parvient pas, cliquez sur « Réessayer »."
    ),
    Channel.EMAIL: _l(
        "L'envoi du courriel a pris du retard à cause d'un incident chez notre prestataire ; "
        "il sera retenté dans quelques minutes."
    ),
}


@dataclass(frozen=True)
class Delivery:
    state: DeliveryState
    channel: Channel
    error_code: str | None = None
    # French, for the person who typed the number or address; None when all is well.
    user_message: str | None = None

    @property
    def failed(self) -> bool:
        return self.state == DeliveryState.FAILED

    @property
    def sent(self) -> bool:
        """The provider took it: a page may say «envoyé» (and only then)."""
        return self.state == DeliveryState.SENT

    @property
    def recipient_problem(self) -> bool:
        """The number or address itself cannot be reached: ask for another one."""
        return self.failed and self.error_code in RECIPIENT_ERRORS


def outcome(message: Message) -> Delivery:
    """The message's fate as recorded now (read again from the database)."""
    db.session.refresh(message)
    channel = message.channel
    if message.status == MessageStatus.SENT:
        return Delivery(DeliveryState.SENT, channel)
    if message.status == MessageStatus.FAILED:
        code = _code(message.error_code)
        return Delivery(
            DeliveryState.FAILED, channel, code, str(FAILURE_MESSAGES[channel].get(code, ""))
        )
    if message.attempts == 0:
        return Delivery(DeliveryState.QUEUED, channel)
    if message.error_code is None:
        return Delivery(DeliveryState.SENDING, channel, None, str(SENDING_MESSAGES[channel]))
    return Delivery(
        DeliveryState.RETRYING,
        channel,
        message.error_code,
        str(RETRYING_MESSAGES[channel]),
    )


def latest_outcome(
    channel: Channel,
    recipient: str,
    *,
    since: dt.datetime | None = None,
    template: str | None = None,
) -> Delivery | None:
    """The outcome of the latest message to `recipient` (composed at or after `since`,
    of `template`), for a journey that did not keep the Message (after
    `accounts.sms_codes.send_code`, or on a page shown again later)."""
    query = db.select(Message).where(Message.channel == channel, Message.recipient == recipient)
    if since is not None:
        query = query.where(Message.created_at >= since)
    if template is not None:
        query = query.where(Message.template == template)
    message = db.session.scalar(query.order_by(Message.id.desc()).limit(1))
    return outcome(message) if message is not None else None


def record_provider_failure(provider_id: str, code: ErrorCode, detail: str) -> Message | None:
    """A failure the provider reported after accepting the message (Twilio's status
    callback): the message becomes failed, and the next `outcome` says why."""
    if not provider_id:
        return None
    message = db.session.scalar(db.select(Message).where(Message.provider_id == provider_id))
    if message is None:
        return None
    message.status = MessageStatus.FAILED
    message.error_code = code.value
    message.error = detail
    message.next_attempt_at = None
    return message


def _code(raw: str | None) -> ErrorCode:
    try:
        return ErrorCode(raw)
    except ValueError:
        return ErrorCode.REJECTED


@dataclass(frozen=True)
class BatchProgress:
    total: int
    sent: int
    failed: int
    pending: int

    @property
    def done(self) -> bool:
        return self.pending == 0

    @property
    def percent_done(self) -> int:
        return 100 if self.total == 0 else (self.sent + self.failed) * 100 // self.total


def batch_progress(batch_id: str) -> BatchProgress:
    """Counts of a bulk send, for a page that reloads until `done`."""
    counts = dict(
        db.session.execute(
            db.select(Message.status, func.count())
            .where(Message.batch_id == batch_id)
            .group_by(Message.status)
        ).all()
    )
    sent = counts.get(MessageStatus.SENT, 0)
    failed = counts.get(MessageStatus.FAILED, 0)
    pending = counts.get(MessageStatus.PENDING, 0)
    return BatchProgress(sent + failed + pending, sent, failed, pending)


def batch_failures(batch_id: str) -> list[Message]:
    """The messages of a batch that could not be sent, for the list a director reads."""
    return list(
        db.session.scalars(
            db.select(Message)
            .where(Message.batch_id == batch_id, Message.status == MessageStatus.FAILED)
            .order_by(Message.id)
        )
    )
