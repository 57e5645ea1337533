"""The signing keys table: one row per key, its public JWK in clear and its private
key encrypted (Fernet, `kernel.secretbox.SecretBox`)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON
from sqlalchemy import DateTime
from sqlalchemy import Enum
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from kernel.extensions import db


class KeyStatus(enum.StrEnum):
    NEXT = "next"  # published, not yet signing: relying parties cache it before it is used
    CURRENT = "current"  # signs every new token
    RETIRED = "retired"  # no longer signs; published for a while so old tokens verify
    WITHDRAWN = "withdrawn"  # removed from the JWKS at once (a compromised key)


class SigningKey(db.Model):
    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(10))
    status: Mapped[KeyStatus] = mapped_column(
        Enum(KeyStatus, native_enum=False, length=10), index=True
    )
    public_jwk: Mapped[dict] = mapped_column(JSON)
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"<SigningKey {self.kid} {self.alg} {self.status}>"
