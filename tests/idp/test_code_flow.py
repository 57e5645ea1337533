"""The authorization code flow over real HTTP, driven by Authlib's OAuth2Session:
discovery, ID token, PKCE, codes, redirects, errors, userinfo (issue 4)."""

import base64
import datetime as dt
import hashlib
import re
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import requests
import time_machine
from authlib.integrations.base_client import OAuthError

from tests.idp.conftest import RP
from tests.idp.conftest import Provider
from tests.idp.conftest import csrf_token
from tests.idp.conftest import post_sign_in_form


def query(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_discovery_document_is_consistent(provider):
    meta = requests.get(provider.url + "/.well-known/openid-configuration", timeout=30).json()
    assert meta["issuer"] == provider.url
    for name in ("authorization", "token", "userinfo", "revocation", "introspection"):
        assert meta[f"{name}_endpoint"].startswith(provider.url)
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["subject_types_supported"] == ["pairwise"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert meta["backchannel_logout_supported"] is True
    keys = requests.get(meta["jwks_uri"], timeout=30).json()["keys"]
    assert {k["alg"] for k in keys} == set(meta["id_token_signing_alg_values_supported"])
    assert set(meta["token_endpoint_auth_methods_supported"]) >= {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    }


def test_id_token_is_signed_and_carries_the_session_facts(provider, browser, livret):
    session = provider.rp(*livret)
    token = provider.code_flow(browser, session, nonce="n-123")
    decoded = provider.decode(token["id_token"])
    claims = decoded.claims
    assert decoded.header["kid"] == provider.jwks().keys[0].kid
    assert claims["iss"] == provider.url
    assert claims["aud"] == [livret[0]]
    assert claims["nonce"] == "n-123"
    assert claims["amr"] == ["pwd"] and claims["acr"] == "eidas1"
    assert claims["auth_time"] <= claims["iat"]
    assert claims["sid"]
    digest = hashlib.sha256(token["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def test_authorization_response_carries_state_and_issuer(provider, browser, livret):
    response, _, state = provider.authorize(browser, provider.rp(*livret))
    params = query(response.headers["Location"])
    assert params["state"] == state
    assert params["iss"] == provider.url
    assert response.headers["Location"].startswith(RP + "/callback?")


def test_userinfo_answers_get_and_post_with_a_bearer_token(provider, browser, livret):
    session = provider.rp(*livret, scope="openid profile email")
    token = provider.code_flow(browser, session)
    got = session.get(provider.url + "/userinfo").json()
    posted = session.post(provider.url + "/userinfo").json()
    assert got == posted
    assert got["given_name"] == "Gérald" and got["family_name"] == "Martin"
    assert got["email"] == "gerald.martin@example.org"
    assert "children" not in got
    bad = requests.get(
        provider.url + "/userinfo", headers={"Authorization": "Bearer nope"}, timeout=5
    )
    assert bad.status_code == 401
    assert token["token_type"].lower() == "bearer"


def test_children_are_released_only_to_services_allowed_that_scope(provider, browser):
    allowed = provider.add_client(name="Livret", sector="a.example")
    refused = provider.add_client(name="Cantine", scope="openid profile", sector="b.example")
    session = provider.rp(*allowed, scope="openid children")
    provider.code_flow(browser, session)
    children = session.get(provider.url + "/userinfo").json()["children"]
    assert [c["given_name"] for c in children] == ["Léa"]
    assert children[0]["school"]["uai"] and children[0]["class"] == "CM1 A"
    assert "ine" not in children[0]
    other = provider.rp(*refused, scope="openid children")
    token = provider.code_flow(browser, other)
    assert token["scope"] == "openid"
    assert "children" not in other.get(provider.url + "/userinfo").json()


def test_pairwise_sub_differs_per_sector_and_is_stable(provider, browser):
    first = provider.add_client(name="A", sector="a.example")
    second = provider.add_client(name="B", sector="b.example")
    same_sector = provider.add_client(name="A2", sector="a.example")
    subs = []
    for client in (first, second, same_sector, first):
        token = provider.code_flow(browser, provider.rp(*client))
        subs.append(provider.decode(token["id_token"]).claims["sub"])
    assert subs[0] != subs[1]
    assert subs[0] == subs[2] == subs[3]


def test_plain_pkce_is_refused(provider, browser, livret):
    session = provider.rp(*livret, code_challenge_method=None)
    for method in ("plain", None):
        extra = {"code_challenge_method": method} if method else {}
        url, _ = session.create_authorization_url(
            provider.url + "/authorize", code_challenge="v" * 50, **extra
        )
        response = browser.get(url, allow_redirects=False, timeout=30)
        assert query(response.headers["Location"])["error"] == "invalid_request"


def test_public_client_must_use_pkce(provider, browser):
    public = provider.add_client(name="Appli", auth_method="none")
    session = provider.rp(public[0], None, code_challenge_method=None)
    url, _ = session.create_authorization_url(provider.url + "/authorize")
    response = browser.get(url, allow_redirects=False, timeout=30)
    assert query(response.headers["Location"])["error"] == "invalid_request"
    token = provider.code_flow(browser, provider.rp(public[0], None))
    assert "access_token" in token


def test_wrong_code_verifier_is_refused(provider, browser, livret):
    session = provider.rp(*livret)
    response, _, state = provider.authorize(browser, session)
    try:
        session.fetch_token(
            provider.url + "/token",
            authorization_response=response.headers["Location"],
            code_verifier="w" * 50,
            state=state,
        )
    except OAuthError as error:
        assert error.error == "invalid_grant"
    else:
        raise AssertionError("a wrong verifier was accepted")


def test_a_replayed_code_is_refused_and_revokes_its_tokens(provider, browser, livret):
    session = provider.rp(*livret)
    response, verifier, state = provider.authorize(browser, session)
    location = response.headers["Location"]
    token = session.fetch_token(
        provider.url + "/token", authorization_response=location, code_verifier=verifier
    )
    assert session.get(provider.url + "/userinfo").status_code == 200
    code = query(location)["code"]
    replay = requests.post(
        provider.url + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": RP + "/callback",
            "code_verifier": verifier,
        },
        auth=livret,
        timeout=30,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert requests.get(provider.url + "/userinfo", headers=headers, timeout=30).status_code == 401


def test_a_code_expires_after_60_seconds(provider, browser, livret):
    session = provider.rp(*livret)
    response, verifier, _ = provider.authorize(browser, session)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61)):
        reply = requests.post(
            provider.url + "/token",
            data={
                "grant_type": "authorization_code",
                "code": query(response.headers["Location"])["code"],
                "redirect_uri": RP + "/callback",
                "code_verifier": verifier,
            },
            auth=livret,
            timeout=30,
        )
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_exactly_and_errors_stay_on_our_page(provider, browser, livret):
    for redirect_uri in (RP + "/callback/", RP + "/callback?x=1", "http://evil.example/callback"):
        session = provider.rp(*livret, redirect_uri=redirect_uri)
        response, _, _ = provider.authorize(browser, session)
        assert response.status_code == 400
        assert "Location" not in response.headers
        assert "Demande de connexion invalide" in response.text


def test_unknown_client_gets_an_error_page(provider, browser):
    response, _, _ = provider.authorize(browser, provider.rp("inconnu", "x"))
    assert response.status_code == 400
    assert "Demande de connexion invalide" in response.text


def test_authorization_errors_go_back_to_a_known_redirect_uri(provider, browser, livret):
    """RFC 6749 §4.1.2.1."""
    session = provider.rp(*livret)
    response, _, state = provider.authorize(browser, session, response_type="token")
    params = query(response.headers["Location"])
    assert params["error"] == "unsupported_response_type"
    assert params["state"] == state and params["iss"] == provider.url


def test_token_endpoint_errors(provider, browser, livret):
    """RFC 6749 §5.2."""
    url = provider.url + "/token"
    wrong_secret = requests.post(
        url,
        data={"grant_type": "authorization_code", "code": "x"},
        auth=(livret[0], "bad"),
        timeout=30,
    )
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    unknown_grant = requests.post(url, data={"grant_type": "password"}, auth=livret, timeout=30)
    assert unknown_grant.json()["error"] == "unsupported_grant_type"
    bad_code = requests.post(
        url,
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": RP + "/callback"},
        auth=livret,
        timeout=30,
    )
    assert bad_code.status_code == 400 and bad_code.json()["error"] == "invalid_grant"


def test_client_secret_post_is_accepted_for_a_client_registered_so(provider, browser):
    client = provider.add_client(name="Post", auth_method="client_secret_post")
    session = provider.rp(*client, token_endpoint_auth_method="client_secret_post")
    assert "id_token" in provider.code_flow(browser, session)


def test_private_key_jwt_client_authentication(provider, browser):
    from authlib.oauth2.rfc7523 import PrivateKeyJWT
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, private=True)
    jwks = {"keys": [key.as_dict(private=False)]}
    client_id, _ = provider.add_client(name="Signed", auth_method="private_key_jwt", jwks=jwks)
    session = provider.rp(
        client_id, key.as_pem(private=True), token_endpoint_auth_method="private_key_jwt"
    )
    session.register_client_auth_method(PrivateKeyJWT(provider.url + "/token"))
    assert "id_token" in provider.code_flow(browser, session)


def test_prompt_none_without_session_answers_login_required(provider, livret):
    response, _, _ = provider.authorize(requests.Session(), provider.rp(*livret), prompt="none")
    assert query(response.headers["Location"])["error"] == "login_required"


def test_no_session_shows_the_sign_in_form_which_answers_the_service(provider, parent, livret):
    anonymous = requests.Session()
    session = provider.rp(*livret)
    page, verifier, state = provider.authorize(
        anonymous, session, login_hint=parent, ui_locales="fr", foo="bar"
    )
    assert page.status_code == 200 and "Se connecter" in page.text
    assert f'value="{parent}"' in page.text
    # FranceConnect and the other journeys come back to this authorization request.
    assert re.search(r'name="next" value="/authorize\?response_type=code&amp;client_id=', page.text)

    refused = post_sign_in_form(anonymous, page, parent, "not-the-password")
    assert refused.status_code == 400
    assert "Identifiant ou mot de passe incorrect." in refused.text

    answered = post_sign_in_form(anonymous, page, parent)
    assert answered.status_code == 302
    callback = answered.headers["Location"]
    assert callback.startswith(RP + "/callback?")
    assert query(callback)["state"] == state and query(callback)["iss"] == provider.url
    token = session.fetch_token(
        provider.url + "/token",
        authorization_response=callback,
        code_verifier=verifier,
        state=state,
    )
    assert provider.decode(token["id_token"]).claims["amr"] == ["pwd"]
    # The browser is now signed in: the next service needs no password.
    silent, _, _ = provider.authorize(anonymous, session, prompt="none")
    assert "code" in query(silent.headers["Location"])


def test_prompt_login_and_max_age_ask_for_the_password_again(provider, browser, parent, livret):
    session = provider.rp(*livret)
    before = provider.decode(provider.code_flow(browser, session)["id_token"]).claims
    page, verifier, state = provider.authorize(browser, session, prompt="login")
    assert page.status_code == 200 and "Se connecter" in page.text
    # A wrong password is refused even though the browser has a live session.
    refused = post_sign_in_form(browser, page, parent, "not-the-password")
    assert refused.status_code == 400 and "Location" not in refused.headers
    answered = post_sign_in_form(browser, page, parent)
    token = session.fetch_token(
        provider.url + "/token",
        authorization_response=answered.headers["Location"],
        code_verifier=verifier,
        state=state,
    )
    after = provider.decode(token["id_token"]).claims
    assert after["sid"] != before["sid"]  # a new authentication, a new session
    assert after["auth_time"] >= before["auth_time"]
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)):
        stale, _, _ = provider.authorize(browser, provider.rp(*livret), max_age="5")
        assert stale.status_code == 200 and "Se connecter" in stale.text
        silent, _, _ = provider.authorize(
            browser, provider.rp(*livret), prompt="none", max_age="3600"
        )
        assert "code" in query(silent.headers["Location"])


