"""The directors' console in Chromium: sign-in (refused, then accepted), the school
chosen, a search, an account page, a PDF letter and a CSV list downloaded, sign-out
from a phone through DSFR's menu. Console elements are found by their accessible
names and labels, not by markup."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from demo.seed import DIRECTOR
from tests.browser.pages import PHONE


def _sign_in(page, site, check) -> None:
    page.goto(site.guichet + "/admin/")
    page.get_by_label("Identifiant").fill(DIRECTOR["identifier"])
    page.get_by_label("Mot de passe").fill("Pas-le-bon-1")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    check("console sign-in refused")
    page.get_by_label("Mot de passe").fill(DIRECTOR["password"])
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.get_by_label("Établissement").select_option(index=0)
    check("choice of the school")
    page.get_by_role("button", name="Choisir").click()


def _download(page, click) -> bytes:
    with page.expect_download() as download:
        click()
    return Path(download.value.path()).read_bytes()


def test_a_director_searches_opens_an_account_prints_a_letter_and_a_list(page, site, check):
    _sign_in(page, site, check)
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Responsables"
    ).click()
    check("search form")
    page.get_by_label("Nom ou prénom d'un élève ou d'un responsable").fill("Benali")
    page.get_by_role("button", name="Rechercher").first.click()
    results = page.get_by_role("table")
    expect(results).to_contain_text("BENALI", ignore_case=True)
    check("search results")

    csv_row = results.get_by_role("row").filter(has_text="Yanis")
    csv_row.get_by_role("checkbox").check(force=True)
    page.get_by_label("Action sur les comptes sélectionnés").select_option(
        label="Imprimer la liste des responsables (format csv)"
    )
    listed = _download(page, lambda: page.get_by_role("button", name="Valider").click())
    assert "Benali" in listed.decode("utf-8-sig")

    csv_row.get_by_role("link", name="Consulter").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Nadia")
    check("account page")
    page.get_by_role("button", name="(Re)Notifier le compte").click()
    check("notification confirmation")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("main")).to_contain_text("La distribution a été effectuée")
    check("notification done")
    letter = _download(
        page, lambda: page.get_by_role("link", name="Télécharger le courrier au format PDF").click()
    )
    assert letter.startswith(b"%PDF")


def test_a_director_signs_out_from_a_phone(page, site, check):
    _sign_in(page, site, check)
    page.set_viewport_size(PHONE)
    header = page.get_by_role("banner")
    expect(header.get_by_role("button", name="Se déconnecter")).to_be_hidden()
    header.get_by_role("button", name="Menu").click()
    menu = page.get_by_role("dialog")
    expect(menu.get_by_role("navigation", name="Menu principal")).to_be_visible()
    check("console menu open on a phone")
    header.get_by_role("button", name="Menu").click()
    menu.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("déconnecté")
    check("console signed out")
