"""Issue 14, «Several nodes»: the nodes share everything through PostgreSQL and
Redis, so a parent's browser session opened on one node goes on on the other, and
what one node signs the other's JWKS verifies."""

from __future__ import annotations

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.ops.flows import TIMEOUT
from tests.ops.flows import sign_in

pytestmark = pytest.mark.xdist_group("ops")


def test_a_session_opened_on_one_node_goes_on_on_the_other(ops, parents, service):
    a, b = ops.nodes["a"].url, ops.nodes["b"].url
    browser = sign_in(a, parents()[0])
    decoded, info = service.flow(browser, authorize_at=a, token_at=b, userinfo_at=a)
    assert decoded.claims["iss"] == ops.url
    assert info["given_name"] == "Gérald"
    # And the other way round, the same browser, no new sign-in.
    again, _ = service.flow(browser, authorize_at=b, token_at=a, userinfo_at=b)
    assert again.claims["sub"] == decoded.claims["sub"]
    assert again.claims["sid"] == decoded.claims["sid"]
    assert requests.get(b + "/session", cookies=browser.cookies, timeout=TIMEOUT).ok


def test_id_tokens_verify_with_the_jwks_of_either_node(ops, parents, service):
    browser = sign_in(ops.url, parents()[0])
    for name in ("a", "b"):
        session = service.session()
        node = ops.nodes[name].url
        response, verifier, state = service.authorize(browser, session, node)
        token = service.token(session, node, response, verifier, state)
        for other in ("a", "b"):
            keys = KeySet.import_key_set(
                requests.get(ops.nodes[other].url + "/jwks.json", timeout=TIMEOUT).json()
            )
            claims = jwt.decode(token["id_token"], keys, algorithms=["RS256", "ES256"]).claims
            assert claims["iss"] == ops.url and claims["aud"] == [service.client_id]
