"""Links sent by email (activation C07, lost password, email change): single-use,
time-limited, stored only as a hash.

The token in the link is random; the database keeps its SHA-256, the purpose,
the account and the address it was sent to. Using a link consumes it; sending a
new link of the same purpose to the same account makes the older ones unusable
(«Renvoyer un email de validation» renews the deadline, SPEC §4).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from accounts.models import Account
from kernel.errors import DomainError
from kernel.extensions import db

ACTIVATION = "activation"
PASSWORD_RESET = "password_reset"  # noqa: S105 - a link purpose
EMAIL_CHANGE = "email_change"


class LinkInvalid(DomainError):
    code = "link_invalid"
    message = _l(
        "Ce lien n'est plus valable : il a déjà été utilisé, il a été remplacé par un lien "
        "plus récent ou il a expiré."
    )


class LinkExpired(LinkInvalid):
    code = "link_expired"
    message = _l(
        "Ce lien a expiré. Veuillez contacter l'école de votre enfant ou demander un nouvel envoi."
    )


class EmailLink(db.Model):
    __tablename__ = "email_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    account: Mapped[Account] = relationship()


def issue(
    account: Account, purpose: str, email: str, *, now: dt.datetime, validity: dt.timedelta
) -> str:
    """A fresh link token for `account`; earlier unused links of that purpose stop working."""
    for older in db.session.scalars(
        db.select(EmailLink).where(
            EmailLink.account_id == account.id,
            EmailLink.purpose == purpose,
            EmailLink.used_at.is_(None),
        )
    ):
        older.used_at = now
    token = secrets.token_urlsafe(32)
    db.session.add(
        EmailLink(
            token_hash=_hash(token),
            purpose=purpose,
            account_id=account.id,
            email=email,
            created_at=now,
            expires_at=now + validity,
        )
    )
    return token


def peek(token: str, purpose: str, *, now: dt.datetime) -> EmailLink:
    """The live link for `token` without consuming it (to show a confirmation page)."""
    link = db.session.scalar(db.select(EmailLink).where(EmailLink.token_hash == _hash(token)))
    if link is None or link.purpose != purpose or link.used_at is not None:
        raise LinkInvalid()
    if now > link.expires_at:
        raise LinkExpired()
    return link


def consume(token: str, purpose: str, *, now: dt.datetime) -> EmailLink:
    """Use the link once: one conditional UPDATE, so that of two requests presenting it
    together (two tabs, two new passwords) exactly one goes on; the other is refused
    as a link already used."""
    link = peek(token, purpose, now=now)
    used = db.session.execute(
        db.update(EmailLink)
        .where(EmailLink.id == link.id, EmailLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not used:
        raise LinkInvalid()
    db.session.refresh(link)
    return link


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
