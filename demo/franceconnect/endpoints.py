"""The mock FranceConnect's endpoints, one function each: discovery, JWKS, the
identity picker (the authorization endpoint: GET shows it, POST answers the
service), token, userinfo and logout, with the helpers they share. Each reads the
mock's settings, key and memory from its app's config (demo.franceconnect.app)."""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import unquote_plus
from urllib.parse import urlencode

from flask import Flask
from flask import current_app
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

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


def register(app: Flask) -> None:
    """Route the endpoints below (each endpoint is named after its function)."""
    app.after_request(_headers)
    app.add_url_rule("/", view_func=home, methods=["GET"])
    app.add_url_rule("/.well-known/openid-configuration", view_func=discovery, methods=["GET"])
    app.add_url_rule("/api/v2/jwks", view_func=jwks, methods=["GET"])
    app.add_url_rule("/api/v2/authorize", view_func=authorize, methods=["GET"])
    app.add_url_rule("/api/v2/authorize", view_func=choose_identity, methods=["POST"])
    app.add_url_rule("/api/v2/token", view_func=token, methods=["POST"])
    app.add_url_rule("/api/v2/userinfo", view_func=userinfo, methods=["GET"])
    app.add_url_rule("/api/v2/session/end", view_func=end_session, methods=["GET"])
    app.register_error_handler(404, _not_found)


# -- endpoints ----------------------------------------------------------------------
def home():
    """The address the README gives: what this mock is and its test identities (one
    signs in from Guichet's «S'identifier avec FranceConnect» button, not from here)."""
    return render_template("mock/home.html", identities=list(_cfg("MOCK_IDENTITIES").values()))


def discovery():
    """OpenID Connect Discovery, with FranceConnect v2's paths."""
    return jsonify(
        issuer=_cfg("MOCK_ISSUER"),
        authorization_endpoint=_url("/api/v2/authorize"),
        token_endpoint=_url("/api/v2/token"),
        userinfo_endpoint=_url("/api/v2/userinfo"),
        end_session_endpoint=_url("/api/v2/session/end"),
        jwks_uri=_url("/api/v2/jwks"),
        scopes_supported=["openid", *SCOPE_CLAIMS],
        response_types_supported=["code"],
        grant_types_supported=["authorization_code"],
        subject_types_supported=["public"],
        acr_values_supported=ACR_SUPPORTED,
        id_token_signing_alg_values_supported=[_cfg("MOCK_ALG")],
        userinfo_signing_alg_values_supported=[_cfg("MOCK_ALG")],
        token_endpoint_auth_methods_supported=["client_secret_post", "client_secret_basic"],
        claims_supported=sorted({c for cs in SCOPE_CLAIMS.values() for c in cs} | {"sub"}),
    )


def jwks():
    return jsonify(KeySet([_cfg("MOCK_KEY")]).as_dict(private=False))


def authorize():
    """The identity picker, once the request is one FranceConnect would accept; other
    errors go back to a registered redirect URI, never to an unknown one."""
    args = request.args
    client, redirect_uri = _client_and_redirect_uri(args)
    if client is None:
        return _error_page("Client inconnu ou adresse de retour non enregistrée."), 400
    problem = _authorization_problem(args)
    if problem:
        return redirect(_with(redirect_uri, error=problem, state=args.get("state", "")))
    return render_template(
        "mock/authorize.html",
        identities=list(_cfg("MOCK_IDENTITIES").values()),
        request_args=dict(args),
        acr=_acr(args.get("acr_values", "")),
    )


def choose_identity():
    """The picker's answer: a single-use code for the chosen identity, or
    `access_denied` when the person cancels."""
    form = request.form
    client, redirect_uri = _client_and_redirect_uri(form)
    if client is None:
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
    identity = _cfg("MOCK_IDENTITIES").get(form.get("sub", ""))
    if identity is None:
        return _error_page("Choisissez une identité de test."), 400
    code = secrets.token_urlsafe(32)
    memory = _cfg("MOCK_STATE")
    with memory.lock:
        _forget_expired(memory)
        memory.codes[code] = {
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "nonce": form.get("nonce", ""),
            "scope": form.get("scope", "openid"),
            "sub": identity["sub"],
            "acr": _acr(form.get("acr_values", "")),
            "expires": time.time() + CODE_LIFETIME,
        }
    return redirect(_with(redirect_uri, code=code, state=state))


