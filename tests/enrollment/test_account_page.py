"""The parent's account page (SPEC §6.7, §8; seed 003 «Comment gérer son compte»):
children, email change (two mails, pending shown, resend), mobile change (SMS code,
resend after a delay), password change (current one required), terms recorded."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.models import AccountState
from accounts.sessions import LoginSession
from kernel.clock import utcnow
from kernel.extensions import db
from tests import factories
from tests.enrollment.conftest import code_in
from tests.enrollment.conftest import last_message
from tests.enrollment.conftest import link_in
from tests.enrollment.conftest import text

START = dt.datetime(2026, 11, 24, 9, 30)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def parent(client, app_ctx, school, clock):
    account = factories.make_family(school, children=2)[0].account
    factories.activate(account, password="Secret123")
    account.email, account.email_verified = "ancienne@example.org", True
    account.terms_version, account.terms_accepted_at = "2026-09", START
    login = factories.sign_in_client(client, account, now=START)
    return account, login


def test_the_account_page_needs_a_session(client):
    response = client.get("/compte")
    assert response.headers["Location"] == "/connexion?next=/compte"


def test_the_account_page_shows_the_parent_and_children(client, parent):
    account, _ = parent
    page = text(client.get("/compte"))
    assert account.identifier in page
    assert "Léa" in page and "Hugo" in page and "11/04/2016" in page
    assert "ancienne@example.org" in page
    assert "Version 2026-09 acceptée le 24/11/2026 à 10:30" in page
    assert "Ajouter des enfants depuis un autre compte" in page


def test_changing_the_email_mails_both_addresses_and_stays_pending(client, parent, clock):
    account, _ = parent
    response = client.post(
        "/compte/adresse", data={"email": "nouvelle@example.org", "confirm": "nouvelle@example.org"}
    )
    assert response.headers["Location"] == "/compte"
    assert "nouvelle@example.org" in last_message("ancienne@example.org").body
    link = link_in(last_message("nouvelle@example.org"))
    page = text(client.get("/compte"))
    assert "L'adresse nouvelle@example.org est en attente de confirmation" in page.replace(
        "&#39;", "'"
    )
    assert "Renvoyer un email de validation" in page
    db.session.refresh(account)
    assert account.email == "ancienne@example.org"

    assert "Envoyer" in text(client.get(link))
    assert "nouvelle@example.org" in text(client.post(link))
    db.session.refresh(account)
    assert account.email == "nouvelle@example.org" and account.email_verified
    assert "en attente de confirmation" not in text(client.get("/compte"))


def test_resending_the_validation_email_replaces_the_link(client, parent, clock):
    client.post(
        "/compte/adresse", data={"email": "nouvelle@example.org", "confirm": "nouvelle@example.org"}
    )
    first = link_in(last_message("nouvelle@example.org"))
    response = client.post("/compte/adresse/renvoyer")
    assert response.headers["Location"] == "/compte"
    second = link_in(last_message("nouvelle@example.org"))
    assert first != second
    assert client.post(first).status_code == 400
    assert client.post(second).status_code == 200


def test_the_email_change_link_expires_after_3_days(client, parent, clock):
    client.post(
        "/compte/adresse", data={"email": "nouvelle@example.org", "confirm": "nouvelle@example.org"}
    )
    link = link_in(last_message("nouvelle@example.org"))
    clock.shift(dt.timedelta(days=3, minutes=1))
    assert "Ce lien a expiré" in text(client.post(link))


def test_the_two_addresses_must_match(client, parent):
    response = client.post(
        "/compte/adresse", data={"email": "nouvelle@example.org", "confirm": "autre@example.org"}
    )
    assert "Les deux adresses saisies ne sont pas identiques." in text(response)


def test_changing_the_mobile_with_an_sms_code(client, parent, clock):
    account, _ = parent
    response = client.post("/compte/mobile", data={"region": "FR", "mobile": "07 81 22 33 44"})
    assert response.headers["Location"] == "/compte/mobile/code"
    code = code_in(last_message("+33781223344"))
    assert client.post("/compte/mobile/code", data={"code": code}).headers["Location"] == "/compte"
    db.session.refresh(account)
    assert account.mobile == "+33781223344" and account.mobile_verified


def test_a_wrong_mobile_code_is_refused(client, parent, clock):
    account, _ = parent
    client.post("/compte/mobile", data={"region": "FR", "mobile": "07 81 22 33 44"})
    good = code_in(last_message("+33781223344"))
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post("/compte/mobile/code", data={"code": wrong})
    assert "incorrect ou a expiré" in text(response)
    db.session.refresh(account)
    assert account.mobile != "+33781223344"


def test_a_new_mobile_code_only_after_a_delay(client, parent, clock):
    client.post("/compte/mobile", data={"region": "FR", "mobile": "07 81 22 33 44"})
    first = code_in(last_message("+33781223344"))
    client.post("/compte/mobile/renvoyer")
    assert "patientez une minute" in text(client.get("/compte/mobile/code"))
    clock.shift(dt.timedelta(seconds=61))
    client.post("/compte/mobile/renvoyer")
    second = last_message("+33781223344")
    assert "Un nouveau code vous est envoyé" in text(client.get("/compte/mobile/code"))
    assert client.post("/compte/mobile/code", data={"code": code_in(second)}).status_code == 302
    assert first  # the first code was replaced by the second


def test_a_landline_cannot_become_the_mobile(client, parent):
    response = client.post("/compte/mobile", data={"region": "FR", "mobile": "01 23 45 67 89"})
    assert "pas un numéro de téléphone mobile valide" in text(response).replace("&#39;", "'")


def test_changing_the_password_needs_the_current_one(client, parent, clock):
    account, login = parent
    other = factories.sign_in_client(client.application.test_client(), account, now=START)
    response = client.post(
        "/compte/mot-de-passe",
        data={"current": "Mauvais123", "password": "Nouveau2026", "confirm": "Nouveau2026"},
    )
    assert "Le mot de passe actuel saisi est incorrect." in text(response)
    response = client.post(
        "/compte/mot-de-passe",
        data={"current": "Secret123", "password": "Nouveau2026", "confirm": "Nouveau2026"},
    )
    assert response.headers["Location"] == "/compte"
    assert db.session.get(LoginSession, other.id).ended_reason == "password_changed"
    assert db.session.get(LoginSession, login.id).ended_at is None
    assert client.get("/compte").status_code == 200


def test_wrong_current_passwords_are_throttled(client, parent, clock):
    for _ in range(5):
        client.post(
            "/compte/mot-de-passe",
            data={"current": "Mauvais123", "password": "Nouveau2026", "confirm": "Nouveau2026"},
        )
    response = client.post(
        "/compte/mot-de-passe",
        data={"current": "Secret123", "password": "Nouveau2026", "confirm": "Nouveau2026"},
    )
    assert "Trop de tentatives" in text(response)


def test_the_new_password_follows_the_policy(client, parent):
    response = client.post(
        "/compte/mot-de-passe",
        data={"current": "Secret123", "password": "abcdefgh", "confirm": "abcdefgh"},
    )
    assert "au moins un chiffre" in text(response)


def test_an_account_in_activation_says_an_email_awaits(client, app_ctx, school):
    account = factories.make_family(school)[0].account
    factories.set_state(account, AccountState.ACTIVATING)
    factories.sign_in_client(client, account)
    assert "en attente de confirmation" in text(client.get("/compte"))


def test_the_account_page_shows_the_franceconnect_link(client, activated_account):
    from federation.models import FranceConnectLink as Link

    link = Link(sub="fc-sub-1", account=activated_account, linked_at=utcnow())
    db.session.add(link)
    db.session.commit()
    factories.sign_in_client(client, activated_account)
    page = text(client.get("/compte"))
    assert "Votre compte est lié à l'identité FranceConnect" in page
    assert f'action="/franceconnect/liens/{link.id}/supprimer"' in page


def test_the_account_page_offers_to_link_franceconnect(client, activated_account):
    factories.sign_in_client(client, activated_account)
    page = text(client.get("/compte"))
    assert "Votre compte n'est pas lié à FranceConnect" in page
    assert "Lier mon compte à FranceConnect" in page
