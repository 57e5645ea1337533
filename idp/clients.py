"""Registering the education services that sign parents in (SPEC §7, issue 4
"Operators"): `guichet clients add|list|show|remove` call these."""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from idp.claims import SCOPES
from idp.oauth_models import AUTH_METHODS
from idp.oauth_models import AuthorizationCode
from idp.oauth_models import Consent
from idp.oauth_models import LogoutDelivery
from idp.oauth_models import OidcClient
from idp.oauth_models import SessionService
from idp.oauth_models import Token
from idp.oauth_models import digest
from kernel.errors import DomainError
from kernel.extensions import db


class ClientError(DomainError):
    code = "client"
    message = _l("Enregistrement du service impossible.")


class InvalidUri(ClientError):
    code = "invalid_uri"
    message = _l("Adresse invalide : une URL absolue http(s), sans fragment, est attendue.")


class UnknownScope(ClientError):
    code = "unknown_scope"
    message = _l("Portée inconnue.")


class InvalidAuthMethod(ClientError):
    code = "invalid_auth_method"
    message = _l(
        "Méthode d'authentification inconnue ou incomplète (private_key_jwt demande --jwks)."
    )


class UnknownClient(ClientError):
    code = "unknown_client"
    message = _l("Aucun service ne porte cet identifiant.")


class ClientIdTaken(ClientError):
    code = "client_id_taken"
    message = _l("Cet identifiant de service est déjà pris.")


def _check_uri(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise InvalidUri(f"{InvalidUri.message} ({uri})")
    return uri


def add_client(
    *,
    name: str,
    redirect_uris: list[str],
    now: dt.datetime,
    post_logout_redirect_uris: list[str] = (),
    backchannel_logout_uri: str | None = None,
    scope: str = "openid profile",
    auth_method: str = "client_secret_basic",
    trusted: bool = False,
    sector: str | None = None,
    jwks: dict | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> tuple[OidcClient, str | None]:
    """A new service; returns it with its secret in clear (shown once, stored as a digest)."""
    if not redirect_uris:
        raise InvalidUri()
    uris = [_check_uri(u) for u in redirect_uris]
    logout_uris = [_check_uri(u) for u in post_logout_redirect_uris]
    if backchannel_logout_uri:
        _check_uri(backchannel_logout_uri)
    scopes = scope.split()
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise UnknownScope(f"{UnknownScope.message} ({', '.join(unknown)})")
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    if auth_method not in AUTH_METHODS or (auth_method == "private_key_jwt" and not jwks):
        raise InvalidAuthMethod()
    # Hexadecimal: an id never starts with "-" (which a command line reads as an option).
    client_id = client_id or secrets.token_hex(16)
    if db.session.scalar(db.select(OidcClient.id).where(OidcClient.client_id == client_id)):
        raise ClientIdTaken()
    secret = None
    if auth_method in ("client_secret_basic", "client_secret_post"):
        secret = client_secret or secrets.token_urlsafe(32)
    client = OidcClient(
        client_id=client_id,
        secret_digest=digest(secret) if secret else None,
        name=name,
        redirect_uris=uris,
        post_logout_redirect_uris=logout_uris,
        backchannel_logout_uri=backchannel_logout_uri or None,
        scope=" ".join(dict.fromkeys(scopes)),
        auth_method=auth_method,
        jwks=jwks,
        trusted=trusted,
        sector=sector or urlsplit(uris[0]).hostname,
        created_at=now,
    )
    db.session.add(client)
    db.session.flush()
    return client, secret


def get_client(client_id: str) -> OidcClient:
    client = db.session.scalar(db.select(OidcClient).where(OidcClient.client_id == client_id))
    if client is None:
        raise UnknownClient()
    return client


def list_clients() -> list[OidcClient]:
    return list(db.session.scalars(db.select(OidcClient).order_by(OidcClient.name)))


def remove_client(client_id: str) -> None:
    """The service and everything issued to it (codes, tokens, consents) go."""

    client = get_client(client_id)
    for model in (AuthorizationCode, Token, Consent, SessionService, LogoutDelivery):
        db.session.execute(db.delete(model).where(model.client_id == client.id))
    db.session.delete(client)


def describe(client: OidcClient, secret: str | None = None) -> dict:
    data = {
        "client_id": client.client_id,
        "name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris or []),
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "scope": client.scope,
        "auth_method": client.auth_method,
        "trusted": client.trusted,
        "sector": client.sector,
        "created_at": client.created_at.isoformat(timespec="seconds"),
    }
    if secret:
        data["client_secret"] = secret
    return data
