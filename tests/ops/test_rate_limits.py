"""Issue 14: limits are shared by the nodes. Sign-in posts per client address count
in Redis (LOGIN_RATE_LIMIT, 40/minute in these tests), wrong passwords per
identifier in PostgreSQL: spread over both nodes, they count against one limit."""

from __future__ import annotations

import pytest
import requests

from tests.idp.conftest import csrf_token
from tests.ops.flows import TIMEOUT

pytestmark = pytest.mark.xdist_group("ops")


def wrong_password(browser, base: str, token: str, identifier: str, address: str):
    """A sign-in post as HAProxy forwards it: the client's address in X-Forwarded-For."""
    response = browser.post(
        base + "/connexion",
        data={"csrf_token": token, "identifier": identifier, "password": "Mauvais123"},
        headers={"X-Forwarded-For": address},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    return response.status_code, response.text


def test_sign_in_posts_spread_over_both_nodes_count_against_one_limit(ops):
    a, b = ops.nodes["a"].url, ops.nodes["b"].url
    browser = requests.Session()
    token = csrf_token(browser.get(a + "/connexion", timeout=TIMEOUT).text)
    address = "198.51.100.23"
    for attempt in range(40):  # 20 on each node, each identifier once
        status, text = wrong_password(
            browser, (a, b)[attempt % 2], token, f"inconnu.{attempt}", address
        )
        assert status == 400 and "Identifiant ou mot de passe incorrect" in text
    for base in (a, b):
        status, text = wrong_password(browser, base, token, "inconnu.41", address)
        assert status == 429, (base, status)
        assert "Trop de" in text or "trop de" in text
    # Another address is not concerned.
    status, _ = wrong_password(browser, a, token, "inconnu.42", "198.51.100.99")
    assert status == 400


def test_wrong_passwords_for_one_identifier_on_both_nodes_count_together(ops, parents):
    a, b = ops.nodes["a"].url, ops.nodes["b"].url
    identifier = parents()[0]
    browser = requests.Session()
    token = csrf_token(browser.get(b + "/connexion", timeout=TIMEOUT).text)
    address = "198.51.100.24"
    for attempt in range(5):  # the free attempts of accounts.throttle's "password" policy
        status, text = wrong_password(browser, (a, b)[attempt % 2], token, identifier, address)
        assert "Identifiant ou mot de passe incorrect" in text, status
    for base in (a, b):
        _, text = wrong_password(browser, base, token, identifier, address)
        assert "Trop de tentatives" in text
