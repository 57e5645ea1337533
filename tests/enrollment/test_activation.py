"""Activation of a distributed account (SPEC §4, §6.2): temporary password → new
password, email, birth date of the named child → En cours d'activation → C07 →
link → Activé; 3-month deadlines; the console's resend (send_activation_email)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts import email_links
from accounts.activation_email import send_activation_email
from accounts.errors import ForbiddenTransition
from accounts.models import AccountState
from kernel import runtime
from kernel.clock import utcnow
from kernel.extensions import db
from tests import factories
from tests.enrollment.conftest import last_message
from tests.enrollment.conftest import link_in
from tests.enrollment.conftest import text

START = dt.datetime(2026, 11, 24, 9, 30)
BIRTH = "2016-04-11"  # factories.make_pupil's default birth date


@pytest.fixture
def notified(app_ctx, school):
    guardian, _pupils = factories.make_family(school)
    account = guardian.account
    factories.set_state(account, AccountState.NOTIFIED, now=START)
    temporary = runtime.passwords().temporary_password(account)
    db.session.commit()
    return account, temporary


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def sign_in(client, account, password, next_url="/services/lsun"):
    return client.post(
        f"/connexion?next={next_url}",
        data={"identifier": account.identifier, "password": password},
    )


def activation_form(**changes):
    form = {
        "password": "Nouveau2026",
        "confirm": "Nouveau2026",
        "email": "gerald@example.org",
        "birth_date": BIRTH,
        "terms": "y",
    }
    form.update(changes)
    return form


def test_a_temporary_password_leads_to_the_activation_page(client, notified, clock):
    account, temporary = notified
    response = sign_in(client, account, temporary)
    assert response.headers["Location"] == "/activation"
    page = text(client.get("/activation"))
    assert "Date de naissance de Léa Martin" in page
    assert 'value="gerald.martin@example.org"' in page  # the registry's address, editable


def test_activation_end_to_end(client, notified, clock):
    account, temporary = notified
    sign_in(client, account, temporary)
    response = client.post("/activation", data=activation_form())
    assert response.headers["Location"] == "/activation/courriel"
    db.session.refresh(account)
    assert account.state == AccountState.ACTIVATING
    assert account.email == "gerald@example.org" and not account.email_verified
    assert account.terms_version == runtime.settings().accounts.terms_version
    assert account.terms_accepted_at == START
    assert "gerald@example.org" in text(client.get("/activation/courriel"))

    mail = last_message("gerald@example.org")
    assert mail.subject == "Services en ligne de l'éducation nationale - activation du compte"
    assert f"avec l'identifiant {account.identifier}" in mail.body
    link = link_in(mail)
    assert "Activer mon compte" in text(client.get(link))
    response = client.post(link)
    assert response.headers["Location"] == "/services/lsun"
    db.session.refresh(account)
    assert account.state == AccountState.ACTIVATED
    assert account.email_verified
    assert client.get("/compte").status_code == 200
    # The new password works; the temporary one does not any more.
    other = client.application.test_client()
    assert sign_in(other, account, "Nouveau2026").headers["Location"] == "/services/lsun"
    assert sign_in(client.application.test_client(), account, temporary).status_code == 400


def test_the_link_opened_in_another_browser_activates_and_asks_to_sign_in(client, notified, clock):
    account, temporary = notified
    sign_in(client, account, temporary)
    client.post("/activation", data=activation_form())
    link = link_in(last_message("gerald@example.org"))
    elsewhere = client.application.test_client()
    page = text(elsewhere.post(link))
    assert "Votre compte est activé" in page
    db.session.refresh(account)
    assert account.state == AccountState.ACTIVATED


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"birth_date": "2016-04-12"}, "ne correspond pas à celle connue par l'école"),
        ({"password": "court1", "confirm": "court1"}, "de 8 à 14 caractères"),
        ({"password": "sanschiffres", "confirm": "sanschiffres"}, "au moins un chiffre"),
        ({"password": "12345678901", "confirm": "12345678901"}, "au moins une lettre"),
        ({"confirm": "Autre2026x"}, "ne sont pas identiques"),
        ({"email": "pas-une-adresse"}, "adresse électronique valide"),
        ({"terms": ""}, "accepter les conditions générales"),
        ({"birth_date": ""}, "Ce champ est obligatoire"),
    ],
)
def test_each_activation_refusal_says_why_and_changes_nothing(
    client, notified, clock, changes, message
):
    account, temporary = notified
    sign_in(client, account, temporary)
    response = client.post("/activation", data=activation_form(**changes))
    assert response.status_code == 200
    assert message in text(response).replace("&#39;", "'")
    db.session.refresh(account)
    assert account.state == AccountState.NOTIFIED
    assert account.must_change_password


def test_wrong_birth_dates_slow_down_then_lock_the_activation(client, notified, clock):
    account, temporary = notified
    sign_in(client, account, temporary)
    for _ in range(3):
        client.post("/activation", data=activation_form(birth_date="2015-01-01"))
    response = client.post("/activation", data=activation_form())
    assert "Trop de tentatives" in text(response)
    for _ in range(5):
        clock.shift(dt.timedelta(hours=1))
        sign_in(client, account, temporary)
        client.post("/activation", data=activation_form(birth_date="2015-01-01"))
    clock.shift(dt.timedelta(hours=1))
    sign_in(client, account, temporary)
    response = client.post("/activation", data=activation_form())
    assert "ce parcours est bloqué" in text(response)
    db.session.refresh(account)
    assert account.state == AccountState.NOTIFIED


def test_the_activation_step_expires_after_30_minutes(client, notified, clock):
    account, temporary = notified
    sign_in(client, account, temporary)
    clock.shift(dt.timedelta(minutes=31))
    response = client.post("/activation", data=activation_form())
    assert response.status_code == 400
    assert "Votre démarche a expiré" in text(response)


def test_the_temporary_password_expires_3_months_after_notification(client, notified, clock):
    account, temporary = notified
    clock.shift(dt.timedelta(days=93))
    response = sign_in(client, account, temporary)
    assert "mot de passe provisoire a expiré" in text(response)


def test_the_activation_link_expires_3_months_after_it_was_sent(client, notified, clock):
    account, temporary = notified
    sign_in(client, account, temporary)
    client.post("/activation", data=activation_form())
    link = link_in(last_message("gerald@example.org"))
    clock.shift(dt.timedelta(days=91))
    assert "Activer mon compte" in text(client.get(link))
    clock.shift(dt.timedelta(days=2))
    response = client.post(link)
    assert response.status_code == 400
    assert "Ce lien a expiré" in text(response)
    db.session.refresh(account)
    assert account.state == AccountState.ACTIVATING


def test_an_activation_link_works_once(client, notified, clock):
    account, temporary = notified
    sign_in(client, account, temporary)
    client.post("/activation", data=activation_form())
    link = link_in(last_message("gerald@example.org"))
    client.post(link)
    response = client.application.test_client().post(link)
    assert response.status_code == 400
    assert "n'est plus valable" in text(response).replace("&#39;", "'")


def test_signing_in_mid_activation_offers_to_resend_the_email_elsewhere(client, notified, clock):
    account, temporary = notified
    sign_in(client, account, temporary)
    client.post("/activation", data=activation_form())
    first_link = link_in(last_message("gerald@example.org"))

    browser = client.application.test_client()
    response = sign_in(browser, account, "Nouveau2026")
    assert response.headers["Location"] == "/activation/courriel"
    response = browser.post("/activation/courriel", data={"email": "Autre@Example.org"})
    assert response.status_code == 302
    assert "renvoyé à autre@example.org" in text(browser.get("/activation/courriel"))
    second_link = link_in(last_message("autre@example.org"))
    assert browser.post(first_link).status_code == 400  # replaced by the newer link
    assert browser.post(second_link).headers["Location"] == "/services/lsun"
    db.session.refresh(account)
    assert account.email == "autre@example.org" and account.email_verified


def test_resending_the_activation_email_renews_the_3_month_deadline(client, notified, clock):
    account, temporary = notified
    sign_in(client, account, temporary)
    client.post("/activation", data=activation_form())
    clock.shift(dt.timedelta(days=80))
    send_activation_email(account, "gerald@example.org", now=utcnow())
    db.session.commit()
    link = link_in(last_message("gerald@example.org"))
    clock.shift(dt.timedelta(days=80))
    assert "Votre compte est activé" in text(client.post(link))
    db.session.refresh(account)
    assert account.state == AccountState.ACTIVATED


def test_console_resend_sets_the_corrected_address_unconfirmed(app_ctx, school):
    account = factories.make_family(school)[0].account
    factories.set_state(account, AccountState.ACTIVATING)
    account.email, account.email_verified = "old@example.org", False
    message = send_activation_email(account, "New@Example.org", now=START)
    db.session.commit()
    assert message.recipient == "new@example.org"
    assert message.template == "C07"
    assert account.email == "new@example.org" and not account.email_verified
    assert "Activer mon compte" in message.html


@pytest.mark.parametrize(
    "state", [AccountState.NOT_NOTIFIED, AccountState.NOTIFIED, AccountState.ACTIVATED]
)
def test_the_activation_email_is_only_for_accounts_being_activated(app_ctx, school, state):
    account = factories.make_family(school)[0].account
    factories.set_state(account, state)
    with pytest.raises(ForbiddenTransition):
        send_activation_email(account, "x@example.org", now=START)


def test_a_reset_temporary_password_is_replaced_and_other_sessions_end(client, app_ctx, school):
    account = factories.make_family(school)[0].account
    factories.set_state(account, AccountState.ACTIVATED)
    old_session = factories.sign_in_client(client.application.test_client(), account)
    temporary = runtime.passwords().issue_temporary(account, today=dt.date.today())
    db.session.commit()
    response = sign_in(client, account, temporary)
    assert response.headers["Location"] == "/mot-de-passe/nouveau"
    response = client.post(
        "/mot-de-passe/nouveau", data={"password": "Choisi2026", "confirm": "Choisi2026"}
    )
    assert response.headers["Location"] == "/services/lsun"
    db.session.refresh(account)
    db.session.refresh(old_session)
    assert not account.must_change_password
    assert account.state == AccountState.ACTIVATED
    assert old_session.ended_reason == "password_changed"


def test_link_records_are_hashed(app_ctx, school):
    account = factories.make_family(school)[0].account
    factories.set_state(account, AccountState.ACTIVATING)
    send_activation_email(account, "a@example.org", now=START)
    db.session.commit()
    token = link_in(last_message("a@example.org")).rsplit("/", 1)[1]
    stored = db.session.scalars(db.select(email_links.EmailLink)).one()
    assert token not in stored.token_hash


def test_activation_refuses_a_temporary_password_past_its_3_months(app_ctx, notified):
    from accounts.authentication import TemporaryPasswordExpired
    from enrollment.services import activate_with_temporary_password

    account, _temporary = notified
    with pytest.raises(TemporaryPasswordExpired):
        activate_with_temporary_password(
            account,
            password="Nouveau2026",
            email="gerald@example.org",
            birth_date=dt.date(2016, 4, 11),
            now=START + dt.timedelta(days=93),
            passwords=runtime.passwords(),
            rules=runtime.settings().accounts,
        )
    assert account.state == AccountState.NOTIFIED
