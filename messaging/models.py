"""Every message sent (SMS or email) is recorded with its status (issue: messaging).

The outbox and console backends make this table the developer's mailbox;
production backends record the provider's id or error here too. A message is
`pending` until an attempt succeeds (`sent`), no attempt is left (`failed`) or a
newer message made it pointless (`replaced`: a new SMS code);
`error_code` is the stable reason `messaging.delivery` turns into French.
"""

from __future__ import annotations

import datetime as dt
import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime
from sqlalchemy import Enum
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from kernel.extensions import db


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    # Made pointless before it left: a newer SMS code replaced the one it carried.
    REPLACED = "replaced"


# What a parent or a developer reads for each (the outbox pages, «Mes données»).
CHANNEL_NAMES = {Channel.EMAIL: _l("Courriel"), Channel.SMS: _l("SMS")}
STATUS_NAMES = {
    MessageStatus.PENDING: _l("En attente"),
    MessageStatus.SENT: _l("Envoyé"),
    MessageStatus.FAILED: _l("Échec"),
    MessageStatus.REPLACED: _l("Remplacé, non envoyé"),
}


class Message(db.Model):
    __tablename__ = "messages"
    # The worker's question, on every pass: which pending messages are due?
    __table_args__ = (Index("ix_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=8))
    # E.164 for SMS, lowercased address for email.
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    template: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[MessageStatus] = mapped_column(
        Enum(MessageStatus, native_enum=False, length=8), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)
    # The provider's or server's own words, for operators (never shown to parents).
    error: Mapped[str | None] = mapped_column(Text)
    # Stable reason of the last failure (`messaging.transports.ErrorCode`).
    error_code: Mapped[str | None] = mapped_column(String(30))
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # When the worker may make the next attempt: at once for a new message, later after a
    # temporary failure, past the lease of an attempt under way (messaging.attempts).
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Messages composed together (a director's bulk notification), for progress pages.
    batch_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # The request that composed it (kernel.request_ids): its attempts log under that id.
    request_id: Mapped[str | None] = mapped_column(String(64))
    # The account a message is about, when the sender knows it: «Mes données» lists a
    # parent's messages by it, never by an address a family may share (issue 17).
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)

    @property
    def channel_name(self) -> str:
        return str(CHANNEL_NAMES[self.channel])

    @property
    def status_name(self) -> str:
        return str(STATUS_NAMES[self.status])