def test_malformed_claims_parameter_is_ignored_and_essential_claims_honoured(
    provider, browser, livret
):
    session = provider.rp(*livret, scope="openid profile")
    token = provider.code_flow(browser, session, claims="{not json")
    assert "id_token" in token
    token = provider.code_flow(
        browser, session, claims='{"id_token": {"given_name": {"essential": true}}}'
    )
    assert provider.decode(token["id_token"]).claims["given_name"] == "Gérald"


def test_an_account_no_longer_activated_gets_no_code(provider, browser, parent, livret):
    from accounts import audit
    from accounts import states
    from accounts.models import Account
    from kernel.clock import utcnow
    from kernel.extensions import db

    kept = provider.parent(first_name="Gérald", last_name="Martin")
    with provider.ctx():
        account = db.session.scalar(db.select(Account).where(Account.identifier == parent))
        into = db.session.scalar(db.select(Account).where(Account.identifier == kept))
        states.delete_merged(account, into=into, now=utcnow(), actor=audit.SYSTEM)
        db.session.commit()
    page, _, _ = provider.authorize(browser, provider.rp(*livret))
    assert page.status_code == 200 and "Se connecter" in page.text


def test_ine_is_released_only_with_the_ine_scope(provider, browser):
    client = provider.add_client(name="LSU", scope="openid children ine", sector="lsu.example")
    session = provider.rp(*client, scope="openid children ine")
    provider.code_flow(browser, session)
    child = session.get(provider.url + "/userinfo").json()["children"][0]
    assert child["ine"] and len(child["ine"]) == 11


