"""Languages (issue 17, docs/languages.md): a parent's pages in French, English or
Arabic, chosen by the header's switch, a service's `ui_locales` or the browser;
the choice kept on the account for emails and SMS; the console stays French."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
import time_machine
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from accounts import activation_email
from accounts.models import AccountState
from admin import services as console
from idp import clients
from kernel import languages
from kernel import runtime
from kernel.clock import utcnow
from kernel.extensions import db
from messaging.models import Message
from tests import factories
from tests.admin.conftest import make_director

START = dt.datetime(2026, 11, 24, 9, 30)
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}
EMAIL = "gerald.martin@example.org"  # the registry's address of factories.make_guardian
MOBILE = "+33612345678"


@pytest.fixture
def app(make_app):
    return make_app(WTF_CSRF_ENABLED=False, RECOVERY_MIN_SECONDS=0)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def page(response) -> str:
    return response.get_data(as_text=True)


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", page(response)).group(0)


def heading(response) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", page(response), re.S).group(1).strip()


def last_message(to: str) -> Message:
    query = db.select(Message).where(Message.recipient == to).order_by(Message.id.desc())
    message = db.session.scalars(query).first()
    assert message is not None, f"no message to {to}"
    return message


def choose(client, code: str, back_to: str = "/connexion"):
    return client.post("/langue", data={"langue": code, "retour": back_to})


# --- Pages --------------------------------------------------------------------


def test_a_parent_page_is_french_by_default(client):
    response = client.get("/connexion")
    assert '<html lang="fr"' in html_tag(response)
    assert heading(response) == "Connexion à vos services en ligne"


def test_a_parent_page_is_in_english_for_an_english_browser(client):
    response = client.get("/connexion", headers=ENGLISH)
    assert '<html lang="en"' in html_tag(response)
    assert heading(response) == "Sign in to your online services"
    assert "Mot de passe perdu" not in page(response)
    assert "Accept-Language" in response.headers["Vary"]


def test_a_language_we_do_not_offer_falls_back_to_french(client):
    response = client.get("/connexion", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert heading(response) == "Connexion à vos services en ligne"


def test_ui_locales_on_authorize_chooses_the_sign_in_pages_language(app, client):
    with app.app_context():
        service, _ = clients.add_client(
            name="Livret scolaire", redirect_uris=["http://rp.example/cb"], now=utcnow()
        )
        client_id = service.client_id
        db.session.commit()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": "http://rp.example/cb",
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": create_s256_code_challenge("v" * 50),
        "code_challenge_method": "S256",
        "ui_locales": "en-US fr",
    }
    response = client.get("/authorize?" + urlencode(query), follow_redirects=True)
    assert heading(response) == "Sign in to your online services"
    # The journey keeps it: the next page, with a French browser, is still English.
    following = client.get("/identifiant-perdu", headers={"Accept-Language": "fr"})
    assert heading(following) == "Lost identifier"


def test_the_discovery_document_lists_the_languages(client):
    document = client.get("/.well-known/openid-configuration").get_json()
    assert document["ui_locales_supported"] == ["fr", "en", "ar"]


def test_the_header_switch_changes_the_language_and_remembers_it(client):
    switch = page(client.get("/connexion"))
    assert 'action="/langue"' in switch and 'value="en"' in switch
    response = choose(client, "en")
    assert response.status_code == 303 and response.headers["Location"] == "/connexion"
    cookie = client.get_cookie(languages.COOKIE)
    assert cookie.value == "en" and cookie.http_only
    # The person's choice beats the browser's preference, on every later page.
    later = client.get("/mot-de-passe-perdu", headers={"Accept-Language": "fr"})
    assert heading(later) == "Lost password"
    assert 'aria-current="true">EN - English' in page(later)


def test_the_switch_goes_back_only_to_a_page_of_ours(client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert choose(client, "en", target).headers["Location"] == "/"


def test_the_switch_refuses_a_language_we_do_not_offer(client):
    assert choose(client, "xx").status_code == 400
    assert client.get_cookie(languages.COOKIE) is None


def test_the_switch_is_a_csrf_protected_form(make_app):
    client = make_app().test_client()
    assert choose(client, "en").status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', page(client.get("/connexion")))
    response = client.post(
        "/langue", data={"langue": "en", "retour": "/connexion", "csrf_token": token.group(1)}
    )
    assert response.status_code == 303
    assert heading(client.get("/connexion")) == "Sign in to your online services"


def test_arabic_pages_read_right_to_left(client):
    choose(client, "ar")
    response = client.get("/connexion")
    assert '<html lang="ar" dir="rtl"' in html_tag(response)
    assert heading(response) == "تسجيل الدخول إلى خدماتك الإلكترونية"


def test_error_pages_follow_the_language(client):
    response = client.get("/nulle-part", headers=ENGLISH)
    assert response.status_code == 404
    assert heading(response) == "Page not found"


# --- The console stays French -------------------------------------------------


def test_the_console_stays_french_for_an_english_browser_and_choice(client):
    choose(client, "en")
    response = client.get("/admin/connexion", headers=ENGLISH)
    assert '<html lang="fr"' in html_tag(response)
    assert 'action="/langue"' not in page(response)
    assert "Sign in" not in page(response)
    assert client.get("/admin/nulle-part", headers=ENGLISH).status_code == 404
    assert heading(client.get("/admin/nulle-part", headers=ENGLISH)) == "Page introuvable"


def test_the_consoles_emailed_letter_stays_french_for_an_english_parent(app, school):
    """C02 is the annex's letter: French whatever the parent's or director's language."""
    with app.test_request_context("/admin/comptes/1/notifier", headers=ENGLISH):
        account = factories.make_family(school)[0].account
        account.email, account.locale = "parent@example.org", "en"
        result = console.notify(
            [account],
            channel=console.Channel.EMAIL,
            reset=True,
            school=school,
            director=make_director(schools=[school]),
            passwords=runtime.passwords(),
            product=runtime.settings().product,
            now=START,
        )
        letter = result.messages[0]
        assert letter.subject.startswith("Mise à disposition de services en ligne")
        assert "Identifiant :" in letter.body and 'lang="fr"' in letter.html


