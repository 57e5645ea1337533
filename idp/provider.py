"""All Authlib wiring of the OpenID Connect provider, in one place (STYLE §3).

Grant subclasses are thin: they store and find codes and tokens. What Authlib
1.9 leaves to us is closed here, each with its reason:
- PKCE: S256 only, required for public clients (RFC 7636 §4.2, RFC 9700 §2.1.1);
- authorization codes single-use, ≤ 60 s; a replay revokes what the code issued
  (RFC 6749 §4.1.2, §10.5);
- refresh tokens rotate, and a reused one revokes its family (RFC 9700 §4.14.2);
- RFC 9207 `iss` in every authorization response;
- `kid` in every signed token header (JWKS rotation).
Access tokens are opaque (stored as digests), so no JWT `jti` is needed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from functools import cached_property
from urllib.parse import quote

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.integrations.flask_oauth2 import token_authenticated
from authlib.integrations.flask_oauth2.requests import FlaskJsonPayload
from authlib.integrations.flask_oauth2.requests import FlaskJsonRequest
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from authlib.oauth2.rfc6749 import InsecureTransportError
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import JsonRequest
from authlib.oauth2.rfc6749 import MissingAuthorizationError
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import UserInfoEndpoint
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Flask
from flask import current_app
from flask import g
from flask import request as flask_request
from flask import session
from joserfc.jwk import KeySet
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from accounts.models import AccountState
from idp import claims as claims_module
from idp import codes
from idp import logout
from idp import tokens
from idp.client_cache import ClientCache
from idp.client_cache import RegisteredClient
from idp.oauth_models import OidcClient
from idp.oauth_models import SessionService
from kernel import jobs
from kernel.clock import utcnow
from kernel.config import OidcConfig
from kernel.extensions import db
from kernel.secretbox import SecretBox
from keys import services as keys

_CHECKED = "https://checked.invalid/"  # OAuth2Request checks its uri again: passes


class _UriWhenRead:
    """Authlib's request objects with `uri` read from Flask only when asked: werkzeug
    builds `request.url` with IRI decoding, a tenth of the cost of parsing a protocol
    request, and none of our endpoints reads it (docs/benchmarks.md)."""

    @property
    def uri(self) -> str:
        return flask_request.url

    @uri.setter
    def uri(self, _value) -> None:
        """Authlib's constructor assigns it; the property above answers instead."""


class _Payload(FlaskOAuth2Payload):
    @cached_property
    def data(self):
        """Read once: Authlib's grants ask for it some forty times per authorization."""
        return self._request.values


class _OAuth2Request(_UriWhenRead, FlaskOAuth2Request):
    def __init__(self, request):
        # Authlib's transport check (https, or http on a loopback address) reads only
        # the scheme and the host: it gets them without the rest of the URL.
        InsecureTransportError.check(f"{request.scheme}://{request.host}/")
        OAuth2Request.__init__(self, method=request.method, uri=_CHECKED, headers=request.headers)
        self._request = request
        self.payload = _Payload(request)


class _JsonRequest(_UriWhenRead, FlaskJsonRequest):
    def __init__(self, request):
        JsonRequest.__init__(self, request.method, None, request.headers)
        self.payload = FlaskJsonPayload(request)


class Server(AuthorizationServer):
    def create_oauth2_request(self, request):
        # The request itself, not Flask's proxy to it: Authlib reads it attribute by
        # attribute, each read through the proxy a context lookup.
        return _OAuth2Request(flask_request._get_current_object())

    def create_json_request(self, request):
        return _JsonRequest(flask_request)


server = Server()


class NoCredentials(MissingAuthorizationError):
    """RFC 6750 §3.1: a request with no token at all is told how to authenticate,
    without an error code."""

    def get_headers(self):
        realm = f' realm="{self.realm}"' if self.realm else ""
        return [("Content-Type", "application/json"), ("WWW-Authenticate", f"Bearer{realm}")]

    def get_body(self):
        return []


