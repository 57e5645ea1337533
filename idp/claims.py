"""What a service learns about a parent (SPEC §7): pairwise subjects and the claims
of each scope, `children` included.

`sub` is pairwise (OIDC Core §8.1): an HMAC of the sector and the account id, so
two services of different sectors cannot correlate a parent. A child's
identifier is pairwise the same way. The INE is released only to services that
may receive the `ine` scope.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask_babel import lazy_gettext as _l

from accounts.account_claims import AccountClaims
from idp.oauth_models import OidcClient

SCOPES = {
    "openid": _l("Identifiant de connexion"),
    "profile": _l("Nom et prénom"),
    "email": _l("Adresse électronique"),
    "phone": _l("Numéro de téléphone mobile"),
    "children": _l("Vos enfants : nom, prénom, date de naissance, école, classe"),
    "ine": _l("Identifiant national (INE) de vos enfants"),
    "offline_access": _l("Accès prolongé sans nouvelle connexion"),
}

SCOPE_CLAIMS = {
    "profile": ("given_name", "family_name", "name", "preferred_username"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "children": ("children",),
}
CLAIMS_SUPPORTED = ["sub", "sid", "auth_time", "acr", "amr"] + [
    claim for claims in SCOPE_CLAIMS.values() for claim in claims
]


class Subject:
    """The end user as a grant sees it: an account, seen by one service.

    The account row is read only when a claim needs it (`account`): issuing an ID
    token with `sub` and `sid` alone needs only its id."""

    def __init__(
        self,
        *,
        client: OidcClient | None,
        account_id: int,
        login_session_id: str | None = None,
        claims_request: dict | None = None,
        login=None,
        account: AccountClaims | None = None,
    ):
        self.client = client
        # The live session (accounts.sessions.LiveLogin) when the subject comes from /authorize.
        self.login = login
        # Already read when the subject comes from a bearer token (idp.tokens.find_bearer).
        self._account = account
        self.account_id = account_id
        self.login_session_id = login_session_id
        self.claims_request = claims_request

    @property
    def account(self) -> AccountClaims:
        if self._account is None:
            self._account = AccountClaims.load(self.account_id)
        return self._account

    def get_user_id(self) -> int:
        return self.account_id


def _mac(salt: bytes, *parts: str) -> str:
    message = "|".join(parts).encode()
    raw = hmac.new(salt, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def pairwise_sub(account_id: int, sector: str, *, salt: bytes) -> str:
    return _mac(salt, "sub", sector, str(account_id))


def session_sid(login_session_id: str, *, salt: bytes) -> str:
    """The `sid` claim: names the session without revealing its cookie value."""
    return _mac(salt, "sid", login_session_id)[:32]


def user_claims(subject: Subject, scope: str, *, salt: bytes) -> dict:
    """Every claim the granted `scope` allows (userinfo, RFC OIDC Core §5.3)."""
    account, client = subject.account, subject.client
    scopes = set(scope.split())
    claims: dict = {"sub": pairwise_sub(account.id, client.sector, salt=salt)}
    if "profile" in scopes:
        claims.update(
            given_name=account.first_name,
            family_name=account.last_name,
            name=f"{account.first_name} {account.last_name}",
            preferred_username=account.identifier,
        )
    if "email" in scopes:
        email = account.contact_email()
        if email:
            claims["email"] = email
            claims["email_verified"] = bool(account.email and account.email_verified)
    if "phone" in scopes:
        mobile = account.mobile if account.mobile_verified else account.registry_contact()[1]
        if mobile:
            claims["phone_number"] = mobile
            claims["phone_number_verified"] = bool(account.mobile and account.mobile_verified)
    if "children" in scopes:
        claims["children"] = [
            _child(pupil, client, with_ine="ine" in scopes, salt=salt)
            for pupil in account.children()
        ]
    return claims


def _child(pupil, client: OidcClient, *, with_ine: bool, salt: bytes) -> dict:
    child = {
        "id": _mac(salt, "pupil", client.sector, str(pupil.id))[:32],
        "given_name": pupil.first_name,
        "family_name": pupil.last_name,
        "birthdate": pupil.birth_date.isoformat(),
        "school": {"uai": pupil.school_uai, "name": pupil.school_name},
        "class": pupil.class_name,
        "level": str(pupil.level) if pupil.level else None,
    }
    if with_ine:
        child["ine"] = pupil.ine
    return child


def id_token_claims(subject: Subject, scope: str, *, salt: bytes) -> dict:
    """The ID token carries `sub` and `sid`, plus the claims the `claims` request
    parameter asks for in `id_token` (OIDC Core §5.5) that the scope allows;
    everything else is read from userinfo."""
    claims = {"sub": pairwise_sub(subject.account_id, subject.client.sector, salt=salt)}
    if subject.login_session_id:
        claims["sid"] = session_sid(subject.login_session_id, salt=salt)
    wanted = requested_claims(subject.claims_request, "id_token")
    if wanted:
        available = user_claims(subject, scope, salt=salt)
        claims.update({name: available[name] for name in wanted if name in available})
    return claims


def requested_claims(claims_request: dict | None, target: str) -> list[str]:
    """Names asked for under `target` ("id_token" or "userinfo"); malformed parts are ignored."""
    if not isinstance(claims_request, dict):
        return []
    part = claims_request.get(target)
    if not isinstance(part, dict):
        return []
    return [name for name in part if isinstance(name, str) and name in CLAIMS_SUPPORTED]
