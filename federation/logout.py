"""Signing out of Guichet and, for a session opened through FranceConnect, of
FranceConnect too (SPEC §6.4: RP-initiated logout with `id_token_hint`, `state`
and the registered `post_logout_redirect_uri`)."""

from __future__ import annotations

import logging
import secrets

from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

from federation import bp
from federation import forms
from federation.client import FranceConnectError
from federation.views import franceconnect
from federation.views import same_text
from idp.logout import dispatch_pending
from idp.logout import sign_out_browser
from idp.logout import signed_out
from kernel.clock import utcnow
from kernel.extensions import db

log = logging.getLogger(__name__)

LOGOUT_KEY = "fc_logout_state"


@signed_out.connect
def _chain_after_sign_out(_app, *, login, then):
    """The provider's sign-out (its end-session endpoint) goes on to FranceConnect."""
    return chain_sign_out(login, then=then)


def chain_sign_out(login, *, then: str | None = None):
    """After Guichet's own sign-out: the redirect to FranceConnect's logout when the
    session came from FranceConnect (SPEC §6.4), else None.

    `login` is the session the sign-out ended; `then` is where to go once
    FranceConnect sends the browser back (a relying party's validated
    post_logout_redirect_uri), else our «vous êtes déconnecté» page."""
    if login is None or not login.upstream_id_token:
        return None
    state = secrets.token_urlsafe(24)
    try:
        url = franceconnect().logout_url(id_token_hint=login.upstream_id_token, state=state)
    except FranceConnectError as error:
        log.warning("FranceConnect logout not chained: %s %s", error.code, error.context)
        return None
    if url is None:
        return None
    session[LOGOUT_KEY] = {"state": state, "then": then or ""}
    return redirect(url)


@bp.route("/deconnexion", methods=["GET", "POST"])
def logout():
    """Sign out of Guichet, then of FranceConnect when the session came from it
    (a confirmation page, then a CSRF-protected POST)."""
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        return render_template("federation/logout.html", form=form)
    login = sign_out_browser(now=utcnow())
    db.session.commit()
    dispatch_pending()  # the services of the session hear of it (back-channel logout)
    return chain_sign_out(login) or redirect(url_for("federation.logged_out"))


@bp.get("/deconnexion/fin")
def logged_out():
    """FranceConnect's post_logout_redirect_uri (also the end of a plain sign-out)."""
    expected = session.pop(LOGOUT_KEY, None) or {}
    received = request.args.get("state")
    franceconnect_done = bool(
        expected.get("state") and received and same_text(received, expected["state"])
    )
    if franceconnect_done and expected.get("then"):
        return redirect(expected["then"])
    return render_template(
        "federation/logged_out.html",
        franceconnect_done=franceconnect_done,
        login_url=url_for("idp.login"),
    )
