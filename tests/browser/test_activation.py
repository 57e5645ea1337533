"""Activation in Chromium: the letter's temporary password, the activation form (sent
empty first), the C07 email's link read on the development outbox, the account."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.journeys import identifier_of
from tests.browser.journeys import link_in_outbox
from tests.browser.journeys import sign_in
from tests.browser.journeys import temporary_password_of
from tests.browser.journeys import tick

NEW_PASSWORD = "Nouveau2026"


def test_activation_with_the_temporary_password_and_the_c07_link(page, site, check):
    julie = identifier_of(site, "DEMO-NOTIFIED")
    temporary = temporary_password_of(site, "DEMO-NOTIFIED")
    sign_in(page, site, julie, "Faux-1234")
    expect(page.get_by_role("alert")).to_be_visible()
    check("sign-in refused")

    page.get_by_label("Mot de passe").fill(temporary)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activer mon compte")
    check("activation form")

    page.get_by_label("Adresse électronique").fill("")
    page.get_by_role("button", name="Valider").click()
    expect(page.locator(".fr-error-text").first).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Erreur"))
    check("activation form sent empty")

    page.get_by_label("Nouveau mot de passe").first.fill(NEW_PASSWORD)
    page.get_by_label("Confirmation du nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Adresse électronique").fill("julie.nouvelle@example.org")
    page.get_by_label("Date de naissance").fill("2018-06-02")
    tick(page, "J'accepte les conditions générales")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("main")).to_contain_text("julie.nouvelle@example.org")
    check("awaiting the activation email")

    link = link_in_outbox(page, site, "julie.nouvelle@example.org", "/activation/valider/")
    check("development outbox")
    page.goto(link)
    check("activation link")
    page.get_by_role("main").get_by_role("button").click()
    expect(page.get_by_role("heading", name="Mon compte")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("julie.nouvelle@example.org")
    check("account activated")
