"""Tables of the OpenID Connect provider (SPEC §7): registered services (clients),
authorization codes, tokens, consents, the services each sign-in session reached,
and back-channel logout deliveries.

Codes, access and refresh tokens are stored as SHA-256 digests: a database leak
does not hand out live credentials, and high-entropy values need no slow hash.
Client secrets likewise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from accounts.models import Account
from kernel.extensions import db

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class ClientRules:
    """Authlib's ClientMixin, written once for the table row (`OidcClient`) and for the
    per-process snapshot the protocol endpoints use (`idp.client_cache.RegisteredClient`).
    Needs the attributes `client_id`, `secret_digest`, `redirect_uris`,
    `post_logout_redirect_uris`, `backchannel_logout_uri`, `scope`, `auth_method`."""

    @property
    def client_metadata(self) -> dict:
        return {
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris or []),
            "backchannel_logout_uri": self.backchannel_logout_uri,
        }

    @property
    def is_public(self) -> bool:
        return self.auth_method == "none"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # OIDC Core §3.1.2.1: redirect_uri is required; never guess one.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(self.scope.split())
        requested = (scope or "").split()
        return " ".join(s for s in requested if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """RFC 6749 §3.1.2.2, OAuth 2.0 Security BCP: exact string match only."""
        return redirect_uri in (self.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        if not self.secret_digest:
            return False
        return hmac.compare_digest(self.secret_digest, digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "refresh_token":
            return "offline_access" in self.scope.split()
        return grant_type == "authorization_code"


class OidcClient(ClientRules, db.Model):
    """A relying party: an education service registered by an operator."""

    __tablename__ = "oidc_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_digest: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))
    # Space-separated scopes this service may receive (SPEC §7).
    scope: Mapped[str] = mapped_column(Text, default="openid")
    auth_method: Mapped[str] = mapped_column(String(30), default="client_secret_basic")
    # Public keys for private_key_jwt (a JWKS document).
    jwks: Mapped[dict | None] = mapped_column(JSON)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Pairwise subjects are computed per sector: services of one sector share `sub`.
    sector: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuthorizationCode(db.Model):
    """An issued code; written and claimed with Core statements (idp/codes.py), which
    hand Authlib a snapshot of the row."""

    __tablename__ = "oidc_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("oidc_clients.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    login_session_id: Mapped[str | None] = mapped_column(String(64), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(String(255), index=True)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    # OIDC Core §5.5: the `claims` request parameter, parsed.
    claims_request: Mapped[dict | None] = mapped_column(JSON)
    auth_time: Mapped[dt.datetime] = mapped_column(DateTime)
    acr: Mapped[str] = mapped_column(String(60), default="")
    amr: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Token(db.Model):
    """An access token, and the refresh token issued with it (if any).

    Refresh tokens rotate: each use issues a new row of the same `family_id` and
    marks the old one `refresh_used_at`; presenting a used refresh token again
    revokes the whole family (OAuth 2.0 Security BCP §4.14.2)."""

    __tablename__ = "oidc_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    access_digest: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("oidc_clients.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    login_session_id: Mapped[str | None] = mapped_column(String(64), index=True)
    code_id: Mapped[int | None] = mapped_column(Integer, index=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    scope: Mapped[str] = mapped_column(Text)
    claims_request: Mapped[dict | None] = mapped_column(JSON)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    refresh_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    refresh_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The access token alone (RFC 7009 on an access token); `revoked_at` ends both.
    access_revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    client: Mapped[OidcClient] = relationship()
    account: Mapped[Account] = relationship()


class UsedAssertion(db.Model):
    """`jti` of private_key_jwt client assertions already seen (RFC 7523 §3, item 7)."""

    __tablename__ = "oidc_used_assertions"

    jti_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class Consent(db.Model):
    """SPEC §7: a parent agreed once that a (non-trusted) service receives these scopes."""

    __tablename__ = "oidc_consents"
    __table_args__ = (UniqueConstraint("account_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("oidc_clients.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime)


class SessionService(db.Model):
    """A service a sign-in session reached: signing out notifies each of them."""

    __tablename__ = "oidc_session_services"

    login_session_id: Mapped[str] = mapped_column(
        ForeignKey("login_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(
        ForeignKey("oidc_clients.id", ondelete="CASCADE"), primary_key=True
    )
    first_at: Mapped[dt.datetime] = mapped_column(DateTime)


class LogoutDelivery(db.Model):
    """One back-channel logout token to deliver to one service, and how it went."""

    __tablename__ = "oidc_logout_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("oidc_clients.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    login_session_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    gave_up_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    # The request that signed out (kernel.request_ids): its attempts log under that id.
    request_id: Mapped[str | None] = mapped_column(String(64))

    client: Mapped[OidcClient] = relationship()
