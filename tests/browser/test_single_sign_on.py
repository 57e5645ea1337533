"""Single sign-on across the two demo services and single sign-out, in Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from demo.seed import KNOWN_PASSWORD
from tests.browser.journeys import identifier_of


def test_one_sign_in_for_both_services_and_one_sign_out_for_both(page, site, check):
    camille = identifier_of(site, "DEMO-ACTIVE")
    page.goto(site.livret)
    check("Livret scolaire, signed out")
    page.get_by_role("link", name="Se connecter avec Guichet").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Connexion")
    check("Guichet's sign-in page")

    page.get_by_label("Identifiant").fill(camille)
    page.get_by_label("Mot de passe").fill("pas-le-bon-1")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.locator(".fr-alert--error, .fr-error-text").first).to_be_visible()
    check("sign-in refused")

    page.get_by_label("Mot de passe").fill(KNOWN_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page).to_have_url(site.livret + "/")
    expect(page.get_by_text("Léo")).to_be_visible()
    check("Livret scolaire, signed in")

    page.locator(f'a[href="{site.inscription}/"]').click()
    page.get_by_role("link", name="Se connecter avec Guichet").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inscription")
    check("consent for Inscription")
    page.get_by_role("button", name="Autoriser").click()
    expect(page).to_have_url(site.inscription + "/")
    expect(page.get_by_text("Camille")).to_be_visible()
    check("Inscription, signed in without a password")

    page.get_by_role("link", name="Se déconnecter").click()
    expect(page.get_by_text("Vous n'êtes pas connecté.")).to_be_visible()
    check("Inscription, signed out")
    page.goto(site.livret)
    expect(page.get_by_text("Vous n'êtes pas connecté.")).to_be_visible(timeout=15_000)
