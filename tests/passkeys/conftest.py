"""Fixtures of the passkey journeys: a parent signed in with a password on the test
client (CSRF on, as in production), the software authenticator, and the steps a
browser running passkeys.js takes (fetch the options, ask the authenticator, post
its answer in the form)."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask import g

from kernel.extensions import db
from tests import factories
from tests.passkeys.authenticator import SoftwareAuthenticator

PASSWORD = "Secret123"


@pytest.fixture
def app(make_app):
    """The app, each request starting with a fresh `g` as in production: the tests'
    application context (app_ctx) outlives requests, and the session a browser opened
    and CSRF token (cached in `g`) must not follow another test client."""
    app = make_app()

    @app.teardown_request
    def _forget_this_request(_error):
        for name in list(g):
            g.pop(name)

    return app


@pytest.fixture
def parent(app_ctx, school):
    account = factories.make_family(school)[0].account
    factories.activate(account, password=PASSWORD)
    db.session.commit()
    return account


@pytest.fixture
def authenticator() -> SoftwareAuthenticator:
    return SoftwareAuthenticator()


def text(response) -> str:
    """The page as a person reads it (entities decoded: «d'accès» whichever way written)."""
    return html.unescape(response.get_data(as_text=True))


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def sign_in_with_password(client, account, password: str = PASSWORD):
    page = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={
            "csrf_token": csrf_token(text(page)),
            "identifier": account.identifier,
            "password": password,
        },
    )
    assert response.status_code == 302, text(response)
    return response


def registration_options(client) -> tuple[dict, str]:
    """What passkeys.js does on the account page: the options, and the page's token."""
    token = csrf_token(text(client.get("/compte/cles-d-acces")))
    answer = client.post("/compte/cles-d-acces/options", headers={"X-CSRFToken": token})
    assert answer.status_code == 200, text(answer)
    return answer.get_json(), token


def register(client, authenticator, name: str = "Mon téléphone", **create):
    """Add a passkey from the account page; returns the response to the form post."""
    options, token = registration_options(client)
    credential = authenticator.create(options, **create)
    return client.post(
        "/compte/cles-d-acces",
        data={"csrf_token": token, "name": name, "credential": json.dumps(credential)},
    )


def sign_in_options(client, page_path: str = "/connexion") -> tuple[dict, str, str | None]:
    """What passkeys.js does on a sign-in page: the options, the token and `next`."""
    page = text(client.get(page_path))
    form = re.search(r'<form id="passkey-sign-in".*?</form>', page, re.S).group(0)
    token = csrf_token(form)
    found = re.search(r'name="next" value="([^"]*)"', form)
    next_url = html.unescape(found.group(1)) if found else None
    answer = client.post("/connexion/cle-d-acces/options", headers={"X-CSRFToken": token})
    assert answer.status_code == 200, text(answer)
    return answer.get_json(), token, next_url


def post_assertion(client, assertion: dict, token: str, next_url: str | None = None):
    data = {"csrf_token": token, "credential": json.dumps(assertion)}
    if next_url:
        data["next"] = next_url
    return client.post("/connexion/cle-d-acces", data=data)


def sign_in_with_passkey(client, authenticator, page_path: str = "/connexion", **get):
    options, token, next_url = sign_in_options(client, page_path)
    return post_assertion(client, authenticator.get(options, **get), token, next_url)