class BearerProtector(ResourceProtector):
    """The access token from the Authorization header or, in a form-encoded POST body
    (RFC 6750 §2.2, sent so by certified client libraries), `access_token`."""

    def acquire_token(self, scopes=None, **kwargs):
        """Authlib's, with the request of `_UriWhenRead`."""
        kwargs["scopes"] = scopes
        for claim in kwargs:
            if isinstance(kwargs[claim], str):
                kwargs[claim] = [kwargs[claim]]
        token = self.validate_request(request=_JsonRequest(flask_request), **kwargs)
        token_authenticated.send(self, token=token)
        g.authlib_server_oauth2_token = token
        return token

    def parse_request_authorization(self, request):
        if request.headers.get("Authorization"):
            return super().parse_request_authorization(request)
        token = flask_request.form.get("access_token") if flask_request.method == "POST" else None
        if not token:
            raise NoCredentials(self._default_auth_type, self._default_realm)
        return self.get_token_validator(self._default_auth_type), token


require_token = BearerProtector()

SERVICES_KEY = "oidc_services"
ALL_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
CONFIDENTIAL_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]


def setup_provider(app: Flask, oidc: OidcConfig, keybox: SecretBox, salt: bytes) -> None:
    app.extensions["guichet.keybox"] = keybox
    app.extensions["guichet.pairwise_salt"] = salt
    app.extensions["guichet.clients"] = ClientCache()
    server.init_app(app, query_client=query_client, save_token=tokens.save_token)
    server.register_token_generator("default", tokens.generate_token)
    server.register_grant(CodeGrant, [S256CodeChallenge(required=True), OpenIDExtension()])
    server.register_grant(RefreshGrant)
    server.register_client_auth_method("private_key_jwt", ClientAssertion())
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    server.register_endpoint(UserInfo(resource_protector=require_token))
    server.register_endpoint(EndSession)
    server.register_extension(Issuer())
    if not require_token._token_validators:
        require_token.register_token_validator(AccessTokenValidator())
    jobs.register(
        app, jobs.Deliverer("logout tokens", due=logout.due_deliveries, attempt=logout.attempt)
    )


# -- shared helpers -------------------------------------------------------------
def oidc_config() -> OidcConfig:
    return current_app.extensions["guichet.settings"].oidc


def issuer() -> str:
    return oidc_config().issuer


def pairwise_salt() -> bytes:
    return current_app.extensions["guichet.pairwise_salt"]


def signing() -> tuple[str, str, object]:
    """(kid, alg, key) of the current signing key, looked up once per request."""
    if "guichet_signing" not in g:
        g.guichet_signing = keys.signing_key(box=current_app.extensions["guichet.keybox"])
    return g.guichet_signing


def public_jwks() -> dict:
    config = oidc_config()
    return keys.jwks(now=utcnow(), retired_days=config.retired_key_published_days)


def statements_commit_alone() -> None:
    """Run this request's statements in autocommit, each its own transaction: no BEGIN
    and COMMIT round trips (docs/benchmarks.md). Only for requests whose writes stand
    alone: userinfo (reads) and a GET to the authorization endpoint (a code, the idle
    clock of the session, the services it reached: each row valid without the
    others). The connection returns to the pool with its usual isolation level. A
    transaction already begun (the caller's own application context, in scripts and
    tests) is left as it is."""
    if not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def query_client(client_id: str) -> RegisteredClient | None:
    """The registered service, from the per-process cache (idp.client_cache)."""
    if not client_id or not isinstance(client_id, str):
        return None
    return client_cache().by_client_id(client_id)


def client_cache() -> ClientCache:
    return current_app.extensions["guichet.clients"]


