"""The mock FranceConnect: a small but real OpenID Connect provider for the demo and
the tests (issue 6).

Its own Flask app, its own signing key (generated at start), discovery, JWKS, an
authorization page where one picks a test identity, a token endpoint (client
secret, single-use codes), userinfo (signed JWT like FranceConnect v2, or JSON)
and RP-initiated logout. Everything lives in memory: one process, restarted at
will. Never deploy it: it authenticates anyone who clicks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from urllib.parse import unquote_plus
from urllib.parse import urlencode

from flask import Flask
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from joserfc.jwk import KeySet
from joserfc.jwk import RSAKey

from kernel.contact import normalise_mobile
from kernel.names import fold_name

IDENTITIES_FILE = Path(__file__).with_name("identities.json")
CODE_LIFETIME = 60
TOKEN_LIFETIME = 60
ID_TOKEN_LIFETIME = 60
# Claims released per scope, as FranceConnect does (its scope = claim names).
SCOPE_CLAIMS = {
    "given_name": ["given_name"],
    "family_name": ["family_name"],
    "preferred_username": ["preferred_username"],
    "birthdate": ["birthdate"],
    "gender": ["gender"],
    "birthplace": ["birthplace"],
    "birthcountry": ["birthcountry"],
    "email": ["email"],
    "profile": ["given_name", "family_name", "preferred_username", "birthdate", "gender"],
    "birth": ["birthplace", "birthcountry"],
}
ACR_SUPPORTED = ["eidas1", "eidas2", "eidas3"]


@dataclass
class MockClient:
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)
    post_logout_redirect_uris: list[str] = field(default_factory=list)


@dataclass
class MockState:
    """Codes and access tokens in memory, shared by the threads of one process."""

    codes: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def load_identities(path: Path | str | None = None) -> list[dict]:
    data = json.loads(Path(path or IDENTITIES_FILE).read_text(encoding="utf-8"))
    return data["identities"]


NOBODY = {
    "sub": "fc-demo-nobody",
    "given_name": "Lucie",
    "family_name": "Inconnue",
    "birthdate": "1990-01-20",
    "gender": "female",
    "email": "lucie.inconnue@example.org",
    "demo": {
        "mobile": "06 11 22 33 44",
        "note": "Ne correspond à aucun compte : la liaison échoue, numéro non reconnu.",
    },
}


def identities_from_demo(seed: dict, *, limit: int = 10) -> list[dict]:
    """Test identities derived from `guichet demo seed --json`: one per person (same
    names and mobile), those matching several accounts and those whose `purpose`
    names FranceConnect first, plus one matching nobody."""
    people: dict[tuple, list[dict]] = {}
    for account in seed.get("accounts", []):
        mobile = normalise_mobile(account.get("mobile"))
        if not mobile or account.get("state") in ("deleted", "Supprimé"):
            continue
        key = (fold_name(account["first_name"]), fold_name(account["last_name"]), mobile)
        people.setdefault(key, []).append(account)

    def rank(item):
        accounts = item[1]
        wanted = any("franceconnect" in str(a.get("purpose", "")).lower() for a in accounts)
        return (not wanted, len(accounts) < 2, accounts[0]["identifier"])

    identities = []
    for (_first, _last, mobile), accounts in sorted(people.items(), key=rank)[:limit]:
        first = accounts[0]
        digest = hashlib.sha256(f"{_first}|{_last}|{mobile}".encode()).hexdigest()
        identifiers = ", ".join(a["identifier"] for a in accounts)
        identities.append(
            {
                "sub": f"fc-demo-{digest[:20]}",
                "given_name": first["first_name"],
                "family_name": first["last_name"],
                "birthdate": _birthdate(digest),
                "gender": "",
                "email": first.get("email") or "",
                "demo": {
                    "mobile": mobile,
                    "note": (
                        f"Correspond à {len(accounts)} comptes ({identifiers}) : ils sont "
                        "regroupés pendant la liaison."
                        if len(accounts) > 1
                        else f"Correspond au compte {identifiers}."
                    ),
                },
            }
        )
    return [*identities, NOBODY]


def create_mock_app(
    *,
    issuer: str,
    clients: list[MockClient],
    identities: list[dict] | None = None,
    signing_alg: str = "RS256",
    userinfo_format: str = "jwt",
) -> Flask:
    """The mock provider answering at `issuer` (scheme, host, port; no path)."""
    app = Flask(__name__, template_folder="templates")
    issuer = issuer.rstrip("/")
    if signing_alg == "ES256":
        key = ECKey.generate_key("P-256", parameters={"use": "sig", "alg": "ES256"}, private=True)
    else:
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, private=True)
        signing_alg = "RS256"
    key.ensure_kid()
    app.config.update(
        MOCK_ISSUER=issuer,
        MOCK_CLIENTS={c.client_id: c for c in clients},
        MOCK_IDENTITIES={i["sub"]: i for i in (identities or load_identities())},
        MOCK_KEY=key,
        MOCK_ALG=signing_alg,
        MOCK_USERINFO_FORMAT=userinfo_format,
        MOCK_STATE=MockState(),
    )
    _routes(app)
    return app


def _routes(app: Flask) -> None:  # noqa: C901 - one provider, its endpoints side by side
    def cfg(name):
        return app.config[name]

    def url(path: str) -> str:
        return cfg("MOCK_ISSUER") + path

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/.well-known/openid-configuration")
    def discovery():
        return jsonify(
            issuer=cfg("MOCK_ISSUER"),
            authorization_endpoint=url("/api/v2/authorize"),
            token_endpoint=url("/api/v2/token"),
            userinfo_endpoint=url("/api/v2/userinfo"),
            end_session_endpoint=url("/api/v2/session/end"),
            jwks_uri=url("/api/v2/jwks"),
            scopes_supported=["openid", *SCOPE_CLAIMS],
            response_types_supported=["code"],
            grant_types_supported=["authorization_code"],
            subject_types_supported=["public"],
            acr_values_supported=ACR_SUPPORTED,
            id_token_signing_alg_values_supported=[cfg("MOCK_ALG")],
            userinfo_signing_alg_values_supported=[cfg("MOCK_ALG")],
            token_endpoint_auth_methods_supported=["client_secret_post", "client_secret_basic"],
            claims_supported=sorted({c for cs in SCOPE_CLAIMS.values() for c in cs} | {"sub"}),
        )

    @app.get("/api/v2/jwks")
    def jwks():
        return jsonify(KeySet([cfg("MOCK_KEY")]).as_dict(private=False))

    @app.get("/api/v2/authorize")
    def authorize():
        args = request.args
        client = cfg("MOCK_CLIENTS").get(args.get("client_id", ""))
        redirect_uri = args.get("redirect_uri", "")
        if client is None or redirect_uri not in client.redirect_uris:
            return _error_page("Client inconnu ou adresse de retour non enregistrée."), 400
        problem = None
        if args.get("response_type") != "code":
            problem = "unsupported_response_type"
        elif "openid" not in args.get("scope", "").split():
            problem = "invalid_scope"
        elif not args.get("state") or not args.get("nonce"):
            problem = "invalid_request"
        if problem:
            return redirect(_with(redirect_uri, error=problem, state=args.get("state", "")))
        acr = _acr(args.get("acr_values", ""))
        return render_template(
            "mock/authorize.html",
            identities=list(cfg("MOCK_IDENTITIES").values()),
            request_args=dict(args),
            acr=acr,
        )

    @app.post("/api/v2/authorize")
    def choose_identity():
        form = request.form
        client = cfg("MOCK_CLIENTS").get(form.get("client_id", ""))
        redirect_uri = form.get("redirect_uri", "")
        if client is None or redirect_uri not in client.redirect_uris:
            return _error_page("Client inconnu ou adresse de retour non enregistrée."), 400
        state = form.get("state", "")
        if form.get("action") == "cancel":
            return redirect(
                _with(
                    redirect_uri,
                    error="access_denied",
                    error_description="User auth aborted",
                    state=state,
                )
            )
        identity = cfg("MOCK_IDENTITIES").get(form.get("sub", ""))
        if identity is None:
            return _error_page("Choisissez une identité de test."), 400
        code = secrets.token_urlsafe(32)
        with cfg("MOCK_STATE").lock:
            _forget_expired(cfg("MOCK_STATE"))
            cfg("MOCK_STATE").codes[code] = {
                "client_id": client.client_id,
                "redirect_uri": redirect_uri,
                "nonce": form.get("nonce", ""),
                "scope": form.get("scope", "openid"),
                "sub": identity["sub"],
                "acr": _acr(form.get("acr_values", "")),
                "expires": time.time() + CODE_LIFETIME,
            }
        return redirect(_with(redirect_uri, code=code, state=state))

    @app.post("/api/v2/token")
    def token():
        client = _authenticated_client()
        if client is None:
            return jsonify(error="invalid_client"), 401
        if request.form.get("grant_type") != "authorization_code":
            return jsonify(error="unsupported_grant_type"), 400
        with cfg("MOCK_STATE").lock:
            grant = cfg("MOCK_STATE").codes.pop(request.form.get("code", ""), None)
        if (
            grant is None
            or grant["expires"] < time.time()
            or grant["client_id"] != client.client_id
            or grant["redirect_uri"] != request.form.get("redirect_uri")
        ):
            return jsonify(error="invalid_grant"), 400
        now = int(time.time())
        access_token = secrets.token_urlsafe(32)
        with cfg("MOCK_STATE").lock:
            cfg("MOCK_STATE").tokens[access_token] = {**grant, "expires": now + TOKEN_LIFETIME}
        id_token = _sign(
            {
                "iss": cfg("MOCK_ISSUER"),
                "sub": grant["sub"],
                "aud": client.client_id,
                "exp": now + ID_TOKEN_LIFETIME,
                "iat": now,
                "auth_time": now,
                "nonce": grant["nonce"],
                "acr": grant["acr"],
                "amr": ["pwd"],
            }
        )
        return jsonify(
            access_token=access_token,
            token_type="Bearer",  # noqa: S106 - the OAuth token type
            expires_in=TOKEN_LIFETIME,
            id_token=id_token,
            scope=grant["scope"],
        )

    @app.get("/api/v2/userinfo")
    def userinfo():
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        with cfg("MOCK_STATE").lock:
            grant = cfg("MOCK_STATE").tokens.get(token)
        if grant is None or grant["expires"] < time.time():
            response = jsonify(error="invalid_token")
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response, 401
        identity = cfg("MOCK_IDENTITIES")[grant["sub"]]
        claims = {"sub": identity["sub"]}
        for scope in grant["scope"].split():
            for claim in SCOPE_CLAIMS.get(scope, []):
                if claim in identity:
                    claims[claim] = identity[claim]
        if cfg("MOCK_USERINFO_FORMAT") == "json":
            return jsonify(claims)
        now = int(time.time())
        body = _sign({**claims, "iss": cfg("MOCK_ISSUER"), "aud": grant["client_id"], "iat": now})
        return app.response_class(body, mimetype="application/jwt")

    @app.get("/api/v2/session/end")
    def end_session():
        args = request.args
        try:
            hint = jwt.decode(args.get("id_token_hint", ""), KeySet([cfg("MOCK_KEY")]))
        except (JoseError, ValueError):
            return _error_page("id_token_hint manquant ou invalide."), 400
        client = cfg("MOCK_CLIENTS").get(hint.claims.get("aud", ""))
        target = args.get("post_logout_redirect_uri", "")
        if client is None or target not in client.post_logout_redirect_uris:
            return _error_page("Adresse de retour après déconnexion non enregistrée."), 400
        if not args.get("state"):
            return _error_page("Paramètre state manquant."), 400
        return redirect(_with(target, state=args["state"]))

    def _authenticated_client() -> MockClient | None:
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:]).decode()
            except (ValueError, UnicodeDecodeError):
                return None
            client_id, _, secret = decoded.partition(":")
            client_id, secret = unquote_plus(client_id), unquote_plus(secret)
        client = cfg("MOCK_CLIENTS").get(client_id or "")
        if client is None or not secret:
            return None
        if not secrets.compare_digest(client.client_secret.encode(), secret.encode()):
            return None
        return client

    def _sign(claims: dict) -> str:
        key = cfg("MOCK_KEY")
        return jwt.encode({"alg": cfg("MOCK_ALG"), "kid": key.kid, "typ": "JWT"}, claims, key)

    def _error_page(message: str):
        return render_template("mock/error.html", message=message)

    @app.errorhandler(404)
    def _not_found(_error):
        return _error_page("Page introuvable."), 404


def _forget_expired(state: MockState) -> None:
    """Codes and tokens live a minute; a demo running for days keeps no more."""
    now = time.time()
    for store in (state.codes, state.tokens):
        for key in [k for k, v in store.items() if v["expires"] < now]:
            del store[key]


def _birthdate(digest: str) -> str:
    """A stable, plausible birth date for a derived identity (1970–1994)."""
    year = 1970 + int(digest[:2], 16) % 25
    month = 1 + int(digest[2], 16) % 12
    day = 1 + int(digest[3:5], 16) % 28
    return f"{year}-{month:02d}-{day:02d}"


def _acr(requested: str) -> str:
    """The eIDAS level asked for, at least eidas1 (FranceConnect's minimum)."""
    for value in requested.split():
        if value in ACR_SUPPORTED:
            return value
    return "eidas1"


def _with(uri: str, **params: str) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)
