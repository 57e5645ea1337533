"""Refresh rotation and reuse, revocation (RFC 7009), introspection (RFC 7662),
consent, and key rotation while older tokens still verify."""

import requests
from authlib.integrations.base_client import OAuthError

from kernel.clock import utcnow
from kernel.extensions import db
from keys import services as keys


def offline(provider, browser, client):
    session = provider.rp(*client, scope="openid profile offline_access")
    return session, provider.code_flow(browser, session)


def refresh(provider, client, refresh_token):
    return requests.post(
        provider.url + "/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=client,
        timeout=30,
    )


def introspect(provider, client, token):
    return requests.post(
        provider.url + "/introspect", data={"token": token}, auth=client, timeout=5
    ).json()


def test_refresh_token_only_with_offline_access(provider, browser, livret):
    token = provider.code_flow(browser, provider.rp(*livret, scope="openid profile"))
    assert "refresh_token" not in token
    _, token = offline(provider, browser, livret)
    assert token["refresh_token"]


def test_refresh_rotates_the_refresh_token(provider, browser, livret):
    _, first = offline(provider, browser, livret)
    second = refresh(provider, livret, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    third = refresh(provider, livret, second["refresh_token"])
    assert third.status_code == 200


def test_reused_refresh_token_revokes_the_whole_family(provider, browser, livret):
    _, first = offline(provider, browser, livret)
    second = refresh(provider, livret, first["refresh_token"]).json()
    reuse = refresh(provider, livret, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert refresh(provider, livret, second["refresh_token"]).status_code == 400
    assert introspect(provider, livret, second["access_token"]) == {"active": False}


def test_refresh_token_of_another_client_is_refused(provider, browser, livret):
    other = provider.add_client(name="Autre", scope="openid offline_access")
    _, token = offline(provider, browser, livret)
    assert refresh(provider, other, token["refresh_token"]).json()["error"] == "invalid_grant"
    assert refresh(provider, livret, token["refresh_token"]).status_code == 200


def test_revoking_a_refresh_token_ends_the_grant(provider, browser, livret):
    _, token = offline(provider, browser, livret)
    response = requests.post(
        provider.url + "/revoke",
        data={"token": token["refresh_token"], "token_type_hint": "refresh_token"},
        auth=livret,
        timeout=30,
    )
    assert response.status_code == 200
    assert refresh(provider, livret, token["refresh_token"]).status_code == 400
    assert introspect(provider, livret, token["access_token"])["active"] is False


def test_revoking_an_access_token_keeps_the_refresh_token(provider, browser, livret):
    session, token = offline(provider, browser, livret)
    requests.post(
        provider.url + "/revoke", data={"token": token["access_token"]}, auth=livret, timeout=5
    )
    assert session.get(provider.url + "/userinfo").status_code == 401
    assert refresh(provider, livret, token["refresh_token"]).status_code == 200


def test_revoking_an_unknown_token_answers_200(provider, livret):
    response = requests.post(
        provider.url + "/revoke", data={"token": "nothing"}, auth=livret, timeout=5
    )
    assert response.status_code == 200


def test_introspection_describes_an_active_token(provider, browser, livret):
    token = provider.code_flow(browser, provider.rp(*livret))
    sub = provider.decode(token["id_token"]).claims["sub"]
    body = introspect(provider, livret, token["access_token"])
    assert body["active"] is True
    assert body["client_id"] == livret[0] and body["sub"] == sub
    assert body["iss"] == provider.url and set(body["scope"].split()) == {"openid", "profile"}


def test_introspection_needs_an_authenticated_client_and_its_own_tokens(provider, browser, livret):
    token = provider.code_flow(browser, provider.rp(*livret))
    anonymous = requests.post(
        provider.url + "/introspect", data={"token": token["access_token"]}, timeout=5
    )
    assert anonymous.status_code == 401
    other = provider.add_client(name="Autre")
    assert introspect(provider, other, token["access_token"]) == {"active": False}


def test_untrusted_service_asks_consent_once(provider, browser):
    from tests.idp.conftest import csrf_token

    client = provider.add_client(name="Cantine", trusted=False)
    session = provider.rp(*client, scope="openid profile email")
    response, verifier, _ = provider.authorize(browser, session)
    assert response.status_code == 200
    assert "Cantine" in response.text and "Adresse électronique" in response.text
    silent, _, _ = provider.authorize(browser, session, prompt="none")
    assert "error=consent_required" in silent.headers["Location"]
    answer = browser.post(
        response.url,
        data={"csrf_token": csrf_token(response.text), "decision": "allow"},
        allow_redirects=False,
        timeout=30,
    )
    assert "code=" in answer.headers["Location"]
    again, _, _ = provider.authorize(browser, session)
    assert again.status_code == 302 and "code=" in again.headers["Location"]


def test_refusing_consent_returns_access_denied(provider, browser):
    from tests.idp.conftest import csrf_token

    client = provider.add_client(name="Cantine", trusted=False)
    response, _, _ = provider.authorize(browser, provider.rp(*client))
    answer = browser.post(
        response.url,
        data={"csrf_token": csrf_token(response.text), "decision": "deny"},
        allow_redirects=False,
        timeout=30,
    )
    assert "error=access_denied" in answer.headers["Location"]


def test_tokens_signed_before_a_rotation_still_verify(provider, browser, livret):
    before = provider.code_flow(browser, provider.rp(*livret))["id_token"]
    with provider.ctx():
        keys.rotate(box=provider.app.extensions["guichet.keybox"], now=utcnow())
        db.session.commit()
    after = provider.code_flow(browser, provider.rp(*livret))["id_token"]
    old, new = provider.decode(before), provider.decode(after)
    assert old.header["kid"] != new.header["kid"]
    assert new.header["kid"] == provider.jwks().keys[0].kid


def test_es256_keys_sign_id_tokens(provider, browser, livret):
    with provider.ctx():
        box = provider.app.extensions["guichet.keybox"]
        keys.rotate(box=box, now=utcnow(), alg="ES256")
        keys.rotate(box=box, now=utcnow())
        db.session.commit()
    token = provider.code_flow(browser, provider.rp(*livret))["id_token"]
    assert provider.decode(token).header["alg"] == "ES256"


def test_userinfo_token_expires(provider, browser, livret):
    import datetime as dt

    import time_machine

    token = provider.code_flow(browser, provider.rp(*livret))
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11)):
        assert (
            requests.get(provider.url + "/userinfo", headers=headers, timeout=30).status_code == 401
        )


