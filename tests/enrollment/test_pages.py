"""Every journey page renders in French on the State's frame, with labelled fields."""

from __future__ import annotations

import pytest

from tests import factories
from tests.enrollment.conftest import text

PUBLIC = [
    ("/inscription", "Créer mon compte"),
    ("/identifiant-perdu", "Identifiant perdu"),
    ("/identifiant-perdu?mode=email", "adresse de courrier électronique"),
    ("/identifiant-perdu?mode=sms", "France métropolitaine (+33)"),
    ("/mot-de-passe-perdu", "Choisissez le mode de récupération"),
    ("/activation", "Votre démarche a expiré"),
    ("/mot-de-passe/nouveau", "Votre démarche a expiré"),
    ("/activation/courriel", "Votre démarche a expiré"),
]
SIGNED_IN = [
    ("/compte", "Mes enfants"),
    ("/compte/adresse", "Confirmation de la nouvelle adresse électronique"),
    ("/compte/mobile", "Nouveau numéro de téléphone mobile"),
    ("/compte/mot-de-passe", "Mot de passe actuel"),
    ("/compte/enfants/ajouter", "Recherchez le compte"),
]


def check(page: str, expected: str) -> None:
    page = page.replace("&#39;", "'")
    assert '<html lang="fr"' in page
    assert "fr-header" in page
    assert expected in page


@pytest.mark.parametrize(("path", "expected"), PUBLIC)
def test_public_pages(client, path, expected):
    check(text(client.get(path)), expected)


@pytest.mark.parametrize(("path", "expected"), SIGNED_IN)
def test_account_pages(client, activated_account, path, expected):
    factories.sign_in_client(client, activated_account)
    response = client.get(path)
    assert response.status_code == 200
    check(text(response), expected)


@pytest.mark.parametrize(("path", "_"), SIGNED_IN)
def test_account_pages_need_a_session(client, path, _):
    assert client.get(path).headers["Location"].startswith("/connexion?next=")
