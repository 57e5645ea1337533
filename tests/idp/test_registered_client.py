"""`RegisteredClient` is the per-process copy of an `OidcClient` row the protocol
endpoints use (idp/client_cache.py): for services of every kind it holds the same
values and gives Authlib the same answers as the row. A new column of
`oidc_clients` is either copied or listed here."""

from __future__ import annotations

import dataclasses

import pytest

from idp.client_cache import ClientCache
from idp.client_cache import RegisteredClient
from idp.oauth_models import AUTH_METHODS
from idp.oauth_models import OidcClient
from idp.oauth_models import digest
from kernel.extensions import db
from tests import factories

NOT_COPIED = {"created_at"}
SECRET = "s3cret-of-the-service"

SERVICES = {
    "trusted confidential, offline access, back-channel": dict(
        auth_method="client_secret_basic",
        secret_digest=digest(SECRET),
        redirect_uris=["https://lsu.example/cb", "https://lsu.example/cb2"],
        post_logout_redirect_uris=["https://lsu.example/"],
        backchannel_logout_uri="https://lsu.example/bcl",
        scope="openid profile children ine offline_access",
        trusted=True,
    ),
    "public, untrusted, nothing optional": dict(
        auth_method="none",
        secret_digest=None,
        redirect_uris=["http://127.0.0.1:5102/cb"],
        post_logout_redirect_uris=[],
        scope="openid",
        trusted=False,
    ),
    "private_key_jwt": dict(
        auth_method="private_key_jwt",
        secret_digest=None,
        jwks={"keys": [{"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "kid": "k1"}]},
        redirect_uris=["https://cantine.example/cb"],
        post_logout_redirect_uris=["https://cantine.example/a", "https://cantine.example/b"],
        scope="openid email phone",
        trusted=False,
    ),
    "secret posted, no redirect URI left": dict(
        auth_method="client_secret_post",
        secret_digest=digest(SECRET),
        redirect_uris=[],
        post_logout_redirect_uris=[],
        scope="openid profile offline_access",
        trusted=True,
    ),
}
SCOPES_ASKED = [None, "", "openid", "openid profile children ine offline_access", "x openid"]
GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials", "password"]
ENDPOINTS = ["token", "revocation", "introspection"]


def test_every_client_column_is_copied_or_said_not_copied():
    copied = {f.name for f in dataclasses.fields(RegisteredClient)}
    columns = {column.name for column in OidcClient.__table__.columns}
    assert copied <= columns
    assert columns - copied == NOT_COPIED


def _values(client) -> dict:
    return {
        f.name: tuple(value) if isinstance(value, list | tuple) else value
        for f in dataclasses.fields(RegisteredClient)
        for value in [getattr(client, f.name)]
    }


def _answers(client) -> dict:
    """What Authlib and our endpoints ask a client (idp.oauth_models.ClientRules)."""
    redirect_uris = [*client.redirect_uris, "https://elsewhere.example/cb", "https://lsu.example/"]
    return {
        "client_metadata": client.client_metadata,
        "is_public": client.is_public,
        "client_id": client.get_client_id(),
        "default_redirect_uri": client.get_default_redirect_uri(),
        "allowed_scope": [client.get_allowed_scope(scope) for scope in SCOPES_ASKED],
        "redirect_uri": [client.check_redirect_uri(uri) for uri in redirect_uris],
        "secret": [client.check_client_secret(s) for s in (SECRET, "wrong", "")],
        "auth_method": [
            client.check_endpoint_auth_method(method, endpoint)
            for method in AUTH_METHODS
            for endpoint in ENDPOINTS
        ],
        "response_type": [client.check_response_type(t) for t in ("code", "token", "id_token")],
        "grant_type": [client.check_grant_type(grant) for grant in GRANT_TYPES],
    }


@pytest.mark.parametrize("fields", SERVICES.values(), ids=SERVICES.keys())
def test_the_copy_answers_as_the_row(app_ctx, fields):
    row = OidcClient(
        client_id=f"client-{len(fields)}-{fields['auth_method']}",
        name="Livret scolaire",
        sector="lsu.example",
        created_at=factories.NOW,
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(OidcClient, row.id)

    copy = RegisteredClient.of(row)
    assert _values(copy) == _values(row)
    assert _answers(copy) == _answers(row)
    cache = ClientCache()
    for cached in (cache.by_client_id(row.client_id), cache.by_pk(row.id)):
        assert _values(cached) == _values(row)
