"""The service's own address and its help page (linked from every page and email)."""

from __future__ import annotations

from tests import factories


def test_the_home_address_leads_to_the_sign_in_page(client):
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/connexion"
    assert "Connexion à vos services en ligne" in response.get_data(as_text=True)


def test_a_signed_in_parent_lands_on_the_account_page(client, activated_account):
    factories.sign_in_client(client, activated_account)
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/compte"


def test_the_help_page_explains_each_way_in_and_links_the_journeys(client):
    page = client.get("/aide").get_data(as_text=True)
    for heading in (
        "J&#39;ai des identifiants fournis par l&#39;école de mon enfant",
        "M&#39;inscrire par SMS",
        "Je dispose d&#39;un compte FranceConnect",
        "Je ne reçois pas le code ou le code est incorrect",
        "Je ne vois pas tous mes enfants",
    ):
        assert heading in page or heading.replace("&#39;", "'") in page
    for path in ("/inscription", "/identifiant-perdu", "/mot-de-passe-perdu", "/compte"):
        assert f'href="{path}' in page


def test_every_email_links_to_a_help_page_that_exists(client, app):
    with app.app_context():
        from kernel import runtime

        help_url = runtime.settings().product.help_url
    assert client.get(help_url.removeprefix("http://localhost")).status_code == 200
