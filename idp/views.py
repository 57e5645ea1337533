"""The provider's pages and endpoints: sign-in (`idp.login`, /connexion), sign-out
(`idp.logout`, /deconnexion), and the OpenID Connect endpoints. Each view parses
the request, calls Authlib (idp.provider) or a service, and renders or redirects."""

from __future__ import annotations

import logging

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InsecureTransportError
from flask import Blueprint
from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from idp import authorization
from idp import logout as logout_service
from idp import provider
from idp.claims import CLAIMS_SUPPORTED
from idp.claims import SCOPES
from idp.claims import session_sid
from idp.forms import ConfirmForm
from idp.forms import LoginForm
from idp.forms import confirmed
from idp.sign_in_form import password_sign_in
from idp.sign_in_form import sign_in_page
from idp.web_session import current_login
from idp.web_session import safe_next
from kernel import languages
from kernel import security_events
from kernel.clock import utcnow
from kernel.extensions import csrf
from kernel.extensions import db
from kernel.extensions import limiter
from kernel.runtime import settings
from kernel.web import add_json_endpoints
from kernel.web import add_machine_endpoints

log = logging.getLogger("guichet.idp")

bp = Blueprint("idp", __name__, template_folder="templates")
# The endpoints programs call: a malformed request gets a JSON error, not a page.
bp.record_once(
    lambda state: add_json_endpoints(
        state.app, "idp.token", "idp.revoke", "idp.introspect", "idp.userinfo"
    )
)
# …and they, with the keys and the metadata, skip the browser's shell (kernel.web.App).
bp.record_once(
    lambda state: add_machine_endpoints(
        state.app,
        "idp.token",
        "idp.revoke",
        "idp.introspect",
        "idp.userinfo",
        "idp.jwks",
        "idp.discovery",
    )
)


@bp.errorhandler(InsecureTransportError)
def _plain_http(error: InsecureTransportError):
    """OAuth 2 over plain http (a proxy that does not say it spoke https, or
    TRUSTED_PROXY_HOPS left at 0 behind one): the client gets the OAuth error, not a
    500, and the operator a warning naming the setting."""
    log.warning("plain-http OAuth request refused: check TRUSTED_PROXY_HOPS")
    return jsonify(error="invalid_request", error_description=error.description), 400


def _after_sign_in_default() -> str:
    return url_for("account.home")


# -- home and help ---------------------------------------------------------------
@bp.get("/")
def home():
    """The service's address leads to the parent's account (or its sign-in page)."""
    return redirect(url_for("account.home"))


@bp.get("/aide")
def help_page():
    """The parents' help (seed 003), linked from every page's footer and every email."""
    return render_template("idp/help.html")


@bp.get("/conditions-generales")
def terms_page():
    """The terms of use parents accept on activation, SMS self-registration and
    FranceConnect linking (SPEC §8): the version they accept is the one shown here."""
    return render_template("idp/terms.html", version=settings().accounts.terms_version)


# -- sign-in and sign-out ----------------------------------------------------------
# One budget of sign-in posts per client address, whether the form is posted to
# /connexion or straight to the authorization request.
sign_in_limit = limiter.shared_limit(
    lambda: settings().oidc.login_rate_limit,
    scope="sign-in",
    methods=["POST"],
    exempt_when=lambda: "password" not in request.form,
    on_breach=lambda _limit: security_events.sign_in("password", "throttled"),
)


@limiter.request_filter
def _authorization_by_get() -> bool:
    """A GET to the authorization endpoint has no limit (the sign-in limit counts
    posts): Flask-Limiter's bookkeeping is skipped on every single sign-on flow."""
    return request.method == "GET" and request.endpoint == "idp.authorize"


@bp.route("/connexion", methods=["GET", "POST"])
@sign_in_limit
def login():
    next_url = request.values.get("next")
    target = safe_next(next_url, _after_sign_in_default())
    if request.method == "GET" and current_login() is not None and not request.args.get("reauth"):
        return redirect(target)
    form = LoginForm(identifier=request.args.get("login_hint") or None)
    attempt = password_sign_in(form, next_url)
    if attempt.posted:
        db.session.commit()
    if attempt.login is not None:
        return redirect(target)
    if attempt.step is not None:
        return attempt.step
    action = url_for("idp.login", next=next_url) if next_url else url_for("idp.login")
    return sign_in_page(form, error=attempt.error, next_url=next_url, action=action)