def test_a_temporary_password_posted_to_the_authorization_form_leads_to_activation(
    provider, livret
):
    from accounts.models import AccountState
    from kernel import runtime
    from kernel.extensions import db
    from tests import factories

    with provider.ctx():
        guardian, _ = factories.make_family(factories.make_school())
        account = guardian.account
        factories.set_state(account, AccountState.NOTIFIED)
        temporary = runtime.passwords().temporary_password(account)
        identifier = account.identifier
        db.session.commit()
    browser = requests.Session()
    page, _, _ = provider.authorize(browser, provider.rp(*livret))
    response = post_sign_in_form(browser, page, identifier, temporary)
    assert response.status_code == 302 and response.headers["Location"] == "/activation"
    assert "Date de naissance" in browser.get(provider.url + "/activation", timeout=30).text


def test_sign_in_posts_to_both_forms_share_one_limit(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3/minute")
    client = app.test_client()
    client_id, _ = Provider(url="http://127.0.0.1", app=app).add_client()  # no server needed
    authorize = (
        f"/authorize?response_type=code&client_id={client_id}&redirect_uri={RP}/callback"
        f"&scope=openid&state=s&code_challenge={'c' * 43}&code_challenge_method=S256"
    )
    for path in (authorize, "/connexion", authorize):
        page = client.get(path)
        posted = client.post(
            path,
            data={"csrf_token": csrf_token(page.text), "identifier": "nobody", "password": "wrong"},
        )
        assert posted.status_code == 400
    page = client.get(authorize)
    assert page.status_code == 200  # showing the form costs nothing
    posted = client.post(
        authorize, data={"csrf_token": csrf_token(page.text), "identifier": "x", "password": "y"}
    )
    assert posted.status_code == 429 and "Trop de" in posted.text
