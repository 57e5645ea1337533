"""`TokenRecord` is the copy of a `Token` row the token endpoints read with one Core
SELECT (idp/tokens.py), beside the account's claim columns for userinfo: for
tokens in every condition it holds the row's values, its service and its account
as the ORM reads them. A new column of `oidc_tokens` is either copied or listed
here."""

from __future__ import annotations

import dataclasses
import datetime as dt

from accounts.account_claims import AccountClaims
from accounts.models import AccountState
from idp import clients
from idp import tokens
from idp.client_cache import RegisteredClient
from idp.oauth_models import OidcClient
from idp.oauth_models import Token
from idp.oauth_models import digest
from idp.tokens import TokenRecord
from kernel.extensions import db
from tests import factories

NOW = factories.NOW
HOUR = dt.timedelta(hours=1)
NOT_COPIED = {"access_digest", "code_id"}

CONDITIONS = {
    "access only, live": {},
    "with a refresh token": dict(refresh=True, claims_request={"userinfo": {"email": None}}),
    "refresh token used": dict(refresh=True, refresh_used_at=NOW - HOUR),
    "access token revoked": dict(refresh=True, access_revoked_at=NOW - HOUR),
    "revoked": dict(refresh=True, revoked_at=NOW - HOUR, login_session_id=None),
    "expired": dict(expires_at=NOW - HOUR, scope="openid"),
}


def test_every_token_column_is_copied_or_said_not_copied():
    copied = {f.name for f in dataclasses.fields(TokenRecord)}
    columns = {column.name for column in Token.__table__.columns}
    assert copied <= columns
    assert columns - copied == NOT_COPIED


def _token(n: int, client: OidcClient, account_id: int, *, refresh=False, **fields) -> Token:
    values = dict(
        access_digest=digest(f"access-{n}"),
        refresh_digest=digest(f"refresh-{n}") if refresh else None,
        client_id=client.id,
        account_id=account_id,
        login_session_id=f"session-{n}",
        code_id=n,
        family_id=f"family-{n}",
        scope="openid profile email offline_access",
        claims_request=None,
        issued_at=NOW - 2 * HOUR,
        expires_at=NOW + HOUR,
        refresh_expires_at=NOW + 30 * 24 * HOUR if refresh else None,
    )
    return Token(**{**values, **fields})


def _record_values(row) -> dict:
    return {f.name: getattr(row, f.name) for f in dataclasses.fields(TokenRecord)}


def test_the_copy_holds_the_rows_values_service_and_account(app_ctx):
    school = factories.make_school()
    client, _ = clients.add_client(
        now=NOW, name="Livret", redirect_uris=["https://lsu.example/cb"], scope="openid email"
    )
    accounts = []
    for state in AccountState:
        guardian, _ = factories.make_family(school, first_name="Aline", last_name="Rousseau")
        factories.set_state(guardian.account, state)
        accounts.append(guardian.account.id)
    db.session.flush()
    rows = [
        _token(n, client, accounts[n % len(accounts)], **condition)
        for n, condition in enumerate(CONDITIONS.values())
    ]
    db.session.add_all(rows)
    db.session.commit()
    db.session.expire_all()

    for n, condition in enumerate(CONDITIONS):
        row = db.session.scalar(
            db.select(Token).where(Token.access_digest == digest(f"access-{n}"))
        )
        expected = _record_values(row)
        access = tokens.find(f"access-{n}", "access_token")
        assert _record_values(access.row) == expected, condition
        refresh = tokens.find(f"refresh-{n}", "refresh_token")
        if row.refresh_digest is None:
            assert refresh is None
        else:
            assert _record_values(refresh.row) == expected, condition
        for hint in (None, "access_token", "refresh_token"):
            assert _record_values(tokens.find_any(f"access-{n}", hint).row) == expected
        bearer = tokens.find_bearer(f"access-{n}")
        assert _record_values(bearer.row) == expected, condition
        assert bearer.account == AccountClaims.load(row.account_id), condition
        assert bearer.account.state == row.account.state
        assert dataclasses.astuple(access.row.client) == dataclasses.astuple(
            RegisteredClient.of(row.client)
        )
    assert tokens.find("unknown", "access_token") is None
    assert tokens.find_bearer("unknown") is None
