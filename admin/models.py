"""The console's own tables: director sessions, letter batches and statistics.

Nothing here duplicates the accounts: a session says which director is signed in
and which school they picked; a send remembers which letter each account got
(the PDF is rendered again at download time, so temporary passwords are never
stored in clear); statistics keep the figures of the last computation.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from accounts import session_timeouts
from accounts.models import Director
from kernel.extensions import db
from registry.models import School

# The console's timeouts (docs/admin.md): the absolute one is shorter than the parents'.
IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=10)


class DirectorSession(db.Model):
    """A signed-in director: the browser's cookie carries only this row's id."""

    __tablename__ = "director_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    director_id: Mapped[int] = mapped_column(ForeignKey("directors.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The criteria of the last search, re-run when coming back from an account page.
    last_search: Mapped[dict | None] = mapped_column(JSON)

    director: Mapped[Director] = relationship()
    school: Mapped[School | None] = relationship()

    def is_live(self, now: dt.datetime) -> bool:
        return session_timeouts.is_live(
            self.ended_at,
            self.last_seen_at,
            self.created_at,
            now,
            idle=IDLE_TIMEOUT,
            absolute=ABSOLUTE_TIMEOUT,
        )


class LetterBatch(db.Model):
    """One (re)notification: which letter each account received, by which channel."""

    __tablename__ = "letter_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    director_id: Mapped[int | None] = mapped_column(ForeignKey("directors.id", ondelete="SET NULL"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    channel: Mapped[str] = mapped_column(String(10))  # "letter" or "email"
    # [{"account_id": 1, "letter": "C01"}, …] in the order of the PDF pages
    items: Mapped[list] = mapped_column(JSON, default=list)
    # The messaging batch of an email send (progress page), None for letters.
    message_batch_id: Mapped[str | None] = mapped_column(String(32))


class SchoolStatistics(db.Model):
    """The figures of 004 §6 for one school, as last computed."""

    __tablename__ = "school_statistics"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class DirectorTotp(db.Model):
    """A director's second factor (RFC 6238 TOTP), set up by an operator."""

    __tablename__ = "director_totp"

    director_id: Mapped[int] = mapped_column(
        ForeignKey("directors.id", ondelete="CASCADE"), primary_key=True
    )
    # The base32 secret, encrypted with the temporary-password box (kernel.secretbox).
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # The last time step accepted: a code is good once (RFC 6238 §5.2).
    last_step: Mapped[int | None] = mapped_column(BigInteger)
