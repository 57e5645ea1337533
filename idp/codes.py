"""Authorization codes on the single sign-on path: stored and claimed with SQL
Core statements (RFC 6749 §4.1.2, §10.5; RFC 7636).

Each SSO flow stores one code and claims it once (docs/benchmarks.md): storing is
one INSERT, and claiming is one `UPDATE … WHERE used_at IS NULL RETURNING …`: the
same row lock that makes a code single-use returns what the token endpoint needs
(the account's state and whether the sign-in session ended), in one round trip.
A second presentation finds nothing to claim; the caller then revokes what the
first one produced.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import bindparam
from sqlalchemy import select

from accounts.models import Account
from accounts.sessions import LoginSession
from idp.oauth_models import AuthorizationCode
from idp.oauth_models import digest
from kernel.extensions import db

codes = AuthorizationCode.__table__


@dataclasses.dataclass(frozen=True)
class ClaimedCode:
    """A code just claimed (Authlib's AuthorizationCodeMixin), with the state of its
    account and session at the moment of the claim (tests/idp/test_claimed_code.py
    keeps it equal to the row)."""

    id: int
    client_id: int
    account_id: int
    login_session_id: str | None
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    claims_request: dict | None
    auth_time: dt.datetime
    acr: str
    amr: list
    expires_at: dt.datetime
    account_state: str | None
    session_ended_at: dt.datetime | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.replace(tzinfo=dt.UTC).timestamp())

    def get_acr(self) -> str | None:
        return self.acr or None

    def get_amr(self) -> list | None:
        return list(self.amr or []) or None


# Statements built once, run on the session's connection (same transaction), past
# the ORM layer (docs/benchmarks.md).
_INSERT = codes.insert()

_RETURNED = [
    codes.c[field.name]
    for field in dataclasses.fields(ClaimedCode)
    if field.name not in ("account_state", "session_ended_at")
]
_CLAIM = (
    codes.update()
    .where(
        codes.c.code_digest == bindparam("b_digest"),
        codes.c.client_id == bindparam("b_client"),
        codes.c.used_at.is_(None),
    )
    .values(used_at=bindparam("b_now"))
    .returning(
        *_RETURNED,
        select(Account.state).where(Account.id == codes.c.account_id).scalar_subquery(),
        select(LoginSession.ended_at)
        .where(LoginSession.id == codes.c.login_session_id)
        .scalar_subquery(),
    )
)
_FIND_USED = select(codes.c.id).where(
    codes.c.code_digest == bindparam("b_digest"), codes.c.client_id == bindparam("b_client")
)


def store(code: str, **values) -> None:
    """One INSERT; committed by the authorization view with the rest of its response."""
    db.session.connection().execute(_INSERT, {"code_digest": digest(code), **values})


def claim(code: str, client_pk: int, *, now: dt.datetime) -> ClaimedCode | None:
    """Mark the code used and return it, or None when it is unknown, belongs to another
    client, or was used already. The claim commits with the tokens (the token view
    commits); a concurrent second use waits on the row lock, then finds it used."""
    row = (
        db.session.connection()
        .execute(_CLAIM, {"b_digest": digest(code), "b_client": client_pk, "b_now": now})
        .first()
    )
    return ClaimedCode(*row) if row is not None else None


def used_code_id(code: str, client_pk: int) -> int | None:
    """The id of this client's code when it exists (it was claimed before: a replay)."""
    return (
        db.session.connection()
        .execute(_FIND_USED, {"b_digest": digest(code), "b_client": client_pk})
        .scalar()
    )
