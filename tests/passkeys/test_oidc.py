"""A passkey sign-in in a real OpenID Connect code flow over HTTP (issue 17): a service
sends the parent to the authorization endpoint, the parent picks a passkey on the
sign-in page it shows, and the service's ID token says how (`amr`) with the same
`acr` a password gives."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urljoin

import requests

from tests.idp.conftest import livret  # noqa: F401  (fixture)
from tests.idp.conftest import provider  # noqa: F401  (fixture)
from tests.passkeys.authenticator import SoftwareAuthenticator
from tests.passkeys.conftest import csrf_token


def add_passkey(provider, browser: requests.Session, authenticator) -> None:  # noqa: F811 - the fixture
    page = browser.get(provider.url + "/compte/cles-d-acces", timeout=30).text
    token = csrf_token(page)
    options = browser.post(
        provider.url + "/compte/cles-d-acces/options", headers={"X-CSRFToken": token}, timeout=30
    ).json()
    response = browser.post(
        provider.url + "/compte/cles-d-acces",
        data={"csrf_token": token, "credential": json.dumps(authenticator.create(options))},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text


def pick_passkey(provider, browser: requests.Session, page, authenticator):  # noqa: F811
    """What passkeys.js does on the sign-in page the authorization endpoint showed."""
    form = re.search(r'<form id="passkey-sign-in".*?</form>', page.text, re.S).group(0)
    token = csrf_token(form)
    next_url = html.unescape(re.search(r'name="next" value="([^"]*)"', form).group(1))
    options = browser.post(
        provider.url + "/connexion/cle-d-acces/options", headers={"X-CSRFToken": token}, timeout=30
    ).json()
    action = html.unescape(re.search(r'action="([^"]+)"', form).group(1))
    return browser.post(
        urljoin(page.url, action),
        data={
            "csrf_token": token,
            "next": next_url,
            "credential": json.dumps(authenticator.get(options)),
        },
        allow_redirects=False,
        timeout=30,
    )


def test_a_passkey_sign_in_reaches_the_service_with_hwk_and_user(provider, livret):  # noqa: F811
    identifier = provider.parent()
    authenticator = SoftwareAuthenticator(origin=provider.url)
    add_passkey(provider, provider.sign_in(identifier), authenticator)

    browser = requests.Session()  # another browser, nobody signed in
    rp = provider.rp(*livret)
    page, verifier, state = provider.authorize(browser, rp, nonce="n-passkey")
    assert page.status_code == 200 and "Se connecter avec une clé d'accès" in html.unescape(
        page.text
    )
    signed_in = pick_passkey(provider, browser, page, authenticator)
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"].startswith("/authorize?")
    answer = browser.get(
        urljoin(provider.url, signed_in.headers["Location"]), allow_redirects=False, timeout=30
    )
    assert answer.status_code == 302 and "code=" in answer.headers["Location"]
    token = rp.fetch_token(
        provider.url + "/token",
        authorization_response=answer.headers["Location"],
        code_verifier=verifier,
        state=state,
    )
    claims = provider.decode(token["id_token"]).claims
    assert claims["amr"] == ["hwk", "user"]
    assert claims["acr"] == "eidas1"  # what a password sign-in claims (test_code_flow)
    assert claims["nonce"] == "n-passkey"
