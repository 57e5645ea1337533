"""Passkeys (WebAuthn credentials) of parents, and the challenges of their ceremonies
(issue 17: passkeys as a second way in).

A passkey is a public key an authenticator (a phone, a computer, a security key)
created for this service: we keep the key, never a secret, so a leak of this table
opens no account. The authenticator keeps the private key and the account it
belongs to (a discoverable credential): at sign-in it picks the account, nobody
types an identifier. A challenge is a random value the browser's ceremony must
sign once, within a few minutes, for the browser it was given to.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from accounts.models import Account
from kernel.extensions import db

NAME_MAX_LENGTH = 60


class Passkey(db.Model):
    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The authenticator's credential id (WebAuthn §6.1, at most 1023 bytes): how an
    # assertion names its key.
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    # The COSE public key (WebAuthn §6.5.1.1), as the library verifies with it.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    # WebAuthn §6.1.1: a count that must grow at each use; one going back hints at a
    # cloned authenticator. 0 for authenticators that keep none (most passkeys).
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    # The random user handle given to the authenticator (never the identifier nor
    # the database id): the same for every passkey of an account.
    user_handle: Mapped[bytes] = mapped_column(LargeBinary(64), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    # What the browser said the authenticator can be reached through (usb, internal…).
    transports: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    account: Mapped[Account] = relationship()


class PasskeyChallenge(db.Model):
    __tablename__ = "passkey_challenges"

    # A random id kept in the browser's signed session: the challenge of that browser.
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    # "register" (signed-in parent adding a passkey) or "sign_in".
    purpose: Mapped[str] = mapped_column(String(10))
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    # The account adding a passkey; None for a sign-in (the authenticator picks it).
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The user handle offered to the authenticator with a registration challenge
    # (a new account's passkey gets it once the ceremony succeeds).
    user_handle: Mapped[bytes | None] = mapped_column(LargeBinary(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
