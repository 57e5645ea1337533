"""SMS self-registration, lost password and FranceConnect linking (with a merge), in
Chromium, each with its main error states; SMS codes and links are read on the
development outbox, FranceConnect is the mock."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.journeys import activated_parent
from tests.browser.journeys import link_in_outbox
from tests.browser.journeys import sign_in
from tests.browser.journeys import sms_code_in_outbox
from tests.browser.journeys import tick

NEW_PASSWORD = "Nouveau2027"


def _error_shown(page) -> None:
    expect(page.locator(".fr-error-text, .fr-alert--error").first).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Erreur"))


def test_sms_self_registration(page, site, check):
    page.goto(site.guichet + "/connexion")
    page.get_by_role("link", name=re.compile("pas encore d'identifiant", re.I)).click()
    check("SMS self-registration")
    page.get_by_role("button", name="Recevoir un code par SMS").click()
    _error_shown(page)
    check("SMS self-registration sent empty")

    page.get_by_label("Nom", exact=True).fill("Petit")
    page.get_by_label("Prénom").fill("Marc")
    page.get_by_label("Numéro de téléphone mobile").fill("06 10 00 00 05")
    page.get_by_role("button", name="Recevoir un code par SMS").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("code")
    check("SMS code")
    code_page = page.url
    code = sms_code_in_outbox(page, site, "0610000005")
    page.goto(code_page)
    page.get_by_label("Code de validation").fill(code)
    page.get_by_role("button", name="Valider").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("enfants")
    check("children to confirm")
    page.get_by_label("Date de naissance").fill("2018-12-13")
    page.get_by_role("button", name="Continuer").click()
    _error_shown(page)
    check("a wrong birth date")
    page.get_by_label("Date de naissance").fill("2018-12-12")
    page.get_by_role("button", name="Continuer").click()

    page.get_by_label("Nouveau mot de passe").first.fill(NEW_PASSWORD)
    page.get_by_label("Confirmation du nouveau mot de passe").fill(NEW_PASSWORD)
    tick(page, "J'accepte les conditions générales")
    check("password to choose")
    page.get_by_role("button", name=re.compile("Valider|Continuer|Créer")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre compte est activé")
    identifier = page.get_by_role("main").locator("strong").first.inner_text()
    check("account activated by SMS")

    page.context.clear_cookies()
    sign_in(page, site, identifier.strip(), NEW_PASSWORD)
    expect(page.get_by_role("table")).to_contain_text("Manon")


def test_lost_password_by_email(page, site, check):
    identifier, email = activated_parent(site)
    page.goto(site.guichet + "/connexion")
    page.get_by_role("link", name="Mot de passe perdu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe perdu")
    check("lost password")
    page.get_by_role("button", name="Valider").click()
    _error_shown(page)
    check("lost password sent empty")

    page.get_by_label("Identifiant").fill(identifier)
    page.locator("label", has_text="un lien par courriel").click()
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_role("button", name="Valider").click()
    check("reset link sent")

    link = link_in_outbox(page, site, email, "/mot-de-passe-perdu/lien/")
    page.goto(link)
    check("new password")
    page.get_by_label("Nouveau mot de passe").first.fill(NEW_PASSWORD)
    page.get_by_label("Confirmation du nouveau mot de passe").fill("Different2027")
    page.get_by_role("button", name="Continuer").click()
    _error_shown(page)
    check("passwords that differ")
    page.get_by_label("Nouveau mot de passe").first.fill(NEW_PASSWORD)
    page.get_by_label("Confirmation du nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    check("password changed")

    sign_in(page, site, identifier, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Mon compte")).to_be_visible()


def test_franceconnect_linking_merges_the_two_accounts(page, site, check):
    page.goto(site.guichet + "/connexion")
    page.get_by_role("button", name=re.compile("FranceConnect")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Je choisis une identité de test")
    check("mock FranceConnect")
    page.get_by_label(re.compile("Thomas Moreau")).check()
    page.get_by_role("button", name="Continuer avec cette identité").click()

    expect(page.get_by_role("main")).to_contain_text("Thomas")
    check("linking: mobile")
    page.get_by_label("Numéro de téléphone portable").fill("12")
    page.get_by_role("button", name="Recevoir un code par SMS").click()
    _error_shown(page)
    check("linking: a wrong number")
    page.get_by_label("Numéro de téléphone portable").fill("06 10 00 00 04")
    page.get_by_role("button", name="Recevoir un code par SMS").click()
    expect(page.get_by_role("main")).to_contain_text("06 1• •• •• 04")
    check("linking: SMS code")
    code_page = page.url
    code = sms_code_in_outbox(page, site, "0610000004")
    page.goto(code_page)
    page.get_by_label("Code de validation").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Valider").click()
    _error_shown(page)
    check("linking: a wrong code")
    page.get_by_role("link", name=re.compile("Réessayer|reçu", re.I)).first.click()
    page.get_by_label("Numéro de téléphone portable").fill("06 10 00 00 04")
    page.get_by_role("button", name="Recevoir un code par SMS").click()
    code_page = page.url
    code = sms_code_in_outbox(page, site, "0610000004")
    page.goto(code_page)
    page.get_by_label("Code de validation").fill(code)
    page.get_by_role("button", name="Valider").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("FranceConnect")
    check("linking: children")
    page.get_by_label("Date de naissance de Lucas").fill("2017-09-09")
    page.get_by_label("Date de naissance de Emma").fill("2019-01-30")
    tick(page, "J'accepte les conditions générales")
    page.get_by_role("button", name="Valider et me connecter").click()
    page.goto(site.guichet + "/compte")
    table = page.get_by_role("table")
    expect(table).to_contain_text("Lucas")
    expect(table).to_contain_text("Emma")
    check("account of the merged parent")
