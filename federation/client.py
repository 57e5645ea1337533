"""The OpenID Connect relying party to FranceConnect (SPEC §6.4), on Authlib's client.

Endpoints come from the provider's discovery document at FRANCECONNECT_ISSUER;
every upstream call ends within FRANCECONNECT_TIMEOUT in total (kernel.outbound),
however slowly the upstream answers. The ID token's signature is checked against
the provider's JWKS (RS256/ES256; HS256 with the client secret only when
FRANCECONNECT_ALLOW_HS256 is set for a legacy platform), then `iss`, `aud`,
`exp`, `nonce` and `acr`; userinfo is accepted as JSON or as a signed JWT and
must describe the same `sub`. The result is one small internal object,
`FranceConnectIdentity`, with a declared claim mapping; what to do with it is
`federation.linking`'s job.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.requests_client import OAuthError
from authlib.oidc.core import CodeIDToken
from flask_babel import lazy_gettext as _l
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwk import OctKey
from joserfc.jws import extract_compact

from kernel import outbound
from kernel.config import FranceConnectConfig
from kernel.config import Settings
from kernel.errors import DomainError

log = logging.getLogger(__name__)

CALLBACK_PATH = "/franceconnect/retour"
POST_LOGOUT_PATH = "/franceconnect/deconnexion/fin"
ASYMMETRIC_ALGORITHMS = ("RS256", "ES256")
EIDAS_LEVELS = ("eidas1", "eidas2", "eidas3")
METADATA_TTL = 3600
CLOCK_LEEWAY = 60


class FranceConnectError(DomainError):
    """Anything that stops a FranceConnect sign-in: nothing is linked, nobody signed in."""

    code = "franceconnect"
    message = _l("La connexion avec FranceConnect n'a pas abouti. Veuillez réessayer.")


class ProviderUnavailable(FranceConnectError):
    code = "franceconnect_unavailable"
    message = _l(
        "FranceConnect ne répond pas pour le moment. Veuillez réessayer dans quelques minutes, "
        "ou connectez-vous avec votre identifiant et votre mot de passe."
    )


class ProviderRefused(FranceConnectError):
    code = "franceconnect_refused"
    message = _l(
        "La connexion avec FranceConnect a été annulée ou refusée : aucune information n'a été "
        "transmise. Vous pouvez réessayer, ou vous connecter avec votre identifiant et votre "
        "mot de passe."
    )


class InvalidResponse(FranceConnectError):
    code = "franceconnect_invalid_response"
    message = _l(
        "La réponse de FranceConnect n'a pas pu être vérifiée : par sécurité, la connexion a été "
        "refusée. Veuillez réessayer ; si le problème persiste, connectez-vous avec votre "
        "identifiant et votre mot de passe."
    )


class StaleRequest(FranceConnectError):
    code = "franceconnect_stale_request"
    message = _l(
        "Cette demande de connexion FranceConnect a expiré ou a déjà été utilisée. "
        "Veuillez recommencer la connexion."
    )


@dataclass(frozen=True)
class FranceConnectIdentity:
    """What Guichet keeps of a FranceConnect sign-in (claim → field):
    `sub` → sub, `given_name` → given_name (all first names, space-separated),
    `family_name` → family_name (birth name), `preferred_username` → usage_name,
    `birthdate` → birthdate (YYYY-MM-DD), `email` → email, ID token `acr` → acr."""

    sub: str
    given_name: str
    family_name: str
    usage_name: str = ""
    birthdate: str = ""
    email: str = ""
    acr: str = ""
    id_token: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict) -> FranceConnectIdentity:
        return cls(**{k: data.get(k, "") for k in cls.__dataclass_fields__})

    def first_name_candidates(self) -> list[str]:
        """The registry holds one first name; FranceConnect gives all of them."""
        names = self.given_name.split()
        return list(dict.fromkeys([self.given_name, *names[:1]]))

    def last_name_candidates(self) -> list[str]:
        return [n for n in dict.fromkeys([self.family_name, self.usage_name]) if n]


def redirect_uri(settings: Settings) -> str:
    """The callback registered at FranceConnect, under PUBLIC_URL."""
    return settings.public_url + CALLBACK_PATH


def post_logout_redirect_uri(settings: Settings) -> str:
    return settings.public_url + POST_LOGOUT_PATH


def acceptable_acr(requested: str) -> list[str]:
    """eIDAS levels at or above the one asked for (acr_values=eidas1 accepts 1 to 3)."""
    wanted = [v for v in requested.split() if v in EIDAS_LEVELS]
    if not wanted:
        return list(EIDAS_LEVELS)
    return list(EIDAS_LEVELS[EIDAS_LEVELS.index(min(wanted)) :])


class FranceConnectClient:
    """One per application; caches the discovery document and the JWKS for an hour."""

    def __init__(self, settings: Settings, cache: dict | None = None):
        self.config: FranceConnectConfig = settings.franceconnect
        self.redirect_uri = redirect_uri(settings)
        self.post_logout_redirect_uri = post_logout_redirect_uri(settings)
        self._cache = cache if cache is not None else {}

    # -- discovery and keys ------------------------------------------------------------

    def metadata(self) -> dict:
        doc = self._cached("metadata")
        if doc is None:
            url = self.config.issuer + "/.well-known/openid-configuration"
            doc = self._get_json(url)
            if doc.get("issuer", "").rstrip("/") != self.config.issuer:
                raise InvalidResponse(reason="discovery issuer differs from FRANCECONNECT_ISSUER")
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not doc.get(name):
                    raise InvalidResponse(reason=f"discovery lacks {name}")
            self._store("metadata", doc)
        return doc

    def key_set(self, *, refresh: bool = False) -> KeySet:
        jwks = None if refresh else self._cached("jwks")
        if jwks is None:
            jwks = self._get_json(self.metadata()["jwks_uri"])
            self._store("jwks", jwks)
        try:
            return KeySet.import_key_set(jwks)
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise InvalidResponse(reason="unreadable JWKS") from exc

    # -- the authorization code flow -----------------------------------------------------

    def authorization_url(self, *, state: str, nonce: str) -> str:
        with self._session() as session:
            url, _ = session.create_authorization_url(
                self.metadata()["authorization_endpoint"],
                state=state,
                nonce=nonce,
                acr_values=self.config.acr_values,
            )
        return url

    def sign_in(self, *, code: str, nonce: str) -> FranceConnectIdentity:
        """Exchange the code, verify the ID token, read userinfo (OIDC Core §3.1.3)."""
        metadata = self.metadata()
        with self._session() as session:
            try:
                with outbound.deadline(self.config.timeout_seconds):
                    token = session.fetch_token(
                        metadata["token_endpoint"], code=code, grant_type="authorization_code"
                    )
            except requests.RequestException as exc:
                raise ProviderUnavailable(reason=f"token endpoint: {exc}") from exc
            except OAuthError as exc:
                raise InvalidResponse(reason=f"token endpoint: {exc.error}") from exc
            except ValueError as exc:
                raise InvalidResponse(reason="token endpoint answered no JSON") from exc
            if not token.get("id_token") or not token.get("access_token"):
                raise InvalidResponse(reason="token response without id_token")
            claims = self.verify_id_token(
                token["id_token"], nonce=nonce, access_token=token["access_token"]
            )
            info = self._userinfo(session, metadata, claims["sub"])
        return FranceConnectIdentity(
            sub=claims["sub"],
            given_name=str(info.get("given_name") or ""),
            family_name=str(info.get("family_name") or ""),
            usage_name=str(info.get("preferred_username") or ""),
            birthdate=str(info.get("birthdate") or ""),
            email=str(info.get("email") or ""),
            acr=str(claims.get("acr") or ""),
            id_token=token["id_token"],
        )

    def verify_id_token(self, id_token: str, *, nonce: str, access_token: str = "") -> dict:
        token = self._decode(id_token, what="id_token")
        options = {
            # OIDC Core §3.1.3.7: exactly the issuer of the discovery document.
            "iss": {"essential": True, "value": self.metadata()["issuer"]},
            "aud": {"essential": True, "value": self.config.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
            "acr": {"essential": True, "values": acceptable_acr(self.config.acr_values)},
        }
        params = {"nonce": nonce, "client_id": self.config.client_id}
        if access_token:
            params["access_token"] = access_token
        claims = CodeIDToken(token.claims, token.header, options, params)
        try:
            claims.validate(leeway=CLOCK_LEEWAY)
        except JoseError as exc:
            raise InvalidResponse(reason=f"id_token claims: {exc}") from exc
        return dict(claims)

    def logout_url(self, *, id_token_hint: str, state: str) -> str | None:
        """RP-initiated logout at FranceConnect; None when it offers no end_session_endpoint."""
        endpoint = self.metadata().get("end_session_endpoint")
        if not endpoint:
            return None
        params = {
            "id_token_hint": id_token_hint,
            "state": state,
            "post_logout_redirect_uri": self.post_logout_redirect_uri,
        }
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)

    # -- helpers -------------------------------------------------------------------------

    def _userinfo(self, session: OAuth2Session, metadata: dict, sub: str) -> dict:
        endpoint = metadata.get("userinfo_endpoint")
        if not endpoint:
            raise InvalidResponse(reason="discovery lacks userinfo_endpoint")
        try:
            with outbound.deadline(self.config.timeout_seconds):
                response = session.get(endpoint)
        except requests.RequestException as exc:
            raise ProviderUnavailable(reason=f"userinfo: {exc}") from exc
        except OAuthError as exc:
            raise InvalidResponse(reason=f"userinfo: {exc}") from exc
        if response.status_code != 200:
            raise InvalidResponse(reason=f"userinfo answered {response.status_code}")
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/jwt":
            token = self._decode(response.text.strip(), what="userinfo")
            info = dict(token.claims)
            if "iss" in info and info["iss"] != self.metadata()["issuer"]:
                raise InvalidResponse(reason="userinfo iss differs")
            aud = info.get("aud")
            if aud is not None and self.config.client_id not in (
                aud if isinstance(aud, list) else [aud]
            ):
                raise InvalidResponse(reason="userinfo aud differs")
        else:
            try:
                info = response.json()
            except ValueError as exc:
                raise InvalidResponse(reason="userinfo is neither JSON nor a JWT") from exc
        if not isinstance(info, dict) or info.get("sub") != sub:
            raise InvalidResponse(reason="userinfo sub differs from the id_token's (OIDC 5.3.2)")
        return info

    def _decode(self, value: str, *, what: str):
        """Check a compact JWS with the provider's keys (or the client secret for HS256)."""
        try:
            header = extract_compact(value.encode()).protected
        except (JoseError, ValueError) as exc:
            raise InvalidResponse(reason=f"{what}: not a compact JWS") from exc
        alg = header.get("alg")
        allowed = list(ASYMMETRIC_ALGORITHMS)
        if self.config.allow_hs256:
            allowed.append("HS256")
        if alg not in allowed:
            raise InvalidResponse(reason=f"{what}: algorithm {alg!r} not allowed")
        if alg == "HS256":
            key = OctKey.import_key(self.config.client_secret)
            return self._jwt_decode(value, key, [alg], what)
        try:
            return self._jwt_decode(value, self.key_set(), [alg], what)
        except InvalidKeyIdError:
            # The provider rotated its keys: fetch the JWKS once more.
            try:
                return self._jwt_decode(value, self.key_set(refresh=True), [alg], what)
            except InvalidKeyIdError as exc:
                raise InvalidResponse(reason=f"{what}: unknown kid") from exc

    @staticmethod
    def _jwt_decode(value, key, algorithms, what):
        try:
            return jwt.decode(value, key, algorithms=algorithms)
        except InvalidKeyIdError:
            raise
        except (JoseError, ValueError) as exc:
            raise InvalidResponse(reason=f"{what}: {exc}") from exc

    def _session(self) -> OAuth2Session:
        """Each call both times out per read and ends by FRANCECONNECT_TIMEOUT in total."""
        session = OAuth2Session(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name
            scope=self.config.scopes,
            redirect_uri=self.redirect_uri,
            default_timeout=self.config.timeout_seconds,
            # FranceConnect's access tokens live 60 s: use one at once, never "refresh" it.
            leeway=0,
        )
        return outbound.mount(session)

    def _get_json(self, url: str) -> dict:
        try:
            with outbound.deadline(self.config.timeout_seconds), outbound.session() as session:
                response = session.get(url, timeout=self.config.timeout_seconds)
                response.raise_for_status()
                data = response.json()
        except requests.RequestException as exc:
            raise ProviderUnavailable(reason=f"{url}: {exc}") from exc
        except ValueError as exc:
            raise InvalidResponse(reason=f"{url}: not JSON") from exc
        if not isinstance(data, dict):
            raise InvalidResponse(reason=f"{url}: not a JSON object")
        return data

    def _cached(self, name: str):
        entry = self._cache.get(name)
        if entry and time.monotonic() - entry[0] < METADATA_TTL:
            return entry[1]
        return None

    def _store(self, name: str, value) -> None:
        self._cache[name] = (time.monotonic(), value)