# --- The account keeps the language -------------------------------------------


def test_signing_in_keeps_the_chosen_language_on_the_account(client, activated_account):
    choose(client, "en")
    client.post(
        "/connexion", data={"identifier": activated_account.identifier, "password": "Secret123"}
    )
    db.session.refresh(activated_account)
    assert activated_account.locale == "en"


def test_signing_in_brings_back_the_accounts_language(client, activated_account):
    activated_account.locale = "ar"
    db.session.commit()
    client.post(
        "/connexion", data={"identifier": activated_account.identifier, "password": "Secret123"}
    )
    assert client.get_cookie(languages.COOKIE).value == "ar"
    assert '<html lang="ar" dir="rtl"' in html_tag(client.get("/compte"))


def test_the_switch_while_signed_in_changes_the_accounts_language(client, activated_account):
    factories.sign_in_client(client, activated_account)
    choose(client, "en", "/compte")
    db.session.refresh(activated_account)
    assert activated_account.locale == "en"
    assert heading(client.get("/compte")) == "My account"


# --- Emails and SMS -----------------------------------------------------------


def test_an_email_asked_for_from_an_english_page_is_in_english(client, activated_account, clock):
    client.post("/identifiant-perdu?mode=email", data={"email": EMAIL}, headers=ENGLISH)
    mail = last_message(EMAIL)
    assert mail.subject == "Online education services - your identifier"
    assert "You asked to receive your identifier." in mail.body
    assert activated_account.identifier in mail.body


def test_an_sms_asked_for_from_an_arabic_page_is_in_arabic(client, activated_account, clock):
    choose(client, "ar")
    client.post("/identifiant-perdu?mode=sms", data={"region": "FR", "mobile": "06 12 34 56 78"})
    sms = last_message(MOBILE).body
    assert f"معرّفك هو {activated_account.identifier}" in sms


def test_an_sms_code_is_in_the_pages_language(client, guardian, clock):
    client.post(
        "/inscription",
        data={
            "last_name": guardian.last_name,
            "first_name": guardian.first_name,
            "region": "FR",
            "mobile": "06 12 34 56 78",
        },
        headers=ENGLISH,
    )
    sms = last_message(MOBILE).body
    assert "your validation code is" in sms and "Do not share it with anyone." in sms


def test_an_email_sent_without_a_page_follows_the_accounts_language(app_ctx, school):
    """The console's resend of the activation email, a job: the account's language."""
    account = factories.make_family(school)[0].account
    factories.set_state(account, AccountState.ACTIVATING)
    account.locale = "en"
    message = activation_email.send_activation_email(account, "parent@example.org", now=START)
    assert message.subject == "Online education services - account activation"
    assert "To activate your account, you must first validate" in message.body
    assert 'lang="en"' in message.html and "Activate my account" in message.html


def test_an_account_without_a_language_gets_french_messages(app_ctx, school):
    account = factories.make_family(school)[0].account
    factories.set_state(account, AccountState.ACTIVATING)
    message = activation_email.send_activation_email(account, "parent@example.org", now=START)
    assert message.subject == "Services en ligne de l'éducation nationale - activation du compte"