def test_fetch_token_error_surfaces_in_the_client(provider, browser, livret):
    session = provider.rp(*livret)
    try:
        session.fetch_token(provider.url + "/token", code="nope", code_verifier="v" * 50)
    except OAuthError as error:
        assert error.error == "invalid_grant"


def test_purge_removes_expired_codes_and_tokens_only(provider, browser, livret):
    import datetime as dt

    import time_machine

    from idp.oauth_models import AuthorizationCode
    from idp.oauth_models import Token

    old = provider.code_flow(browser, provider.rp(*livret))
    _, kept = offline(provider, browser, livret)
    runner = provider.app.test_cli_runner()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)):
        result = runner.invoke(args=["sessions", "purge"])
    assert result.exit_code == 0, result.output
    assert "codes: 2" in result.output and "tokens: 1" in result.output
    with provider.ctx():
        assert db.session.scalar(db.select(db.func.count()).select_from(AuthorizationCode)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Token)) == 1
    assert old and refresh(provider, livret, kept["refresh_token"]).status_code == 200


def test_userinfo_takes_the_token_from_a_post_body(provider, browser, livret):
    """RFC 6750 §2.2: certified client libraries send it this way by default."""
    token = provider.code_flow(browser, provider.rp(*livret))
    response = requests.post(
        provider.url + "/userinfo", data={"access_token": token["access_token"]}, timeout=5
    )
    assert response.status_code == 200 and response.json()["sub"]


def test_userinfo_without_any_token_is_challenged_without_an_error_code(provider):
    """RFC 6750 §3.1: no credentials at all, no error code."""
    for method in ("GET", "POST"):
        response = requests.request(method, provider.url + "/userinfo", timeout=30)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="guichet"'