# -- authorization code grant ---------------------------------------------------
class S256CodeChallenge(CodeChallenge):
    """RFC 7636 with `plain` refused (RFC 9700 §2.1.1) and PKCE mandatory for
    public clients from the authorization request on (RFC 7636 §4.4.1)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": CodeChallenge.CODE_CHALLENGE_METHODS["S256"]}

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        challenge = data.get("code_challenge")
        if grant.request.client.is_public and not challenge:
            raise InvalidRequestError("PKCE (code_challenge, S256) is required for public clients.")
        if challenge and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only 'code_challenge_method=S256' is supported.")
        super().validate_code_challenge(grant, redirect_uri)


_SERVICE_INSERTS = {  # built once per dialect: the first authorization after each sign-in
    name: insert(SessionService.__table__).on_conflict_do_nothing(
        index_elements=["login_session_id", "client_id"]
    )
    for name, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


def _remember_service(login_session_id: str, client_id: int, *, now: dt.datetime) -> None:
    """Record that this session reached this service (back-channel logout), once: the
    browser's cookie remembers which services are already recorded, and two first
    authorizations at the same time insert the row once (ON CONFLICT DO NOTHING)."""
    recorded = session.get(SERVICES_KEY) or {}
    if client_id in recorded.get(login_session_id, []):
        return
    connection = db.session.connection()
    connection.execute(
        _SERVICE_INSERTS[connection.dialect.name],
        {"login_session_id": login_session_id, "client_id": client_id, "first_at": now},
    )
    session[SERVICES_KEY] = {login_session_id: [*recorded.get(login_session_id, []), client_id]}


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS
    _validated_redirect_uri: str | None = None

    def validate_authorization_request(self) -> str:
        """Validated once per request: `get_consent_grant` validates it (with its hooks:
        PKCE, nonce, prompt), and `create_authorization_response` would validate the
        same grant again (docs/benchmarks.md). A refusal raised the first time."""
        if self._validated_redirect_uri is None:
            self._validated_redirect_uri = super().validate_authorization_request()
        return self._validated_redirect_uri

    def generate_authorization_code(self) -> str:
        """256 bits from the CSPRNG in one call, where Authlib draws 48 characters one
        by one (docs/benchmarks.md)."""
        return secrets.token_urlsafe(32)

    def save_authorization_code(self, code: str, request) -> None:
        subject: claims_module.Subject = request.user
        login = subject.login
        now = utcnow()
        data = request.payload.data
        codes.store(
            code,
            client_id=request.client.id,
            account_id=subject.account_id,
            login_session_id=login.id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            claims_request=subject.claims_request,
            auth_time=login.auth_time,
            acr=login.acr or "eidas1",
            amr=list(login.amr or []),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=oidc_config().code_lifetime_seconds),
        )
        _remember_service(login.id, request.client.id, now=now)

    def query_authorization_code(self, code: str, client: RegisteredClient):
        """RFC 6749 §4.1.2 and §10.5: a code works once, within its lifetime; a
        second presentation revokes every token the first one produced."""
        now = utcnow()
        claimed = codes.claim(code, client.id, now=now)
        if claimed is None:
            replayed = codes.used_code_id(code, client.id)
            if replayed is not None:
                tokens.revoke_issued_by_code(replayed, now=now)
                db.session.commit()
            return None
        if now > claimed.expires_at:
            return None
        return claimed

    def delete_authorization_code(self, authorization_code) -> None:
        """Kept, marked used (in query_authorization_code), so a replay is recognised."""

    def authenticate_user(self, authorization_code: codes.ClaimedCode):
        if (
            authorization_code.account_state != AccountState.ACTIVATED
            or authorization_code.login_session_id is None
            or authorization_code.session_ended_at is not None
        ):
            return None
        return claims_module.Subject(
            account_id=authorization_code.account_id,
            client=self.request.client,
            login_session_id=authorization_code.login_session_id,
            claims_request=authorization_code.claims_request,
        )


class OpenIDExtension(OpenIDCode):
    """ID tokens: signed with the current key (its `kid` in the header), `sub`
    pairwise, `sid`, `auth_time`, `acr`, `amr`, `nonce`, `at_hash` (Authlib)."""

    def __init__(self):
        super().__init__(require_nonce=False)

    def exists_nonce(self, nonce: str, request) -> bool:
        """OIDC Core §15.5.2: the nonce is bound into the ID token and checked by the
        client, which detects replays; the provider keeps no nonce history."""
        return False

    def resolve_client_private_key(self, client):
        return signing()[2]

    def get_client_algorithm(self, client) -> str:
        return signing()[1]

    def get_encode_header(self, client) -> dict:
        kid, alg, _ = signing()
        return {"alg": alg, "kid": kid, "typ": "JWT"}

    def get_client_claims(self, client) -> dict:
        now = int(utcnow().replace(tzinfo=dt.UTC).timestamp())
        return {
            "iss": issuer(),
            "aud": [client.client_id],
            "iat": now,
            "exp": now + oidc_config().id_token_lifetime_seconds,
        }

    def generate_user_info(self, user, scope: str) -> dict:
        return claims_module.id_token_claims(user, scope, salt=pairwise_salt())


class RefreshGrant(grants.RefreshTokenGrant):
    """RFC 6749 §6 with rotation: every use returns a new refresh token."""

    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str):
        return tokens.use_refresh_token(refresh_token, self.request.client, now=utcnow())

    def authenticate_user(self, refresh_token):
        subject = refresh_token.get_user()
        return subject if subject.account.state == AccountState.ACTIVATED else None

    def revoke_old_credential(self, refresh_token) -> None:
        tokens.retire_rotated(refresh_token, now=utcnow())


class ClientAssertion(JWTBearerClientAssertion):
    """private_key_jwt (OIDC Core §9, RFC 7523): the client signs with a key from its JWKS."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def get_audiences(self) -> list[str]:
        return [issuer(), issuer() + "/token"]

    def validate_jti(self, claims, jti) -> bool:
        return tokens.remember_assertion(
            f"{claims['sub']}:{jti}", expires=claims.get("exp"), now=utcnow()
        )

    def resolve_client_public_key(self, client: OidcClient):
        return KeySet.import_key_set(client.jwks or {"keys": []})


