"""Signing in with a passkey (issue 17): the authenticator picks the account, the real
library verifies its signature over the server's single-use challenge, and the
session opened is a password sign-in's (same `acr`, `amr` saying how) — unless the
account's rules keep it closed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from accounts.models import AccountState
from accounts.models import AuditEvent
from accounts.sessions import LoginSession
from idp.web_session import SESSION_KEY
from kernel.extensions import db
from passkeys.models import Passkey
from tests import factories
from tests.passkeys.authenticator import SoftwareAuthenticator
from tests.passkeys.conftest import csrf_token
from tests.passkeys.conftest import post_assertion
from tests.passkeys.conftest import register
from tests.passkeys.conftest import sign_in_options
from tests.passkeys.conftest import sign_in_with_passkey
from tests.passkeys.conftest import sign_in_with_password
from tests.passkeys.conftest import text

NOT_RECOGNISED = "Cette clé d'accès n'a pas été reconnue."


@pytest.fixture
def registered(app, parent, authenticator):
    """The parent added a passkey on their own browser, then closed it."""
    own_browser = app.test_client()
    sign_in_with_password(own_browser, parent)
    assert register(own_browser, authenticator).status_code == 302
    return authenticator


def session_of(client) -> LoginSession | None:
    with client.session_transaction() as browser:
        session_id = browser.get(SESSION_KEY)
    db.session.expire_all()
    return db.session.get(LoginSession, session_id) if session_id else None


def test_a_passkey_signs_the_parent_in_as_a_password_does(client, parent, registered):
    response = sign_in_with_passkey(client, registered)
    assert response.status_code == 302 and response.location.endswith("/compte")
    login = session_of(client)
    assert login.account_id == parent.id
    assert login.amr == ["hwk", "user"] and login.acr == "eidas1"
    assert login.auth_time == login.created_at
    assert parent.last_login_at == login.auth_time
    assert "Mon compte" in text(client.get("/compte"))
    passkey = db.session.scalars(db.select(Passkey)).one()
    assert passkey.sign_count == 1 and passkey.last_used_at == login.auth_time


def test_the_sign_in_page_offers_passkeys_and_names_no_account(client, registered):
    page = text(client.get("/connexion"))
    assert "Se connecter avec une clé d'accès" in page
    assert 'autocomplete="username webauthn"' in page
    assert '<script type="module" src="/passkeys/static/passkeys.js"></script>' in page
    options, _, _ = sign_in_options(client)
    assert options.get("allowCredentials", []) == []
    assert options["userVerification"] == "required"
    assert options["rpId"] == "localhost"


def test_without_javascript_the_sign_in_page_explains_and_keeps_the_password(client, app_ctx):
    page = text(client.get("/connexion"))
    assert "La connexion avec une clé d'accès a besoin de JavaScript" in page
    assert '<form id="passkey-sign-in" method="post" action="/connexion/cle-d-acces" hidden' in page
    assert 'name="password"' in page and "Se connecter avec son identifiant" in page
    # A post without the authenticator's answer: the page again, in French, password form kept.
    response = client.post("/connexion/cle-d-acces", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 400
    assert "les clés d'accès ont besoin de JavaScript" in text(response)
    assert 'name="password"' in text(response)
    assert session_of(client) is None


def test_an_answer_to_an_earlier_challenge_is_refused(client, registered):
    first, token, _ = sign_in_options(client)
    sign_in_options(client)  # asked again (the button after the suggestions): only the last counts
    response = post_assertion(client, registered.get(first), token)
    assert response.status_code == 400 and NOT_RECOGNISED in text(response)
    assert session_of(client) is None


def test_a_replayed_assertion_is_refused(app, client, registered):
    options, token, _ = sign_in_options(client)
    assertion = registered.get(options)
    assert post_assertion(client, assertion, token).status_code == 302
    # The same answer again, by another browser that asked for its own challenge…
    thief = app.test_client()
    _, thief_token, _ = sign_in_options(thief)
    assert post_assertion(thief, assertion, thief_token).status_code == 400
    assert session_of(thief) is None
    # …or by one that posts it twice: the challenge was spent by the first.
    again = app.test_client()
    options, token, _ = sign_in_options(again)
    assertion = registered.get(options)
    assert post_assertion(again, assertion, token).status_code == 302
    fresh_token = csrf_token(text(again.get("/compte/cles-d-acces")))  # its new session's
    replay = post_assertion(again, assertion, fresh_token)
    assert replay.status_code == 400 and "a expiré ou a déjà servi" in text(replay)


def test_a_sign_in_challenge_expires_after_five_minutes(client, registered):
    start = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        options, token, _ = sign_in_options(client)
        traveller.shift(dt.timedelta(minutes=5, seconds=1))
        response = post_assertion(client, registered.get(options), token)
    assert response.status_code == 400 and "a expiré" in text(response)


def test_a_sign_count_going_back_is_refused_and_audited(client, app, parent, registered):
    assert sign_in_with_passkey(client, registered).status_code == 302  # count 1
    clone = app.test_client()
    response = sign_in_with_passkey(clone, registered, sign_count=1)  # a copy replays count 1
    assert response.status_code == 400 and NOT_RECOGNISED in text(response)
    assert session_of(clone) is None
    events = db.session.scalars(db.select(AuditEvent)).all()
    assert "passkey.sign_count_regressed" in [e.action for e in events]


def test_a_passkey_without_a_counter_signs_in_again_and_again(app, parent):
    synced = SoftwareAuthenticator(counter=False)
    own_browser = app.test_client()
    sign_in_with_password(own_browser, parent)
    register(own_browser, synced)
    for _ in range(3):
        assert sign_in_with_passkey(app.test_client(), synced).status_code == 302


def test_a_forged_signature_is_refused(client, registered):
    options, token, _ = sign_in_options(client)
    assertion = registered.get(options)
    forged = json.loads(json.dumps(assertion))
    forged["response"]["signature"] = registered.get(options)["response"]["signature"][::-1]
    response = post_assertion(client, forged, token)
    assert response.status_code == 400 and NOT_RECOGNISED in text(response)


def test_an_answer_made_for_another_site_is_refused(client, registered):
    response = sign_in_with_passkey(client, registered, origin="https://phishing.example")
    assert response.status_code == 400 and session_of(client) is None


def test_an_authenticator_that_did_not_verify_its_holder_is_refused(client, registered):
    response = sign_in_with_passkey(client, registered, verified=False)
    assert response.status_code == 400 and session_of(client) is None


def test_an_unknown_passkey_gets_the_same_answer_as_a_bad_one(client, registered):
    stranger = SoftwareAuthenticator()
    stranger.create(
        {"rp": {"id": "localhost"}, "user": {"id": "AAAA", "name": "x"}, "challenge": "AAAA"}
    )
    response = sign_in_with_passkey(client, stranger)
    assert response.status_code == 400 and NOT_RECOGNISED in text(response)


def test_a_removed_passkey_no_longer_signs_in(app, client, parent, registered):
    own_browser = app.test_client()
    sign_in_with_password(own_browser, parent)
    page = text(own_browser.get("/compte/cles-d-acces"))
    passkey = db.session.scalars(db.select(Passkey)).one()
    own_browser.post(
        f"/compte/cles-d-acces/{passkey.id}/supprimer", data={"csrf_token": csrf_token(page)}
    )
    response = sign_in_with_passkey(client, registered)
    assert response.status_code == 400 and NOT_RECOGNISED in text(response)
    assert session_of(client) is None


def test_a_merged_away_account_cannot_sign_in_with_its_passkey(client, parent, registered):
    factories.set_state(parent, AccountState.DELETED)
    db.session.commit()
    response = sign_in_with_passkey(client, registered)
    assert response.status_code == 400
    assert "Ce compte ne peut pas se connecter" in text(response)
    assert session_of(client) is None


def test_a_locked_account_cannot_sign_in_with_a_passkey(client, parent, registered):
    """Twenty wrong passwords lock the account's sign-in until the school lifts it: a
    passkey does not go around the lock."""
    factories.fail_attempts("password", f"password:{parent.identifier}", account=parent, count=20)
    db.session.commit()
    response = sign_in_with_passkey(client, registered)
    assert response.status_code == 400
    assert "ce parcours est bloqué" in text(response)
    assert session_of(client) is None


@pytest.mark.parametrize("garbage", ["{", "[]", "null", '{"id": "AA", "rawId": "AA"}', "x" * 500])
def test_a_garbled_answer_gets_the_page_again_not_a_server_error(client, garbage):
    _, token, _ = sign_in_options(client)
    response = client.post(
        "/connexion/cle-d-acces", data={"csrf_token": token, "credential": garbage}
    )
    assert response.status_code == 400 and "Erreur" in text(response)


def test_passkey_sign_ins_are_rate_limited_per_address(make_app, parent, registered):
    app = make_app(LOGIN_RATE_LIMIT="2/minute")
    client = app.test_client()
    statuses = []
    for _ in range(3):
        _, token, _ = sign_in_options(client)
        statuses.append(post_assertion(client, "{", token).status_code)
    assert statuses == [400, 400, 429]


def test_next_is_followed_only_to_a_local_page(client, registered):
    options, token, _ = sign_in_options(client)
    response = post_assertion(client, registered.get(options), token, "https://evil.example/")
    assert response.status_code == 302 and response.location.endswith("/compte")


def test_the_script_is_served_from_the_project(client):
    """CSP `script-src 'self'`: the page's one script comes from us, no inline code."""
    response = client.get("/passkeys/static/passkeys.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert b"navigator.credentials.get" in response.data
    assert b"navigator.credentials.create" in response.data
    page = text(client.get("/connexion"))
    assert "<script>" not in page and " onclick=" not in page
