"""The parent's pages of issue 17 in Chromium: «Mes connexions» (another browser's
session ended from this one), «Mes données» (the password typed again, then the
downloads), and a passkey added, then used to sign in and reach a service, with
Chromium's virtual authenticator."""

from __future__ import annotations

import datetime as dt
import json

import time_machine
from playwright.sync_api import expect
from pypdf import PdfReader

from demo.seed import KNOWN_PASSWORD
from tests.browser.journeys import activated_parent
from tests.browser.journeys import sign_in

PHONE_BROWSER = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)


def test_a_parent_ends_the_session_of_another_browser(page, browser, site, check):
    identifier, _ = activated_parent(site, nth=1)
    phone = browser.new_context(user_agent=PHONE_BROWSER, locale="fr-FR")
    try:
        other = phone.new_page()
        sign_in(other, site, identifier, KNOWN_PASSWORD)
        expect(other.get_by_role("heading", name="Mon compte")).to_be_visible()

        sign_in(page, site, identifier, KNOWN_PASSWORD)
        page.get_by_role("link", name="Mes connexions").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Mes connexions")
        main = page.get_by_role("main")
        expect(main.locator(".fr-card")).to_have_count(2)
        expect(main.locator(".fr-card", has_text="cette session")).to_have_count(1)
        phone_card = main.locator(".fr-card", has_text="Android")
        expect(phone_card).to_have_count(1)
        check("my connections, two browsers")

        phone_card.get_by_role("button", name="Terminer la connexion").click()
        expect(main.locator(".fr-alert--success")).to_contain_text("1 connexion a été terminée.")
        expect(main.locator(".fr-card")).to_have_count(1)
        check("my connections, the other one ended")

        other.goto(f"{site.guichet}/compte")
        expect(other.get_by_role("heading", level=1)).to_contain_text("Connexion")
    finally:
        phone.close()


def test_a_parent_downloads_their_data_after_typing_the_password_again(page, site, check):
    identifier, email = activated_parent(site, nth=2)
    sign_in(page, site, identifier, KNOWN_PASSWORD)
    # The sign-in itself counts as the check for 5 minutes: the servers run in this
    # process, so their clock moves past that window.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6), tick=True):
        _my_data(page, identifier, email, check)


def _my_data(page, identifier: str, email: str, check) -> None:
    page.get_by_role("link", name="Mes données").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes données")
    expect(page.get_by_role("link", name="Télécharger mes données")).to_have_count(0)
    check("my data, password asked")

    page.get_by_label("Mot de passe").fill("pas-le-bon-1")
    page.get_by_role("button", name="Vérifier mon mot de passe").click()
    expect(page.locator(".fr-alert--error, .fr-error-text").first).to_be_visible()
    check("my data, wrong password")

    page.get_by_label("Mot de passe").fill(KNOWN_PASSWORD)
    page.get_by_role("button", name="Vérifier mon mot de passe").click()
    download_json = page.get_by_role("link", name="Télécharger mes données (fichier JSON)")
    expect(download_json).to_be_visible()
    check("my data, downloads offered")

    with page.expect_download() as download:
        download_json.click()
    exported = json.dumps(
        json.loads(download.value.path().read_text(encoding="utf-8")), ensure_ascii=False
    )
    assert identifier in exported
    assert email in exported
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger mes données (document PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    printed = PdfReader(download.value.path()).pages[0].extract_text()
    assert identifier in printed

    page.get_by_role("link", name="Consulter mes données (page imprimable)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mes données, au")
    expect(page.get_by_role("main")).to_contain_text(identifier)
    check("my data, readable page")


def _virtual_authenticator(page) -> tuple[object, str]:
    """Chromium's virtual authenticator (DevTools protocol, WebAuthn domain): a
    platform authenticator holding discoverable credentials, that verifies its user
    (as a phone's fingerprint does) without asking anyone."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def test_a_parent_adds_a_passkey_then_signs_in_with_it_to_a_service(page, site, check):
    identifier, _ = activated_parent(site, nth=3)
    cdp, authenticator = _virtual_authenticator(page)
    sign_in(page, site, identifier, KNOWN_PASSWORD)
    page.get_by_role("link", name="Gérer mes clés d'accès").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes clés d'accès")
    expect(page.locator("#passkey-unavailable")).to_be_hidden()
    check("my passkeys, none yet")

    page.get_by_label("Nom de la clé d'accès").fill("Ordinateur de la cuisine")
    page.get_by_role("button", name="Ajouter une clé d'accès").click()
    expect(page.get_by_role("table")).to_contain_text("Ordinateur de la cuisine")
    check("my passkeys, one added")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"]

    page.get_by_role("link", name="Retour à mon compte").click()
    page.get_by_role("banner").get_by_role("link", name="Se déconnecter").click()
    page.get_by_role("main").get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes déconnecté")

    # The virtual authenticator answers a conditional request (the passkeys among the
    # identifier field's suggestions) at once, as if the parent picked one: here it
    # is a browser without that, so the parent presses the button.
    page.add_init_script(
        "if (window.PublicKeyCredential) {"
        " PublicKeyCredential.isConditionalMediationAvailable = async () => false; }"
    )
    page.goto(site.livret)
    page.get_by_role("link", name="Se connecter avec Guichet").click()
    passkey = page.get_by_role("button", name="Se connecter avec une clé d'accès")
    expect(passkey).to_be_visible()
    check("sign-in page, passkey offered")
    passkey.click()
    expect(page).to_have_url(site.livret + "/")
    expect(page.get_by_text("Bonjour")).to_be_visible()
    check("Livret scolaire, signed in with a passkey")

    page.goto(f"{site.guichet}/compte/cles-d-acces")
    expect(page.get_by_role("table")).not_to_contain_text("Jamais")


def test_the_passkey_is_offered_among_the_identifier_suggestions(page, site, check):
    """Conditional mediation: where the browser offers passkeys in the identifier
    field's suggestions, picking one signs in. Chromium's virtual authenticator picks
    at once, so the sign-in page goes straight on to the service."""
    identifier, _ = activated_parent(site, nth=6)
    _virtual_authenticator(page)
    sign_in(page, site, identifier, KNOWN_PASSWORD, next_path="/compte/cles-d-acces")
    page.get_by_role("button", name="Ajouter une clé d'accès").click()
    expect(page.get_by_role("table")).to_contain_text("Clé d'accès n° 1")
    page.context.clear_cookies()

    page.goto(site.livret)
    page.get_by_role("link", name="Se connecter avec Guichet").click()
    expect(page).to_have_url(site.livret + "/")
    expect(page.get_by_text("Bonjour")).to_be_visible()
    check("Livret scolaire, signed in from the suggestions")
