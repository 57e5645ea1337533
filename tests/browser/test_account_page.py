"""The parent's account page in Chromium: sign-out reachable on a phone (DSFR's menu,
and without JavaScript), the children table usable at 375 px, which email is which,
the terms of use linked."""

from __future__ import annotations

from playwright.sync_api import expect

from demo.seed import KNOWN_PASSWORD
from tests.browser.journeys import identifier_of
from tests.browser.journeys import sign_in
from tests.browser.pages import PHONE


def test_a_parent_signs_out_from_a_phone_through_the_menu(page, site, check):
    page.set_viewport_size(PHONE)
    sign_in(page, site, identifier_of(site, "DEMO-ACTIVE"), KNOWN_PASSWORD)
    expect(page.get_by_role("heading", name="Mon compte")).to_be_visible()
    check("account page")
    expect(page.get_by_role("table")).to_contain_text("Léo")
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="Se déconnecter")).to_be_hidden()

    header.get_by_role("button", name="Menu").click()
    menu = page.get_by_role("dialog")
    expect(menu.get_by_role("link", name="Se déconnecter")).to_be_visible()
    check("account page, menu open")
    header.get_by_role("button", name="Menu").click()
    menu.get_by_role("link", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déconnexion")
    check("sign-out confirmation")
    page.get_by_role("main").get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes déconnecté")
    check("signed out")


def test_without_javascript_sign_out_shows_in_the_header(browser, site):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="fr-FR")
    page = context.new_page()
    try:
        sign_in(page, site, identifier_of(site, "DEMO-ACTIVE"), KNOWN_PASSWORD)
        expect(page.get_by_role("heading", name="Mon compte")).to_be_visible()
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        page.get_by_role("link", name="Se déconnecter").first.click()
        page.get_by_role("main").get_by_role("button", name="Se déconnecter").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes déconnecté")
    finally:
        context.close()


def test_the_account_page_says_which_email_is_which(page, site, check):
    sign_in(page, site, identifier_of(site, "DEMO-ACTIVE"), KNOWN_PASSWORD)
    main = page.get_by_role("main")
    expect(main).to_contain_text("Mon adresse électronique (confirmée)")
    expect(main).to_contain_text("camille.lefevre@example.org")
    expect(main).not_to_contain_text("Non renseignée")
    page.get_by_role("contentinfo").get_by_role(
        "link", name="Conditions générales d'utilisation"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conditions générales d'utilisation")
    check("terms of use")


def test_a_first_visit_downloads_compressed_files_a_browser_keeps(page, site, check):
    """Issue 15: 1.4 MB on a first visit. Measured: 1,358 KiB before, 285 KiB after
    (bench/page_weight.py)."""
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(site.guichet + "/connexion")
    page.wait_for_load_state("networkidle")
    check("sign-in page, first visit")
    stylesheet = next(r for r in responses if r.url.endswith("/dsfr.min.css"))
    headers = stylesheet.all_headers()
    assert headers["content-encoding"] in ("br", "gzip")
    assert "immutable" in headers["cache-control"]
    transferred = sum(
        r.request.sizes()["responseBodySize"] + r.request.sizes()["responseHeadersSize"]
        for r in responses
    )
    assert transferred < 400 * 1024, transferred
