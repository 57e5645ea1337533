"""Every journey form carries a CSRF token and refuses a post without it."""

import pytest


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.mark.parametrize(
    "path", ["/inscription", "/mot-de-passe-perdu", "/identifiant-perdu?mode=email"]
)
def test_journey_forms_need_their_csrf_token(client, path):
    page = client.get(path).get_data(as_text=True)
    assert 'name="csrf_token"' in page
    response = client.post(path, data={})
    assert response.status_code == 400


def test_the_resend_button_of_the_account_page_carries_a_valid_token(client, activated_account):
    import re

    from enrollment import profile
    from kernel.clock import utcnow
    from kernel.extensions import db
    from tests import factories

    profile.request_email_change(activated_account, "nouvelle@example.org", now=utcnow())
    db.session.commit()
    factories.sign_in_client(client, activated_account)
    page = client.get("/compte").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/compte/adresse/renvoyer", data={}).status_code == 400
    response = client.post("/compte/adresse/renvoyer", data={"csrf_token": token})
    assert response.status_code == 302
    assert "renvoyé à nouvelle@example.org" in client.get("/compte").get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/compte/connexions/terminer", {"which": "all"}),
        ("/compte/connexions/alertes", {"enabled": "y"}),
        ("/compte/mes-donnees", {"password": "Secret123"}),
    ],
)
def test_my_connections_and_my_data_refuse_a_post_without_its_token(
    client, activated_account, path, data
):
    from tests import factories

    factories.sign_in_client(client, activated_account)
    assert client.post(path, data=data).status_code == 400
    assert client.get("/compte").status_code == 200  # still signed in: nothing ended
