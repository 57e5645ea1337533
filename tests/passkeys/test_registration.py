"""A signed-in parent adds passkeys from the account page, names, renames and removes
them (issue 17); each ceremony's challenge is the server's, single-use and short-lived,
and the real WebAuthn library verifies the software authenticator's answer."""

from __future__ import annotations

import datetime as dt
import json

import time_machine

from accounts.models import AuditEvent
from kernel.extensions import db
from passkeys.models import Passkey
from tests import factories
from tests.passkeys.authenticator import SoftwareAuthenticator
from tests.passkeys.authenticator import unb64url
from tests.passkeys.conftest import csrf_token
from tests.passkeys.conftest import register
from tests.passkeys.conftest import registration_options
from tests.passkeys.conftest import sign_in_with_password
from tests.passkeys.conftest import text


def passkeys_of(account) -> list[Passkey]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Passkey).where(Passkey.account_id == account.id)))


def actions_on(account) -> list[str]:
    events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))
    return [e.action for e in events if account in e.accounts]


def test_parent_registers_a_named_passkey_and_sees_it_listed(client, parent, authenticator):
    sign_in_with_password(client, parent)
    response = register(client, authenticator, name="  Téléphone   de Karima ")
    assert response.status_code == 302 and response.location.endswith("/compte/cles-d-acces")
    page = text(client.get("/compte/cles-d-acces"))
    assert "La clé d'accès « Téléphone de Karima » est enregistrée." in page
    assert "<td>Téléphone de Karima</td>" in page
    [passkey] = passkeys_of(parent)
    assert passkey.credential_id == authenticator.credentials[0].id
    assert passkey.transports == ["internal", "hybrid"]
    assert "passkey.added" in actions_on(parent)


def test_options_ask_for_a_discoverable_verified_key_the_authenticator_does_not_hold(
    client, parent, authenticator
):
    sign_in_with_password(client, parent)
    register(client, authenticator)
    options, _ = registration_options(client)
    assert options["rp"]["id"] == "localhost"
    assert options["user"]["name"] == parent.identifier
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    held = authenticator.credentials[0]
    assert [unb64url(c["id"]) for c in options["excludeCredentials"]] == [held.id]
    # The same user handle for every passkey of the account, never the identifier.
    assert unb64url(options["user"]["id"]) == held.user_handle
    assert parent.identifier.encode() not in held.user_handle


def test_a_parent_may_hold_several_passkeys_with_default_names(client, parent):
    sign_in_with_password(client, parent)
    register(client, SoftwareAuthenticator(), name="")
    register(client, SoftwareAuthenticator(), name="")
    names = [p.name for p in passkeys_of(parent)]
    assert names == ["Clé d'accès n° 1", "Clé d'accès n° 2"]


def test_an_answer_to_an_earlier_challenge_is_refused(client, parent, authenticator):
    sign_in_with_password(client, parent)
    first, token = registration_options(client)
    registration_options(client)  # the page asked again: only the newest challenge counts
    response = client.post(
        "/compte/cles-d-acces",
        data={"csrf_token": token, "credential": json.dumps(authenticator.create(first))},
    )
    assert response.status_code == 400
    assert "n'a pas pu être enregistrée" in text(response)
    assert passkeys_of(parent) == []


def test_a_registration_challenge_is_single_use(client, parent, authenticator):
    sign_in_with_password(client, parent)
    options, token = registration_options(client)
    data = {"csrf_token": token, "credential": json.dumps(authenticator.create(options))}
    assert client.post("/compte/cles-d-acces", data=data).status_code == 302
    again = client.post("/compte/cles-d-acces", data=data)
    assert again.status_code == 400
    assert "a expiré ou a déjà servi" in text(again)
    assert len(passkeys_of(parent)) == 1


def test_a_registration_challenge_expires_after_five_minutes(client, parent, authenticator):
    start = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        sign_in_with_password(client, parent)
        options, token = registration_options(client)
        traveller.shift(dt.timedelta(minutes=5, seconds=1))
        response = client.post(
            "/compte/cles-d-acces",
            data={"csrf_token": token, "credential": json.dumps(authenticator.create(options))},
        )
    assert response.status_code == 400 and "a expiré" in text(response)
    assert passkeys_of(parent) == []


