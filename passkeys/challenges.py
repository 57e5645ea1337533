"""The challenges of WebAuthn ceremonies (WebAuthn §13.4.3): random, kept on the
server, given to one browser, good for one ceremony within a few minutes.

The browser's signed session holds only the challenge's id; the value itself is
in the database, so a challenge works across workers and is consumed by one
atomic DELETE: of two posts of the same response, only one finds it. A refused
ceremony consumes its challenge too (the view commits the refusal), so a response
can never be tried twice.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from accounts.models import Account
from kernel.errors import DomainError
from kernel.extensions import db
from passkeys.models import PasskeyChallenge

LIFETIME = dt.timedelta(minutes=5)
REGISTER = "register"
SIGN_IN = "sign_in"


class ChallengeExpired(DomainError):
    code = "passkey_challenge_expired"
    message = _l(
        "La demande a expiré ou a déjà servi (elle est valable 5 minutes). Veuillez réessayer."
    )


@dataclass(frozen=True)
class Consumed:
    challenge: bytes
    user_handle: bytes | None


def issue(
    purpose: str, *, now: dt.datetime, account: Account | None = None, user_handle=None
) -> PasskeyChallenge:
    """A new challenge (caller commits); the expired ones of every browser go at the
    same time, so the table holds only live ceremonies."""
    db.session.execute(
        db.delete(PasskeyChallenge).where(PasskeyChallenge.expires_at <= now),
        execution_options={"synchronize_session": False},
    )
    row = PasskeyChallenge(
        id=secrets.token_urlsafe(32),
        purpose=purpose,
        challenge=secrets.token_bytes(32),
        account_id=account.id if account is not None else None,
        user_handle=user_handle,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    db.session.add(row)
    return row


def consume(
    challenge_id: str | None, purpose: str, *, now: dt.datetime, account: Account | None = None
) -> Consumed:
    """The challenge of this browser's ceremony, removed in the same statement that
    reads it (single use); `ChallengeExpired` when there is none left to use."""
    if not challenge_id:
        raise ChallengeExpired()
    criteria = [
        PasskeyChallenge.id == challenge_id,
        PasskeyChallenge.purpose == purpose,
        PasskeyChallenge.expires_at > now,
    ]
    if account is not None:
        criteria.append(PasskeyChallenge.account_id == account.id)
    row = db.session.execute(
        db.delete(PasskeyChallenge)
        .where(*criteria)
        .returning(PasskeyChallenge.challenge, PasskeyChallenge.user_handle),
        execution_options={"synchronize_session": False},
    ).first()
    if row is None:
        raise ChallengeExpired()
    return Consumed(challenge=row.challenge, user_handle=row.user_handle)
