"""Flask-Limiter on every page that checks a guessable secret or sends a message:
past the limit, the client address gets the French «trop de requêtes» page (429).
Per-subject throttles (birth dates, passwords, codes per number) are tested with
each journey."""

from __future__ import annotations

import pytest

from tests import factories

GUESS_PAGES = [
    "/activation",
    "/activation/valider/jeton-au-hasard",
    "/mot-de-passe/nouveau",
    "/inscription/code",
    "/inscription/enfants",
    "/inscription/mot-de-passe",
    "/mot-de-passe-perdu/code",
    "/mot-de-passe-perdu/nouveau",
    "/mot-de-passe-perdu/lien/jeton-au-hasard",
    "/compte/adresse/valider/jeton-au-hasard",
]
SIGNED_IN_GUESS_PAGES = ["/compte/mot-de-passe", "/compte/mobile/code", "/compte/enfants/ajouter"]
SEND_PAGES = ["/inscription", "/identifiant-perdu?mode=email", "/activation/courriel"]
SIGNED_IN_SEND_PAGES = ["/compte/adresse", "/compte/mobile", "/compte/adresse/renvoyer"]


def exhaust(client, path, allowed):
    for _ in range(allowed):
        assert client.post(path, data={}).status_code != 429
    response = client.post(path, data={})
    assert response.status_code == 429
    assert "Trop de" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", GUESS_PAGES)
def test_guessing_pages_are_limited_per_client_address(client, path):
    exhaust(client, path, 20)


@pytest.mark.parametrize("path", SEND_PAGES)
def test_sending_pages_are_limited_per_client_address(client, path):
    exhaust(client, path, 10)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [(p, 20) for p in SIGNED_IN_GUESS_PAGES] + [(p, 10) for p in SIGNED_IN_SEND_PAGES],
)
def test_account_pages_are_limited_per_client_address(client, activated_account, path, allowed):
    factories.sign_in_client(client, activated_account)
    exhaust(client, path, allowed)


def test_links_cannot_be_tried_in_bulk_by_opening_them(client):
    for _ in range(20):
        client.get("/mot-de-passe-perdu/lien/jeton-au-hasard")
    assert client.get("/mot-de-passe-perdu/lien/autre-jeton").status_code == 429