@bp.get("/session")
def signed_in():
    login = current_login()
    if login is None:
        return redirect(url_for("idp.login"))
    return render_template("idp/signed_in.html", account=login.account, form=ConfirmForm())


@bp.route("/deconnexion", methods=["GET", "POST"])
@csrf.exempt
def logout():
    """Sign-out, and the RP-Initiated Logout endpoint (`end_session_endpoint`)."""
    try:
        end_request = provider.server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return render_template("idp/oidc_error.html", error=error), 400
    asks_parent = end_request.needs_confirmation or not _hint_names_this_session(end_request)
    if asks_parent and (request.method == "GET" or not confirmed()):
        return render_template(
            "idp/confirm_logout.html", form=ConfirmForm(), client=end_request.client
        )
    response = provider.server.create_endpoint_response("end_session", end_request)
    db.session.commit()
    logout_service.dispatch_pending()
    # A session opened through FranceConnect ends there too (SPEC §6.4), then
    # comes back to the service's post_logout_redirect_uri or our own page.
    upstream = logout_service.after_sign_out(
        g.pop("ended_login", None), then=end_request.redirect_uri
    )
    if upstream is not None:
        return upstream
    if response is not None:
        return response
    return render_template("idp/logged_out.html")


def _hint_names_this_session(end_request) -> bool:
    """RP-Initiated Logout §2: the ID token given as hint was issued for this browser's
    session (its `sid`); a token of another browser, leaked or replayed, signs no one
    out without the parent's confirmation."""
    login = current_login()
    if login is None:
        return True  # nobody to sign out here
    sid = session_sid(login.id, salt=provider.pairwise_salt())
    return (end_request.id_token_claims or {}).get("sid") == sid


# -- OpenID Connect endpoints -----------------------------------------------------------
@bp.route("/authorize", methods=["GET", "POST"])
@csrf.exempt
@sign_in_limit
def authorize():
    """The authorization endpoint (idp.authorization). Without a usable session it
    shows the sign-in form, which posts back here: a correct password answers the
    service with its code at once (no detour through /connexion)."""
    if request.method == "GET":
        provider.statements_commit_alone()
    answered = authorization.answer(now=utcnow())
    if answered.commit:
        db.session.commit()  # its one commit (idp.authorization says which answers keep)
    return answered.response


# Machine endpoints carry no guessable secret (client secrets and tokens are 256-bit
# random values; a wrong one gets the OAuth error), so Flask-Limiter's per-request
# bookkeeping is skipped for them; the sign-in form keeps its limit.
@bp.post("/token")
@csrf.exempt
@limiter.exempt
def token():
    response = provider.server.create_token_response()
    db.session.commit()
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
@csrf.exempt
@limiter.exempt
def userinfo():
    provider.statements_commit_alone()
    return provider.server.create_endpoint_response("userinfo")


@bp.post("/revoke")
@csrf.exempt
@limiter.exempt
def revoke():
    return provider.server.create_endpoint_response("revocation")


@bp.post("/introspect")
@csrf.exempt
@limiter.exempt
def introspect():
    return provider.server.create_endpoint_response("introspection")


@bp.get("/jwks.json")
@limiter.exempt
def jwks():
    response = jsonify(provider.public_jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/.well-known/openid-configuration")
@limiter.exempt
def discovery():
    response = jsonify(provider_metadata())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def provider_metadata() -> dict:
    """OpenID Connect Discovery 1.0 §3, RFC 8414, RFC 9207, Back-Channel Logout §2.1."""
    base = provider.issuer()
    algs = sorted({key["alg"] for key in provider.public_jwks()["keys"]}) or ["RS256"]
    auth_methods = provider.ALL_AUTH_METHODS
    return {
        "issuer": base,
        "authorization_endpoint": base + "/authorize",
        "token_endpoint": base + "/token",
        "userinfo_endpoint": base + "/userinfo",
        "jwks_uri": base + "/jwks.json",
        "end_session_endpoint": base + "/deconnexion",
        "revocation_endpoint": base + "/revoke",
        "introspection_endpoint": base + "/introspect",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": provider.CONFIDENTIAL_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent"],
        "acr_values_supported": ["eidas1"],
        "ui_locales_supported": list(languages.LANGUAGES),
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "authorization_response_iss_parameter_supported": True,
    }