def token():
    """The code, once, by the client it was issued to, for an access token and a
    signed ID token."""
    client = _authenticated_client()
    if client is None:
        return jsonify(error="invalid_client"), 401
    if request.form.get("grant_type") != "authorization_code":
        return jsonify(error="unsupported_grant_type"), 400
    memory = _cfg("MOCK_STATE")
    with memory.lock:
        grant = memory.codes.pop(request.form.get("code", ""), None)
    if (
        grant is None
        or grant["expires"] < time.time()
        or grant["client_id"] != client.client_id
        or grant["redirect_uri"] != request.form.get("redirect_uri")
    ):
        return jsonify(error="invalid_grant"), 400
    now = int(time.time())
    access_token = secrets.token_urlsafe(32)
    with memory.lock:
        memory.tokens[access_token] = {**grant, "expires": now + TOKEN_LIFETIME}
    id_token = _sign(
        {
            "iss": _cfg("MOCK_ISSUER"),
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


def userinfo():
    """The claims of the granted scopes, as a signed JWT like FranceConnect v2 (or JSON)."""
    token = _bearer_token()
    memory = _cfg("MOCK_STATE")
    with memory.lock:
        grant = memory.tokens.get(token)
    if grant is None or grant["expires"] < time.time():
        response = jsonify(error="invalid_token")
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response, 401
    claims = _scoped_claims(_cfg("MOCK_IDENTITIES")[grant["sub"]], grant["scope"])
    if _cfg("MOCK_USERINFO_FORMAT") == "json":
        return jsonify(claims)
    now = int(time.time())
    body = _sign({**claims, "iss": _cfg("MOCK_ISSUER"), "aud": grant["client_id"], "iat": now})
    return current_app.response_class(body, mimetype="application/jwt")


def end_session():
    """RP-initiated logout: an ID token of ours, a registered return address, a state."""
    args = request.args
    try:
        hint = jwt.decode(args.get("id_token_hint", ""), KeySet([_cfg("MOCK_KEY")]))
    except (JoseError, ValueError):
        return _error_page("id_token_hint manquant ou invalide."), 400
    client = _cfg("MOCK_CLIENTS").get(hint.claims.get("aud", ""))
    target = args.get("post_logout_redirect_uri", "")
    if client is None or target not in client.post_logout_redirect_uris:
        return _error_page("Adresse de retour après déconnexion non enregistrée."), 400
    if not args.get("state"):
        return _error_page("Paramètre state manquant."), 400
    return redirect(_with(target, state=args["state"]))


# -- shared helpers -------------------------------------------------------------------
def _cfg(name: str):
    return current_app.config[name]


def _url(path: str) -> str:
    return _cfg("MOCK_ISSUER") + path


def _headers(response):
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _not_found(_error):
    return _error_page("Page introuvable."), 404


def _error_page(message: str):
    return render_template("mock/error.html", message=message)


def _client_and_redirect_uri(values) -> tuple[MockClient | None, str]:
    """The client named by the request and its redirect URI; no client when either is
    unknown (the redirect URI must be registered exactly)."""
    client = _cfg("MOCK_CLIENTS").get(values.get("client_id", ""))
    redirect_uri = values.get("redirect_uri", "")
    if client is None or redirect_uri not in client.redirect_uris:
        return None, redirect_uri
    return client, redirect_uri


def _authorization_problem(args) -> str | None:
    """The OAuth error FranceConnect answers to this authorization request, if any."""
    if args.get("response_type") != "code":
        return "unsupported_response_type"
    if "openid" not in args.get("scope", "").split():
        return "invalid_scope"
    if not args.get("state") or not args.get("nonce"):
        return "invalid_request"
    return None


def _authenticated_client() -> MockClient | None:
    """client_secret_basic or client_secret_post."""
    client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        client_id, _, secret = decoded.partition(":")
        client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    client = _cfg("MOCK_CLIENTS").get(client_id or "")
    if client is None or not secret:
        return None
    if not secrets.compare_digest(client.client_secret.encode(), secret.encode()):
        return None
    return client


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else ""


def _scoped_claims(identity: dict, scope: str) -> dict:
    claims = {"sub": identity["sub"]}
    for name in scope.split():
        for claim in SCOPE_CLAIMS.get(name, []):
            if claim in identity:
                claims[claim] = identity[claim]
    return claims


def _sign(claims: dict) -> str:
    key = _cfg("MOCK_KEY")
    return jwt.encode({"alg": _cfg("MOCK_ALG"), "kid": key.kid, "typ": "JWT"}, claims, key)


def _forget_expired(state: MockState) -> None:
    """Codes and tokens live a minute; a demo running for days keeps no more."""
    now = time.time()
    for store in (state.codes, state.tokens):
        for key in [k for k, v in store.items() if v["expires"] < now]:
            del store[key]


def _acr(requested: str) -> str:
    """The eIDAS level asked for, at least eidas1 (FranceConnect's minimum)."""
    for value in requested.split():
        if value in ACR_SUPPORTED:
            return value
    return "eidas1"


def _with(uri: str, **params: str) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)
