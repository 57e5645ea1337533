"""Signing out once signs out of every service: RP-initiated logout, back-channel
logout tokens, retries for a failing service, and the operators' revocation."""

import datetime as dt

import requests
import time_machine

from idp.oauth_models import LogoutDelivery
from kernel.extensions import db
from tests.idp.conftest import RP
from tests.idp.conftest import csrf_token
from tests.idp.conftest import deliver_logouts

EVENT = "http://schemas.openid.net/event/backchannel-logout"


def two_services(provider, receiver):
    first = provider.add_client(
        name="Livret", sector="livret.example", backchannel_logout_uri=receiver.url
    )
    second = provider.add_client(
        name="Inscription", sector="inscription.example", backchannel_logout_uri=receiver.url
    )
    return first, second


def test_rp_initiated_logout_signs_out_of_every_service(provider, browser, receiver):
    first, second = two_services(provider, receiver)
    token = provider.code_flow(browser, provider.rp(*first))
    other = provider.code_flow(browser, provider.rp(*second))
    response = browser.get(
        provider.url + "/deconnexion",
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": RP + "/",
            "state": "s-42",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == RP + "/?state=s-42"
    silent, _, _ = provider.authorize(browser, provider.rp(*first), prompt="none")
    assert "error=login_required" in silent.headers["Location"]
    headers = {"Authorization": f"Bearer {other['access_token']}"}
    assert requests.get(provider.url + "/userinfo", headers=headers, timeout=30).status_code == 401

    deliver_logouts(provider, expected=2)
    assert len(receiver.tokens) == 2
    sids = {provider.decode(t).claims["sid"] for t in (token["id_token"], other["id_token"])}
    for logout_token in receiver.tokens:
        decoded = provider.decode(logout_token)
        assert decoded.header["typ"] == "logout+jwt"
        claims = decoded.claims
        assert claims["iss"] == provider.url
        assert claims["events"] == {EVENT: {}}
        assert claims["sid"] in sids and claims["jti"] and "nonce" not in claims
    assert {provider.decode(t).claims["aud"] for t in receiver.tokens} == {first[0], second[0]}


def test_unregistered_post_logout_redirect_is_not_followed(provider, browser, livret):
    token = provider.code_flow(browser, provider.rp(*livret))
    response = browser.get(
        provider.url + "/deconnexion",
        params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": RP + "/ailleurs"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 200
    assert "Vous êtes déconnecté" in response.text


def test_logout_without_id_token_hint_asks_for_confirmation(provider, browser):
    page = browser.get(provider.url + "/deconnexion", timeout=30)
    assert "Voulez-vous vous déconnecter" in page.text
    assert (
        browser.get(provider.url + "/session", allow_redirects=False, timeout=30).status_code == 200
    )
    done = browser.post(
        provider.url + "/deconnexion", data={"csrf_token": csrf_token(page.text)}, timeout=5
    )
    assert "Vous êtes déconnecté" in done.text
    assert (
        browser.get(provider.url + "/session", allow_redirects=False, timeout=30).status_code == 302
    )


def test_forged_id_token_hint_gets_an_error_page(provider, browser):
    response = browser.get(
        provider.url + "/deconnexion",
        params={"id_token_hint": "eyJhbGciOiJub25lIn0.e30.", "post_logout_redirect_uri": RP + "/"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_a_failing_service_is_retried_later_without_blocking(provider, browser, receiver, runner):
    client = provider.add_client(name="Livret", backchannel_logout_uri=receiver.url)
    receiver.status = 503
    token = provider.code_flow(browser, provider.rp(*client))
    response = browser.get(
        provider.url + "/deconnexion",
        params={"id_token_hint": token["id_token"]},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 200
    deliver_logouts(provider, expected=1)
    with provider.ctx():
        delivery = db.session.scalar(db.select(LogoutDelivery))
        assert delivery.delivered_at is None and delivery.last_error == "HTTP 503"
        assert delivery.next_attempt_at is not None
    receiver.status = 200
    runner = provider.app.test_cli_runner()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)):
        result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert len(receiver.tokens) == 1
    with provider.ctx():
        assert db.session.scalar(db.select(LogoutDelivery)).delivered_at is not None


def test_operators_revoke_the_sessions_of_one_school(provider, receiver):
    client = provider.add_client(name="Livret", backchannel_logout_uri=receiver.url)
    here = provider.parent(school_uai="0310001A")
    there = provider.parent(school_uai="0310002B", first_name="Anne", last_name="Durand")
    here_browser, there_browser = provider.sign_in(here), provider.sign_in(there)
    here_token = provider.code_flow(
        here_browser, provider.rp(*client, scope="openid offline_access")
    )
    there_token = provider.code_flow(there_browser, provider.rp(*client))
    runner = provider.app.test_cli_runner()
    result = runner.invoke(args=["sessions", "revoke", "--school", "0310001A"])
    assert result.exit_code == 0, result.output
    assert "1 session(s)" in result.output
    deliver_logouts(provider, expected=1)
    assert len(receiver.tokens) == 1
    refresh = requests.post(
        provider.url + "/token",
        data={"grant_type": "refresh_token", "refresh_token": here_token["refresh_token"]},
        auth=client,
        timeout=30,
    )
    assert refresh.status_code == 400
    assert (
        here_browser.get(provider.url + "/session", allow_redirects=False, timeout=30).status_code
        == 302
    )
    assert (
        there_browser.get(provider.url + "/session", allow_redirects=False, timeout=30).status_code
        == 200
    )
    headers = {"Authorization": f"Bearer {there_token['access_token']}"}
    assert requests.get(provider.url + "/userinfo", headers=headers, timeout=30).status_code == 200


def test_operators_revoke_everyone(provider, browser, livret):
    runner = provider.app.test_cli_runner()
    assert runner.invoke(args=["sessions", "revoke"]).exit_code != 0
    result = runner.invoke(args=["sessions", "revoke", "--all"])
    assert result.exit_code == 0 and "1 session(s)" in result.output
    assert (
        browser.get(provider.url + "/session", allow_redirects=False, timeout=30).status_code == 302
    )
    assert runner.invoke(args=["sessions", "revoke", "--school", "9999999Z"]).exit_code != 0


def test_an_id_token_of_another_browser_signs_no_one_out_without_confirmation(
    provider, browser, livret
):
    """A leaked or replayed ID token opened in this browser (issue 13): the parent is
    asked, and stays signed in until they confirm."""
    elsewhere = provider.sign_in(provider.parent(first_name="Autre"))
    their_token = provider.code_flow(elsewhere, provider.rp(*livret))["id_token"]
    provider.code_flow(browser, provider.rp(*livret))
    page = browser.get(
        provider.url + "/deconnexion",
        params={"id_token_hint": their_token, "post_logout_redirect_uri": RP + "/"},
        allow_redirects=False,
        timeout=30,
    )
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    still, _, _ = provider.authorize(browser, provider.rp(*livret), prompt="none")
    assert "code=" in still.headers["Location"]
    mine = provider.code_flow(browser, provider.rp(*livret))["id_token"]
    signed_out = browser.get(
        provider.url + "/deconnexion",
        params={"id_token_hint": mine, "post_logout_redirect_uri": RP + "/"},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_out.status_code == 302  # its own token: no question asked