def test_an_answer_made_for_another_site_is_refused(client, parent, authenticator):
    sign_in_with_password(client, parent)
    response = register(client, authenticator, origin="https://phishing.example")
    assert response.status_code == 400
    assert passkeys_of(parent) == []


def test_an_authenticator_that_did_not_verify_its_holder_is_refused(client, parent, authenticator):
    sign_in_with_password(client, parent)
    assert register(client, authenticator, verified=False).status_code == 400
    assert passkeys_of(parent) == []


def test_a_garbled_answer_is_refused_in_french_not_a_server_error(client, parent):
    sign_in_with_password(client, parent)
    _, token = registration_options(client)
    for garbage in ("{", "[]", '{"id": "x", "rawId": "x", "response": {}}', "null"):
        response = client.post(
            "/compte/cles-d-acces", data={"csrf_token": token, "credential": garbage}
        )
        assert response.status_code == 400, garbage
        assert "Erreur" in text(response)


def test_without_javascript_the_page_says_passkeys_need_it(client, parent):
    sign_in_with_password(client, parent)
    page = text(client.get("/compte/cles-d-acces"))
    assert "a besoin de JavaScript" in page
    assert '<form id="passkey-add" method="post"' in page and "novalidate hidden" in page
    response = client.post(
        "/compte/cles-d-acces", data={"csrf_token": csrf_token(page), "name": "Clé"}
    )
    assert response.status_code == 400
    assert "les clés d'accès ont besoin de JavaScript" in text(response)


def test_options_need_the_page_csrf_token(client, parent):
    sign_in_with_password(client, parent)
    assert client.post("/compte/cles-d-acces/options").status_code == 400


def test_the_account_page_leads_to_the_passkeys(client, parent, authenticator):
    sign_in_with_password(client, parent)
    page = text(client.get("/compte"))
    assert "Clés d'accès" in page and 'href="/compte/cles-d-acces"' in page
    register(client, authenticator)
    assert "avec 1 clé d'accès" in text(client.get("/compte"))


def test_signed_out_the_passkey_pages_lead_to_sign_in(client, parent):
    response = client.get("/compte/cles-d-acces")
    assert response.status_code == 302 and "/connexion" in response.location


def test_parent_renames_a_passkey_and_it_is_audited(client, parent, authenticator):
    sign_in_with_password(client, parent)
    register(client, authenticator, name="Ancien nom")
    [passkey] = passkeys_of(parent)
    path = f"/compte/cles-d-acces/{passkey.id}/renommer"
    page = text(client.get(path))
    assert 'value="Ancien nom"' in page
    empty = client.post(path, data={"csrf_token": csrf_token(page), "name": " "})
    assert empty.status_code == 400 and "Saisissez un nom." in text(empty)
    done = client.post(path, data={"csrf_token": csrf_token(page), "name": "Clé USB"})
    assert done.status_code == 302
    assert [p.name for p in passkeys_of(parent)] == ["Clé USB"]
    assert "passkey.renamed" in actions_on(parent)


def test_parent_removes_a_passkey_and_it_is_audited(client, parent, authenticator):
    sign_in_with_password(client, parent)
    register(client, authenticator, name="À retirer")
    [passkey] = passkeys_of(parent)
    page = text(client.get("/compte/cles-d-acces"))
    response = client.post(
        f"/compte/cles-d-acces/{passkey.id}/supprimer", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    assert "« À retirer » est supprimée" in text(client.get("/compte/cles-d-acces"))
    assert passkeys_of(parent) == []
    assert "passkey.removed" in actions_on(parent)


def test_nobody_renames_or_removes_another_parents_passkey(client, app, parent, school):
    other = factories.make_family(school, first_name="Awa", last_name="Diallo")[0].account
    factories.activate(other, password="Secret123")
    db.session.commit()
    other_client = app.test_client()
    sign_in_with_password(other_client, other)
    register(other_client, SoftwareAuthenticator())
    [theirs] = passkeys_of(other)
    sign_in_with_password(client, parent)
    token = csrf_token(text(client.get("/compte/cles-d-acces")))
    assert client.get(f"/compte/cles-d-acces/{theirs.id}/renommer").status_code == 404
    removed = client.post(f"/compte/cles-d-acces/{theirs.id}/supprimer", data={"csrf_token": token})
    assert removed.status_code == 404
    assert len(passkeys_of(other)) == 1
