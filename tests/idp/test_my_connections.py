"""«Mes connexions» over real HTTP (issue 17): ending a session from the account
page revokes its refresh tokens — `offline_access` ones included — and its
access tokens, and its service receives a back-channel logout token naming it."""

from __future__ import annotations

import requests

from tests.idp.conftest import csrf_token
from tests.idp.conftest import deliver_logouts


def refresh(provider, client, refresh_token):
    client_id, secret = client
    return requests.post(
        provider.url + "/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(client_id, secret),
        timeout=30,
    )


def test_ending_the_other_sessions_revokes_and_signs_their_services_out(provider, parent, receiver):
    client = provider.add_client(name="Livret", backchannel_logout_uri=receiver.url)
    home, phone = provider.sign_in(parent), provider.sign_in(parent)
    token = provider.code_flow(phone, provider.rp(*client, scope="openid offline_access"))
    renewed = refresh(provider, client, token["refresh_token"])
    assert renewed.status_code == 200, renewed.text  # the refresh token works until then

    page = home.get(provider.url + "/compte/connexions", timeout=30)
    assert "Livret" in page.text
    ended = home.post(
        provider.url + "/compte/connexions/terminer",
        data={"csrf_token": csrf_token(page.text), "which": "others"},
        allow_redirects=False,
        timeout=30,
    )
    assert ended.status_code == 302

    later = refresh(provider, client, renewed.json()["refresh_token"])
    assert later.status_code == 400 and later.json()["error"] == "invalid_grant"
    headers = {"Authorization": f"Bearer {renewed.json()['access_token']}"}
    assert requests.get(provider.url + "/userinfo", headers=headers, timeout=30).status_code == 401
    deliver_logouts(provider, expected=1)
    [logout_token] = receiver.tokens
    claims = provider.decode(logout_token).claims
    assert claims["sid"] == provider.decode(token["id_token"]).claims["sid"]
    assert claims["aud"] == client[0]
    assert home.get(provider.url + "/compte", allow_redirects=False, timeout=30).status_code == 200
    signed_out = phone.get(provider.url + "/compte", allow_redirects=False, timeout=30)
    assert signed_out.status_code == 302


def test_ending_all_sessions_signs_this_browser_out_too(provider, parent, receiver):
    client = provider.add_client(name="Livret", backchannel_logout_uri=receiver.url)
    home, phone = provider.sign_in(parent), provider.sign_in(parent)
    token = provider.code_flow(phone, provider.rp(*client, scope="openid offline_access"))
    page = home.get(provider.url + "/compte/connexions", timeout=30)
    home.post(
        provider.url + "/compte/connexions/terminer",
        data={"csrf_token": csrf_token(page.text), "which": "all"},
        allow_redirects=False,
        timeout=30,
    )
    assert refresh(provider, client, token["refresh_token"]).status_code == 400
    deliver_logouts(provider, expected=1)
    assert len(receiver.tokens) == 1
    for browser in (home, phone):
        response = browser.get(provider.url + "/compte", allow_redirects=False, timeout=30)
        assert response.status_code == 302
