"""Tokens on /metrics (issue 14): one per token response, by grant; a refused
refresh is not counted."""

from __future__ import annotations

import requests

from tests.idp.test_tokens import offline
from tests.idp.test_tokens import refresh
from tests.kernel.test_metrics import parse
from tests.kernel.test_metrics import value


def test_tokens_are_counted_by_grant(provider, browser, livret):
    metrics_url = provider.url + "/metrics"

    def tokens(grant):
        samples = parse(requests.get(metrics_url, timeout=30).text)
        return value(samples, "guichet_tokens_issued_total", grant=grant)

    codes, refreshes = tokens("authorization_code"), tokens("refresh_token")
    _, token = offline(provider, browser, livret)
    assert refresh(provider, livret, token["refresh_token"]).status_code == 200
    reused = refresh(provider, livret, token["refresh_token"])  # refused: not counted
    assert reused.status_code == 400
    assert tokens("authorization_code") == codes + 1
    assert tokens("refresh_token") == refreshes + 1
