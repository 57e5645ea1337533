"""`ClaimedCode` is the copy of an `AuthorizationCode` row that claiming returns
(idp/codes.py: one `UPDATE … RETURNING` with the account's state and whether the
sign-in session ended): for codes of every kind, of accounts in every state and
sessions live, ended or gone, it holds what the ORM reads. A new column of
`oidc_codes` is either copied or listed here."""

from __future__ import annotations

import dataclasses
import datetime as dt

from accounts.models import Account
from accounts.models import AccountState
from accounts.sessions import LoginSession
from idp import clients
from idp import codes
from idp.codes import ClaimedCode
from idp.oauth_models import AuthorizationCode
from idp.oauth_models import OidcClient
from idp.oauth_models import digest
from kernel.extensions import db
from tests import factories

NOW = factories.NOW
NOT_COPIED = {"code_digest", "created_at", "used_at"}
READ_BESIDE = {"account_state", "session_ended_at"}

# How the code's sign-in session stands when the code is claimed.
SESSIONS = ["live", "ended", "gone", None]
KINDS = [
    dict(nonce="n-1", code_challenge="c" * 43, code_challenge_method="S256", acr="eidas1"),
    dict(nonce=None, code_challenge=None, code_challenge_method=None, acr="", amr=[]),
    dict(claims_request={"id_token": {"given_name": {"essential": True}}}, amr=["fc"]),
]


def test_every_code_column_is_copied_or_said_not_copied():
    copied = {f.name for f in dataclasses.fields(ClaimedCode)} - READ_BESIDE
    columns = {column.name for column in AuthorizationCode.__table__.columns}
    assert copied <= columns
    assert columns - copied == NOT_COPIED


def _client() -> OidcClient:
    return clients.add_client(now=NOW, name="Livret", redirect_uris=["https://lsu.example/cb"])[0]


def _session(n: int, account: Account, how: str | None) -> str | None:
    if how is None:
        return None
    if how == "gone":
        return f"no-such-session-{n}"
    login = LoginSession(
        id=f"session-{n}",
        account_id=account.id,
        created_at=NOW,
        last_seen_at=NOW,
        auth_time=NOW,
        amr=["pwd"],
        acr="eidas1",
        ended_at=NOW if how == "ended" else None,
    )
    db.session.add(login)
    return login.id


def _codes_of_every_kind(client: OidcClient) -> list[int]:
    n, ids = 0, []
    for state in AccountState:
        account = factories.make_account("Camille", "Lefèvre")
        factories.set_state(account, state)
        for how in SESSIONS:
            values = dict(
                code_digest=digest(f"code-{n}"),
                client_id=client.id,
                account_id=account.id,
                login_session_id=_session(n, account, how),
                redirect_uri="https://lsu.example/cb",
                scope="openid profile",
                nonce=None,
                code_challenge=None,
                code_challenge_method=None,
                claims_request=None,
                auth_time=NOW - dt.timedelta(minutes=n),
                acr="eidas1",
                amr=["pwd"],
                created_at=NOW,
                expires_at=NOW + dt.timedelta(seconds=60 - n),
            )
            code = AuthorizationCode(**{**values, **KINDS[n % len(KINDS)]})
            db.session.add(code)
            db.session.flush()
            ids.append(code.id)
            n += 1
    db.session.commit()
    return ids


def _expected(row: AuthorizationCode) -> dict:
    login = db.session.get(LoginSession, row.login_session_id) if row.login_session_id else None
    return {
        **{
            f.name: getattr(row, f.name)
            for f in dataclasses.fields(ClaimedCode)
            if f.name not in READ_BESIDE
        },
        "account_state": db.session.get(Account, row.account_id).state,
        "session_ended_at": login.ended_at if login is not None else None,
    }


def test_claiming_returns_what_the_orm_reads(app_ctx):
    client, other = _client(), _client()
    ids = _codes_of_every_kind(client)
    db.session.expire_all()

    for n, code_id in enumerate(ids):
        row = db.session.get(AuthorizationCode, code_id)
        expected = _expected(row)
        assert codes.claim(f"code-{n}", other.id, now=NOW) is None  # not its client
        claimed = codes.claim(f"code-{n}", client.id, now=NOW)
        assert dataclasses.asdict(claimed) == expected, n
        assert claimed.get_redirect_uri() == row.redirect_uri
        assert claimed.get_scope() == row.scope and claimed.get_nonce() == row.nonce
        assert codes.claim(f"code-{n}", client.id, now=NOW) is None  # once
        assert codes.used_code_id(f"code-{n}", client.id) == row.id
    db.session.commit()
    db.session.expire_all()
    assert {row.used_at for row in db.session.scalars(db.select(AuthorizationCode))} == {NOW}
