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