class Issuer(IssuerParameter):
    def get_issuer(self) -> str:
        """RFC 9207 §2: every authorization response names its issuer."""
        return issuer()

    def add_issuer_parameter(self, authorization_server, response) -> None:
        """Authlib's, without parsing and re-encoding the whole location: it is the
        client's registered redirect URI (no fragment, RFC 6749 §3.1.2) and the
        parameters Authlib has just encoded, so `iss` is appended to its query."""
        location = response.location
        if not location:
            return
        separator = "" if location.endswith(("?", "&")) else "&" if "?" in location else "?"
        response.location = f"{location}{separator}iss={quote(issuer(), safe='')}"


# -- token endpoints --------------------------------------------------------------
class AccessTokenValidator(BearerTokenValidator):
    def __init__(self):
        super().__init__(realm="guichet")

    def authenticate_token(self, token_string: str):
        return tokens.find_bearer(token_string)


class Revocation(RevocationEndpoint):
    """RFC 7009. Public clients may revoke their own tokens (§2.1)."""

    CLIENT_AUTH_METHODS = ALL_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        return tokens.find_any(token_string, token_type_hint)

    def revoke_token(self, token, request) -> None:
        tokens.revoke(token, now=utcnow())


class Introspection(IntrospectionEndpoint):
    """RFC 7662; only authenticated (confidential) clients, and only for their tokens."""

    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        return tokens.find_any(token_string, token_type_hint)

    def check_permission(self, token, client, request) -> bool:
        return token.check_client(client)

    def introspect_token(self, token) -> dict:
        row = token.row
        sub = claims_module.pairwise_sub(row.account_id, row.client.sector, salt=pairwise_salt())
        expires = row.refresh_expires_at if token.kind == "refresh_token" else row.expires_at
        return {
            "active": True,
            "client_id": row.client.client_id,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
            "scope": row.scope,
            "sub": sub,
            "aud": row.client.client_id,
            "iss": issuer(),
            "iat": _epoch(row.issued_at),
            "exp": _epoch(expires),
        }


class UserInfo(UserInfoEndpoint):
    def get_issuer(self) -> str:
        return issuer()

    def generate_user_info(self, user, scope: str) -> dict:
        return claims_module.user_claims(user, scope, salt=pairwise_salt())

    def resolve_private_key(self):
        return signing()[2]


class EndSession(EndSessionEndpoint):
    """OIDC RP-Initiated Logout 1.0; what ending a session does is in idp.logout."""

    def get_server_jwks(self):
        return public_jwks()

    def resolve_client_from_id_token_claims(self, id_token_claims: dict):
        """Our ID tokens name one audience, as a one-element list."""
        aud = id_token_claims.get("aud")
        if isinstance(aud, list) and len(aud) == 1:
            aud = aud[0]
        return query_client(aud) if isinstance(aud, str) else None

    def end_session(self, end_session_request) -> None:

        g.ended_login = logout.sign_out_browser(now=utcnow())


def _epoch(moment: dt.datetime) -> int:
    return int(moment.replace(tzinfo=dt.UTC).timestamp())
