"""The authorization endpoint, step by step (SPEC §7; OIDC Core §3.1.2, RFC 6749
§4.1): the browser's session, the request Authlib validates, a password posted to
the request itself, `prompt` and `max_age`, consent, then the code.

`answer` returns the response with whether the request's writes are to be kept, so
that the view commits in one place: a code (with a session opened or a consent
given in the same request), the consent page (a session just opened here), a
refused password (it counts towards throttling) and the journey a temporary
password leads to are committed; the other answers keep nothing (on a POST, not
even the session's idle-clock refresh; a GET's statements commit alone).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import NamedTuple
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oidc.core.errors import ConsentRequiredError
from authlib.oidc.core.errors import LoginRequiredError
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError

from accounts.models import AccountState
from accounts.sessions import LiveLogin
from idp import consents
from idp import provider
from idp.claims import SCOPES
from idp.claims import Subject
from idp.forms import ConfirmForm
from idp.forms import LoginForm
from idp.forms import confirmed
from idp.sign_in_form import password_sign_in
from idp.sign_in_form import sign_in_page
from idp.web_session import current_live_login
from kernel.extensions import db

# Fields of the forms posted to the authorization request, not of the request itself.
NOT_AUTHORIZATION_FIELDS = ("csrf_token", "decision", "identifier", "password")


class Answer(NamedTuple):
    """The response to the authorization request, and whether to commit its writes."""

    response: ResponseReturnValue
    commit: bool = False


def answer(*, now: dt.datetime) -> Answer:
    """Each step either answers or hands over to the next."""
    live = current_live_login()
    # A session whose account is no longer Activé signs in again too (no loop).
    login = live if live is not None and live.account_state == AccountState.ACTIVATED else None
    subject = _subject(login) if login is not None else None
    try:
        grant = provider.server.get_consent_grant(end_user=subject)
    except OAuth2Error as error:
        return Answer(_error_response(error))
    prompts = (request.values.get("prompt") or "").split()
    if request.method == "POST" and "password" in request.form:
        signed_in = _sign_in_posted_here(reauth=live is not None)
        if isinstance(signed_in, Answer):
            return signed_in
        login, subject = signed_in, _subject(signed_in)
    elif subject is None or "login" in prompts or _too_old(login, now):
        return _ask_for_password(grant, prompts, reauth=live is not None)
    subject.client = grant.client
    refused = _consent(grant, login, prompts, now=now)
    if refused is not None:
        return refused
    try:
        response = provider.server.create_authorization_response(
            request=grant.request, grant=grant, grant_user=subject
        )
    except IntegrityError:
        # The service was removed a moment ago while this process still had it in its
        # cache (`guichet clients remove`): its code cannot be kept; refuse as for an
        # unknown service.
        db.session.rollback()
        provider.client_cache().clear()
        return Answer(_error_response(InvalidClientError()))
    return Answer(response, commit=True)


def _sign_in_posted_here(*, reauth: bool) -> LiveLogin | Answer:
    """The sign-in form posted back to the authorization request: the session it
    opened (to be committed with the code), or the page again, or the journey a
    temporary password leads to, which comes back here."""
    back = _authorization_url(reauth=reauth)
    form = LoginForm()
    attempt = password_sign_in(form, back)
    if attempt.step is not None:
        return Answer(attempt.step, commit=True)
    if attempt.login is None:
        page = sign_in_page(form, error=attempt.error, next_url=back, action=back)
        return Answer(page, commit=attempt.posted)
    db.session.flush()  # the session row before its code's
    return LiveLogin.of(attempt.login, AccountState.ACTIVATED)


def _ask_for_password(grant, prompts: list[str], *, reauth: bool) -> Answer:
    """No usable session, `prompt=login` or `max_age` exceeded: the sign-in form,
    posting back here; `prompt=none` forbids it (OIDC Core §3.1.2.6)."""
    if "none" in prompts:
        state = request.values.get("state")
        return Answer(
            _error_response(LoginRequiredError(redirect_uri=grant.redirect_uri, state=state))
        )
    back = _authorization_url(reauth=reauth)
    form = LoginForm(identifier=request.values.get("login_hint") or None)
    return Answer(sign_in_page(form, error=None, next_url=back, action=back))


def _consent(grant, login: LiveLogin, prompts: list[str], *, now: dt.datetime) -> Answer | None:
    """SPEC §7: a service that is not trusted asks once for its scopes (again with
    `prompt=consent`). None when the parent agreed before or agrees now (recorded)."""
    client, scope = grant.client, grant.request.scope
    if client.trusted:
        return None
    if "consent" not in prompts and consents.covers(login.account_id, client, scope):
        return None
    if "none" in prompts:
        state = request.values.get("state")
        return Answer(
            _error_response(ConsentRequiredError(redirect_uri=grant.redirect_uri, state=state))
        )
    decision = request.form.get("decision") if request.method == "POST" else None
    if decision is None or not confirmed():
        scopes = [SCOPES[s] for s in scope.split() if s in SCOPES]
        page = render_template(
            "idp/consent.html",
            client=client,
            scopes=scopes,
            form=ConfirmForm(),
            action=request.full_path,
        )
        return Answer(page, commit=True)  # keeps a session just opened here
    if decision != "allow":
        return Answer(
            provider.server.create_authorization_response(
                request=grant.request, grant=grant, grant_user=None
            )
        )
    consents.record(login.account_id, client, scope, now=now)
    return None


def _subject(login: LiveLogin) -> Subject:
    return Subject(
        account_id=login.account_id,
        client=None,
        login_session_id=login.id,
        claims_request=_claims_parameter(),
        login=login,
    )


def _too_old(login: LiveLogin, now: dt.datetime) -> bool:
    """OIDC Core §3.1.2.1 `max_age`: the last authentication is older than asked."""
    max_age = _int(request.values.get("max_age"))
    return max_age is not None and (now - login.auth_time).total_seconds() > max_age


def _authorization_url(*, reauth: bool) -> str:
    """This authorization request as a GET URL to come back to after a step elsewhere
    (FranceConnect, activation…), without `prompt=login` (no loop) nor, after a
    re-authentication, `max_age`."""
    args = request.args.to_dict(flat=True)
    if request.method == "POST":
        args.update({k: v for k, v in request.form.items() if k not in NOT_AUTHORIZATION_FIELDS})
    prompts = [p for p in (args.pop("prompt", "") or "").split() if p != "login"]
    if prompts:
        args["prompt"] = " ".join(prompts)
    if reauth:
        args.pop("max_age", None)
    return url_for("idp.authorize") + "?" + urlencode(args)


def _error_response(error: OAuth2Error) -> ResponseReturnValue:
    """RFC 6749 §4.1.2.1: errors go back to the client only when the client and its
    redirect URI are known and valid; otherwise the parent sees an error page."""
    if getattr(error, "redirect_uri", None):
        response = provider.server.handle_error_response(None, error)
        provider.Issuer().add_issuer_parameter(provider.server, response)
        return response
    return render_template("idp/oidc_error.html", error=error), 400


def _claims_parameter() -> dict | None:
    """OIDC Core §5.5 `claims`: honoured when well-formed, ignored otherwise."""
    raw = request.values.get("claims")
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None
