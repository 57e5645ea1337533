"""Bad input never answers 500 (issue 13): a NUL byte anywhere in a form, a query or a
path gets the French 400 page, or an OAuth error in JSON on the endpoints programs
call; behind TRUSTED_PROXY_HOPS proxies the client address comes from
X-Forwarded-For, and without it the header is ignored."""

from __future__ import annotations

import re

import pytest

NUL = "a\x00b"


def with_csrf(client, page: str, data: dict) -> dict:
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return {"csrf_token": token, **data}


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("POST", "/connexion", {"identifier": NUL, "password": "x"}),
        ("POST", "/mot-de-passe-perdu", {"identifier": NUL}),
        ("POST", "/identifiant-perdu", {"email": NUL}),
        ("POST", "/admin/connexion", {"identifier": NUL, "password": "x"}),
        ("GET", f"/authorize?client_id={NUL}&response_type=code", None),
        ("GET", f"/admin/journal?action={NUL}", None),
        ("GET", "/admin/courriers/a%00b.pdf", None),
    ],
)
def test_a_nul_byte_gets_the_french_400_page(client, method, path, data):
    if data is not None:
        data = with_csrf(client, "/admin/connexion" if "admin" in path else "/connexion", data)
    response = client.open(path, method=method, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<html lang="fr"' in html and "Demande incorrecte" in html


@pytest.mark.parametrize("path", ["/token", "/revoke", "/introspect"])
def test_a_nul_byte_on_a_machine_endpoint_gets_an_oauth_error(client, path):
    response = client.post(path, data={"grant_type": "authorization_code", "code": NUL})
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"


def test_forwarded_addresses_are_ignored_without_trusted_proxies(make_app):
    app = make_app(LOGIN_RATE_LIMIT="2/minute")
    client = app.test_client()
    statuses = [
        client.post(
            "/connexion",
            data=with_csrf(client, "/connexion", {"identifier": "x", "password": "y"}),
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(4)
    ]
    assert 429 in statuses  # one bucket: the header did not split it


def test_with_one_trusted_proxy_each_parent_has_their_own_bucket(make_app):
    app = make_app(LOGIN_RATE_LIMIT="2/minute", TRUSTED_PROXY_HOPS="1")
    client = app.test_client()
    statuses = [
        client.post(
            "/connexion",
            data=with_csrf(client, "/connexion", {"identifier": "x", "password": "y"}),
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(4)
    ]
    assert 429 not in statuses
    same = [
        client.post(
            "/connexion",
            data=with_csrf(client, "/connexion", {"identifier": "x", "password": "y"}),
            headers={"X-Forwarded-For": "203.0.113.99"},
        ).status_code
        for _ in range(4)
    ]
    assert same[-1] == 429


@pytest.mark.parametrize("path", ["/token", "/userinfo", "/revoke", "/introspect"])
def test_plain_http_to_a_public_host_gets_an_oauth_error(client, path):
    """Behind a proxy that does not say it spoke https, a client learns why (not a 500)."""
    answer = client.post(path, base_url="http://guichet.example", data={"token": "x"})
    assert answer.status_code == 400
    assert answer.get_json() == {
        "error": "invalid_request",
        "error_description": "OAuth 2 MUST utilize https.",
    }
