"""The header's language switch in Chromium (docs/languages.md): French, then English,
then Arabic, with the DSFR menu and without JavaScript; each page in its language,
marked with its `lang` and direction, audited by axe."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from demo.seed import KNOWN_PASSWORD
from tests.browser.journeys import activated_parent

IDENTIFIER = {"fr": "Identifiant", "en": "Identifier", "ar": "المعرّف"}
SIGN_IN = {"fr": "Se connecter", "en": "Sign in", "ar": "تسجيل الدخول"}
MY_ACCOUNT = {"fr": "Mon compte", "en": "My account", "ar": "حسابي"}


def _in(page, code: str, direction: str = "ltr") -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", code)
    if direction == "rtl":
        expect(html).to_have_attribute("dir", "rtl")
    else:
        expect(html).not_to_have_attribute("dir", "rtl")


def _choose(page, code: str, name: str) -> None:
    """The DSFR language selector: its button opens the menu of languages."""
    page.locator(".fr-header__tools .fr-translate__btn").click()
    page.get_by_role("button", name=f"{code.upper()} - {name}").click()


def test_a_parent_switches_from_french_to_english_to_arabic(page, site, check):
    page.goto(site.guichet + "/connexion")
    _in(page, "fr")
    expect(page.locator('link[href$="guichet-rtl.css"]')).to_have_count(0)
    page.locator(".fr-header__tools .fr-translate__btn").click()
    expect(page.get_by_role("button", name="EN - English")).to_be_visible()
    check("sign-in page, languages menu open")

    page.get_by_role("button", name="EN - English").click()
    _in(page, "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("sign in", re.I))
    check("sign-in page in English")

    _choose(page, "ar", "العربية")
    _in(page, "ar", "rtl")
    check("sign-in page in Arabic")

    identifier, _ = activated_parent(site, nth=4)
    page.get_by_label(IDENTIFIER["ar"]).fill(identifier)
    page.get_by_label("كلمة المرور").fill(KNOWN_PASSWORD)
    page.get_by_role("button", name=SIGN_IN["ar"], exact=True).click()
    expect(page.get_by_role("heading", name=MY_ACCOUNT["ar"])).to_be_visible()
    _in(page, "ar", "rtl")
    check("account page in Arabic")

    _choose(page, "fr", "Français")
    _in(page, "fr")
    expect(page.get_by_role("heading", name=MY_ACCOUNT["fr"])).to_be_visible()


def test_without_javascript_the_languages_are_buttons_in_the_header(browser, site):
    """axe needs JavaScript: these states are audited in the test above (the same
    pages) and by tests/test_accessibility.py (the HTML as served)."""
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(site.guichet + "/connexion")
        _in(page, "fr")
        page.get_by_role("banner").get_by_role("button", name="English").click()
        _in(page, "en")
        expect(page.get_by_label(IDENTIFIER["en"])).to_be_visible()
        page.get_by_role("banner").get_by_role("button", name="العربية").click()
        _in(page, "ar", "rtl")
        expect(page.get_by_label(IDENTIFIER["ar"])).to_be_visible()
        page.get_by_role("banner").get_by_role("button", name="Français").click()
        _in(page, "fr")
    finally:
        context.close()


def test_the_parent_pages_read_right_to_left_in_arabic(page, site, check):
    """The pages a parent meets, in Arabic: audited at both widths (with
    SCREENSHOTS=folder, the pictures to look at the right-to-left layout)."""
    identifier, _ = activated_parent(site, nth=5)
    page.context.add_cookies([{"name": "guichet_lang", "value": "ar", "url": site.guichet}])
    page.goto(site.guichet + "/connexion?next=/compte")
    _in(page, "ar", "rtl")
    page.get_by_label(IDENTIFIER["ar"]).fill(identifier)
    page.get_by_label("كلمة المرور").fill("pas-le-bon-1")
    page.get_by_role("button", name=SIGN_IN["ar"], exact=True).click()
    alert = page.locator(".fr-alert--error").first
    expect(alert).to_be_visible()
    # kernel/static/guichet-rtl.css: the alert's band and icon on the right.
    expect(page.locator('link[href$="guichet-rtl.css"]')).to_have_count(1)
    padding = alert.evaluate(
        "a => [getComputedStyle(a).paddingRight, getComputedStyle(a).paddingLeft].map(parseFloat)"
    )
    assert padding[0] > padding[1], padding
    check("sign-in refused, in Arabic")
    page.get_by_label("كلمة المرور").fill(KNOWN_PASSWORD)
    page.get_by_role("button", name=SIGN_IN["ar"], exact=True).click()
    expect(page.get_by_role("heading", name=MY_ACCOUNT["ar"])).to_be_visible()
    for path, state in (
        ("/compte/connexions", "my connections, in Arabic"),
        ("/compte/mes-donnees", "my data, in Arabic"),
        ("/compte/cles-d-acces", "my passkeys, in Arabic"),
        ("/compte/mot-de-passe", "change of password, in Arabic"),
    ):
        page.goto(site.guichet + path)
        _in(page, "ar", "rtl")
        check(state)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".fr-error-text").first).to_be_visible()
    check("change of password refused, in Arabic")
