"""The sign-in page (/connexion, `idp.login`) and the steps a password leads to."""

import re

import pytest

from accounts.models import AccountState
from kernel.extensions import db
from tests import factories


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def post_login(client, identifier, password, next_url=None):
    page = client.get("/connexion")
    query = f"?next={next_url}" if next_url else ""
    return client.post(
        "/connexion" + query,
        data={
            "csrf_token": csrf(page.get_data(as_text=True)),
            "identifier": identifier,
            "password": password,
        },
    )


def test_sign_in_page_is_french_and_accessible(client):
    html = client.get("/connexion").get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert '<label class="fr-label" for="identifier">Identifiant</label>' in html
    assert 'for="password">Mot de passe</label>' in html
    assert "Se connecter" in html


def test_links_of_areas_not_installed_are_left_out(client, app):
    html = client.get("/connexion").get_data(as_text=True)
    expected = {
        "enrollment.lost_identifier": "Identifiant perdu",
        "enrollment.lost_password": "Mot de passe perdu",
        "enrollment.register": "Je n'ai pas encore d'identifiant",
        "federation.login": "FranceConnect",
    }
    for endpoint, text in expected.items():
        assert (text in html) == (endpoint in app.view_functions)


def test_correct_password_opens_a_session_and_follows_next(client, activated_account):
    response = post_login(client, activated_account.identifier, "Secret123", "/authorize?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/authorize?x=1"
    assert client.get("/session").status_code == 200


def test_next_must_be_a_local_path(client, activated_account):
    response = post_login(
        client, activated_account.identifier, "Secret123", "https://evil.example/"
    )
    assert "evil" not in response.headers["Location"]


@pytest.mark.parametrize("password", ["Wrong1234", ""])
def test_wrong_password_is_refused_with_one_message(client, activated_account, password):
    response = post_login(client, activated_account.identifier, password)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert ("Identifiant ou mot de passe incorrect." in html) or ("Saisissez" in html)
    assert client.get("/session").status_code == 302


def test_unknown_identifier_gets_the_same_message(client, app_ctx):
    response = post_login(client, "x.nobody", "Secret123")
    assert "Identifiant ou mot de passe incorrect." in response.get_data(as_text=True)


def test_temporary_password_never_opens_a_session(client, app, guardian):
    account = guardian.account
    factories.set_state(account, AccountState.NOTIFIED)
    password = app.extensions["guichet.passwords"].box.decrypt(account.temporary_password_encrypted)
    db.session.commit()
    response = post_login(client, account.identifier, password)
    if "enrollment.activate" in app.view_functions:
        assert response.status_code == 302
        assert "/activation" in response.headers["Location"]
    else:
        assert response.status_code == 400
        assert "pas disponible" in response.get_data(as_text=True)
    assert client.get("/session").status_code == 302


def test_a_signed_in_parent_skips_the_form(client, activated_account):
    factories.sign_in_client(client, activated_account)
    response = client.get("/connexion?next=/session")
    assert response.status_code == 302 and response.headers["Location"] == "/session"
    assert client.get("/connexion?reauth=1").status_code == 200
