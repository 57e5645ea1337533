"""The mock FranceConnect is a real, strict OpenID Connect provider: it refuses what
FranceConnect refuses, so the demo and the tests exercise the client honestly."""

from __future__ import annotations

import re
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from demo.cli import demo_group
from demo.franceconnect import MockClient
from demo.franceconnect import create_mock_app
from demo.franceconnect import identities_from_demo
from demo.franceconnect import load_identities

ISSUER = "http://fc.mock.test"
CALLBACK = "http://guichet.test/franceconnect/retour"
AFTER_LOGOUT = "http://guichet.test/franceconnect/deconnexion/fin"
CLIENT = MockClient("client-1", "secret-1", [CALLBACK], [AFTER_LOGOUT])


@pytest.fixture(scope="module")
def mock():
    return create_mock_app(issuer=ISSUER, clients=[CLIENT], identities=load_identities())


@pytest.fixture
def browser(mock):
    return mock.test_client()


def _authorize(browser, **overrides):
    params = {
        "client_id": "client-1",
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid given_name family_name",
        "state": "s" * 32,
        "nonce": "n" * 32,
        "acr_values": "eidas1",
        **overrides,
    }
    return browser.get("/api/v2/authorize", query_string=params)


def _code(browser, sub="fc-demo-camille-lefevre") -> str:
    page = _authorize(browser).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    response = browser.post("/api/v2/authorize", data={**fields, "sub": sub, "action": "continue"})
    query = parse_qs(urlsplit(response.location).query)
    assert query["state"] == ["s" * 32]
    return query["code"][0]


def _token(browser, code, secret="secret-1"):
    return browser.post(
        "/api/v2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": "client-1",
            "client_secret": secret,
        },
    )


def test_discovery_points_at_its_own_endpoints(browser):
    doc = browser.get("/.well-known/openid-configuration").json
    assert doc["issuer"] == ISSUER
    assert doc["jwks_uri"] == ISSUER + "/api/v2/jwks"
    assert "eidas1" in doc["acr_values_supported"]


def test_the_picking_page_lists_every_test_identity(browser):
    page = _authorize(browser).get_data(as_text=True)
    assert "Camille Lefèvre" in page
    assert "Correspond à deux comptes" in page
    assert "Ne correspond à aucun compte" in page


def test_an_unregistered_redirect_uri_is_never_followed(browser):
    response = _authorize(browser, redirect_uri="http://evil.test/cb")
    assert response.status_code == 400
    assert response.location is None


def test_state_and_nonce_are_required(browser):
    response = _authorize(browser, nonce="")
    assert parse_qs(urlsplit(response.location).query)["error"] == ["invalid_request"]


def test_cancelling_returns_access_denied(browser):
    page = _authorize(browser).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    response = browser.post("/api/v2/authorize", data={**fields, "action": "cancel"})
    assert parse_qs(urlsplit(response.location).query)["error"] == ["access_denied"]


def test_the_id_token_is_signed_with_the_published_key(browser):
    tokens = _token(browser, _code(browser)).json
    keys = KeySet.import_key_set(browser.get("/api/v2/jwks").json)
    claims = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["iss"] == ISSUER and claims["aud"] == "client-1"
    assert claims["nonce"] == "n" * 32 and claims["acr"] == "eidas1"


def test_a_code_is_good_once(browser):
    code = _code(browser)
    assert _token(browser, code).status_code == 200
    assert _token(browser, code).json == {"error": "invalid_grant"}


def test_a_wrong_client_secret_is_refused(browser):
    assert _token(browser, _code(browser), secret="guess").status_code == 401


def test_userinfo_is_a_signed_jwt_with_the_scoped_claims(browser):
    tokens = _token(browser, _code(browser)).json
    response = browser.get(
        "/api/v2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.mimetype == "application/jwt"
    keys = KeySet.import_key_set(browser.get("/api/v2/jwks").json)
    claims = jwt.decode(response.get_data(as_text=True), keys, algorithms=["RS256"]).claims
    assert claims["given_name"] == "Camille" and "email" not in claims
    assert browser.get("/api/v2/userinfo").status_code == 401


def test_logout_needs_its_id_token_and_a_registered_return_address(browser):
    id_token = _token(browser, _code(browser)).json["id_token"]
    good = {"id_token_hint": id_token, "state": "st", "post_logout_redirect_uri": AFTER_LOGOUT}
    response = browser.get("/api/v2/session/end", query_string=good)
    assert response.location == AFTER_LOGOUT + "?state=st"
    evil = {**good, "post_logout_redirect_uri": "http://evil.test/"}
    assert browser.get("/api/v2/session/end", query_string=evil).status_code == 400
    forged = {**good, "id_token_hint": "x.y.z"}
    assert browser.get("/api/v2/session/end", query_string=forged).status_code == 400


def test_identities_can_be_derived_from_the_demo_seed():
    seed = {
        "accounts": [
            {"identifier": "a.benali", "first_name": "Amina", "last_name": "Benali",
             "mobile": "06 98 76 54 32", "email": "a@example.org", "state": "not_notified"},
            {"identifier": "a.benali1", "first_name": "AMINA", "last_name": "Benali",
             "mobile": "+33698765432", "email": "b@example.org", "state": "notified"},
            {"identifier": "g.martin", "first_name": "Gérald", "last_name": "Martin",
             "mobile": "0612345678", "state": "not_notified", "purpose": "FranceConnect"},
            {"identifier": "s.nomobile", "first_name": "Sans", "last_name": "Mobile",
             "mobile": None, "state": "not_notified"},
        ]
    }  # fmt: skip

    identities = identities_from_demo(seed)

    assert [i["given_name"] for i in identities] == ["Gérald", "Amina", "Lucie"]
    assert "2 comptes (a.benali, a.benali1)" in identities[1]["demo"]["note"]
    assert identities[-1]["family_name"] == "Inconnue"
    assert identities_from_demo(seed) == identities  # stable subs across restarts


def test_the_cli_offers_the_mock(runner):
    result = runner.invoke(demo_group, ["franceconnect", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "--demo-json" in result.output


def test_the_address_the_readme_gives_answers_a_page_of_the_test_identities(browser):
    response = browser.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<main>" in page and "<h1>FranceConnect simulé</h1>" in page
    assert "S'identifier avec FranceConnect" in page and "Camille Lefèvre" in page
