"""Access and refresh tokens: generation, storage as digests, lookup, rotation and
revocation (RFC 6749 §5–6, RFC 7009, RFC 9700 §4.14).

Called by the Authlib wiring in idp.provider and by the sign-out and operator
paths; every function that changes rows commits, since Authlib's endpoints do not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Iterable

from flask import current_app

from accounts.account_claims import CLAIMS_COLUMNS
from accounts.account_claims import AccountClaims
from accounts.models import Account
from idp.claims import Subject
from idp.oauth_models import AuthorizationCode
from idp.oauth_models import LogoutDelivery
from idp.oauth_models import Token
from idp.oauth_models import UsedAssertion
from idp.oauth_models import digest
from kernel import metrics
from kernel.clock import utcnow
from kernel.extensions import db

tokens_table = Token.__table__


@dataclasses.dataclass(frozen=True)
class TokenRecord:
    """A token row read with one Core SELECT (no ORM object: userinfo reads one per
    flow); its service comes from the per-process client cache, its account is read
    only when a claim needs it. tests/idp/test_token_record.py keeps it equal to `Token`."""

    id: int
    client_id: int
    account_id: int
    login_session_id: str | None
    family_id: str
    scope: str
    claims_request: dict | None
    issued_at: dt.datetime
    expires_at: dt.datetime
    refresh_digest: str | None
    refresh_expires_at: dt.datetime | None
    refresh_used_at: dt.datetime | None
    access_revoked_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def client(self):
        return current_app.extensions["guichet.clients"].by_pk(self.client_id)


# Statements built once and run on the session's connection, past the ORM layer
# (userinfo and the token endpoint run them on every single sign-on flow).
_TOKEN_COLUMNS = [tokens_table.c[f.name] for f in dataclasses.fields(TokenRecord)]
_FIND = {
    kind: db.select(*_TOKEN_COLUMNS).where(column == db.bindparam("b_digest"))
    for kind, column in (
        ("access_token", tokens_table.c.access_digest),
        ("refresh_token", tokens_table.c.refresh_digest),
    )
}
_INSERT = tokens_table.insert()
_FIND_BEARER = (
    db.select(*_TOKEN_COLUMNS, *CLAIMS_COLUMNS)
    .join(Account.__table__, Account.__table__.c.id == tokens_table.c.account_id)
    .where(tokens_table.c.access_digest == db.bindparam("b_digest"))
)


class PresentedToken:
    """A token row as presented, either as its access or its refresh token
    (Authlib's TokenMixin)."""

    def __init__(self, row: TokenRecord, kind: str, account: AccountClaims | None = None):
        self.row = row
        self.kind = kind
        self.account = account

    @property
    def scope(self) -> str:
        return self.row.scope

    def check_client(self, client) -> bool:
        return client is not None and self.row.client_id == client.id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        end = self.row.refresh_expires_at if self.kind == "refresh_token" else self.row.expires_at
        return end is None or utcnow() >= end

    def is_revoked(self) -> bool:
        if self.row.revoked_at is not None:
            return True
        if self.kind == "refresh_token":
            return self.row.refresh_used_at is not None
        return self.row.access_revoked_at is not None

    def get_user(self) -> Subject:
        return Subject(
            account_id=self.row.account_id,
            client=self.row.client,
            login_session_id=self.row.login_session_id,
            claims_request=self.row.claims_request,
            account=self.account,
        )

    def get_client(self):
        return self.row.client


def _config():
    return current_app.extensions["guichet.settings"].oidc


def generate_token(
    grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True
) -> dict:
    """Opaque bearer tokens; a refresh token only with `offline_access` (OIDC Core §11)."""
    config = _config()
    token = {
        "token_type": "Bearer",
        "access_token": secrets.token_urlsafe(32),
        "expires_in": expires_in or config.access_token_lifetime_seconds,
        "scope": scope or "",
    }
    if include_refresh_token and "offline_access" in (scope or "").split():
        token["refresh_token"] = secrets.token_urlsafe(48)
    return token


def save_token(token: dict, request) -> None:
    now = utcnow()
    subject: Subject = request.user
    previous = getattr(request, "refresh_token", None)
    code = getattr(request, "authorization_code", None)
    refresh = token.get("refresh_token")
    values = dict(
        access_digest=digest(token["access_token"]),
        refresh_digest=digest(refresh) if refresh else None,
        client_id=request.client.id,
        account_id=subject.account_id,
        login_session_id=subject.login_session_id,
        code_id=code.id if code is not None else None,
        family_id=previous.row.family_id if previous is not None else secrets.token_hex(16),
        scope=token["scope"],
        claims_request=subject.claims_request,
        issued_at=now,
        expires_at=now + dt.timedelta(seconds=token["expires_in"]),
        refresh_expires_at=(
            now + dt.timedelta(days=_config().refresh_token_lifetime_days) if refresh else None
        ),
    )
    db.session.connection().execute(_INSERT, values)
    metrics.token_issued("refresh_token" if previous is not None else "authorization_code")
    # Committed by the token view once the response (ID token included) is built.


def find(token_string: str, kind: str) -> PresentedToken | None:
    if not token_string:
        return None
    row = db.session.connection().execute(_FIND[kind], {"b_digest": digest(token_string)}).first()
    return PresentedToken(TokenRecord(*row), kind) if row is not None else None


def find_bearer(token_string: str) -> PresentedToken | None:
    """An access token presented to userinfo, with its account's claim columns read
    in the same SELECT (userinfo answers on every single sign-on flow)."""
    row = db.session.connection().execute(_FIND_BEARER, {"b_digest": digest(token_string)}).first()
    if row is None:
        return None
    split = len(_TOKEN_COLUMNS)
    return PresentedToken(TokenRecord(*row[:split]), "access_token", AccountClaims(*row[split:]))


def find_any(token_string: str, hint: str | None) -> PresentedToken | None:
    """RFC 7009 §2.1 / RFC 7662 §2.1: the hint is only a hint; look in both."""
    order = (
        ["refresh_token", "access_token"]
        if hint == "refresh_token"
        else ["access_token", "refresh_token"]
    )
    for kind in order:
        found = find(token_string, kind)
        if found is not None:
            return found
    return None


def use_refresh_token(refresh_token: str, client, *, now: dt.datetime):
    """The refresh token as a credential, claimed once (RFC 9700 §4.14.2): a token
    already rotated that comes back means it leaked, and its whole family dies."""
    found = find(refresh_token, "refresh_token")
    if found is None or not found.check_client(client):
        return None
    row = found.row
    if row.revoked_at is not None:
        return None
    if row.refresh_used_at is not None:
        revoke_family(row.family_id, now=now)
        return None
    if row.refresh_expires_at is None or now >= row.refresh_expires_at:
        return None
    claimed = db.session.execute(
        db.update(Token)
        .where(Token.id == row.id, Token.refresh_used_at.is_(None))
        .values(refresh_used_at=now)
    ).rowcount
    if not claimed:
        revoke_family(row.family_id, now=now)
        return None
    return found  # the claim commits with the new token (token view)


def revoke(token: PresentedToken, *, now: dt.datetime) -> None:
    """RFC 7009 §2.1: revoking a refresh token ends the grant (its family and access
    tokens); revoking an access token ends that access token."""
    if token.kind == "refresh_token":
        revoke_family(token.row.family_id, now=now)
        return
    db.session.execute(
        db.update(Token)
        .where(Token.id == token.row.id, Token.access_revoked_at.is_(None))
        .values(access_revoked_at=now)
    )
    db.session.commit()


def revoke_family(family_id: str, *, now: dt.datetime) -> None:
    db.session.execute(
        db.update(Token)
        .where(Token.family_id == family_id, Token.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.commit()


def revoke_issued_by_code(code_id: int, *, now: dt.datetime) -> None:
    """RFC 6749 §4.1.2: a replayed code revokes the tokens it issued (and their rotations)."""
    families = db.session.scalars(db.select(Token.family_id).where(Token.code_id == code_id)).all()
    for family in set(families):
        revoke_family(family, now=now)


def revoke_for_sessions(session_ids: Iterable[str], *, now: dt.datetime, keep_offline: bool) -> int:
    """Tokens obtained through these sign-in sessions; `keep_offline` spares refresh
    tokens the parent granted `offline_access` (a plain sign-out), not a revocation."""
    ids = list(session_ids)
    if not ids:
        return 0
    query = db.select(Token).where(Token.login_session_id.in_(ids), Token.revoked_at.is_(None))
    count = 0
    for row in db.session.scalars(query):
        if keep_offline and row.refresh_digest and "offline_access" in row.scope.split():
            row.access_revoked_at = row.access_revoked_at or now
        else:
            row.revoked_at = now
        count += 1
    return count


def revoke_for_accounts(account_ids: Iterable[int], *, now: dt.datetime) -> int:
    ids = list(account_ids)
    if not ids:
        return 0
    return db.session.execute(
        db.update(Token)
        .where(Token.account_id.in_(ids), Token.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount


def retire_rotated(token: PresentedToken, *, now: dt.datetime) -> None:
    """The rotated refresh token was claimed in use_refresh_token; its access token
    stays valid until it expires, like any access token."""


def remember_assertion(key: str, *, expires, now: dt.datetime) -> bool:
    """False when this client assertion `jti` was seen before (replay)."""
    db.session.execute(db.delete(UsedAssertion).where(UsedAssertion.expires_at < now))
    jti = digest(key)
    if db.session.get(UsedAssertion, jti) is not None:
        return False
    until = (
        dt.datetime.fromtimestamp(int(expires), dt.UTC).replace(tzinfo=None)
        if isinstance(expires, int | float)
        else now + dt.timedelta(hours=1)
    )
    db.session.add(
        UsedAssertion(jti_digest=jti, expires_at=max(until, now + dt.timedelta(minutes=5)))
    )
    db.session.commit()
    return True


def purge_expired(*, now: dt.datetime, keep_days: int = 1) -> dict[str, int]:
    """Housekeeping: codes, tokens and client-assertion ids past their lifetime for
    more than `keep_days` (a replayed code older than that is refused anyway: it
    no longer exists)."""

    before = now - dt.timedelta(days=keep_days)
    token_gone = db.or_(
        db.and_(Token.refresh_expires_at.is_(None), Token.expires_at < before),
        Token.refresh_expires_at < before,
        Token.revoked_at < before,
    )
    counts = {
        "codes": db.session.execute(
            db.delete(AuthorizationCode).where(AuthorizationCode.expires_at < before)
        ).rowcount,
        "tokens": db.session.execute(db.delete(Token).where(token_gone)).rowcount,
        "assertions": db.session.execute(
            db.delete(UsedAssertion).where(UsedAssertion.expires_at < now)
        ).rowcount,
        "logout_deliveries": db.session.execute(
            db.delete(LogoutDelivery).where(
                db.or_(
                    LogoutDelivery.delivered_at < before - dt.timedelta(days=29),
                    LogoutDelivery.gave_up_at < before - dt.timedelta(days=29),
                )
            )
        ).rowcount,
    }
    return counts
