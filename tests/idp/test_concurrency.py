"""Races at the authorization endpoint never answer 500 (issue 13): two first
authorizations of one session for one service at the same time both get their code;
a service removed a moment ago is refused with the French page, even by a process
that still has it in its cache."""

from __future__ import annotations

import threading

import requests

from idp import clients
from idp.oauth_models import SessionService
from kernel.extensions import db


def test_two_first_authorizations_at_once_both_get_their_code(provider, browser, livret):
    rp = provider.rp(*livret)
    urls = [
        rp.create_authorization_url(provider.url + "/authorize", code_verifier="v" * 50)[0]
        for _ in range(2)
    ]
    for _ in range(5):  # a fresh session each round: its first authorization each time
        signed_in = provider.sign_in(provider.parent(first_name=f"Anne{_}"))
        tabs = [requests.Session() for _ in urls]
        for tab in tabs:
            tab.cookies.update(signed_in.cookies)
        start = threading.Barrier(len(tabs))
        statuses = []
        threads = [
            threading.Thread(target=_open_tab, args=(tab, url, start, statuses))
            for tab, url in zip(tabs, urls, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [302, 302]
    with provider.ctx():
        assert db.session.scalar(db.select(db.func.count()).select_from(SessionService)) == 5


def _open_tab(tab, url, start, statuses):
    start.wait()
    statuses.append(tab.get(url, allow_redirects=False, timeout=10).status_code)


def test_a_service_removed_while_still_cached_is_refused_with_the_french_page(
    provider, browser, livret
):
    rp = provider.rp(*livret)
    url = rp.create_authorization_url(provider.url + "/authorize", code_verifier="v" * 50)[0]
    assert browser.get(url, allow_redirects=False, timeout=30).status_code == 302  # cached now
    with provider.ctx():
        # Another node removes it: the rows go, this process's cache does not hear of it.
        client = clients.get_client(livret[0])
        db.session.execute(db.delete(SessionService))
        db.session.execute(db.text("DELETE FROM oidc_clients WHERE id = :id"), {"id": client.id})
        db.session.commit()
    response = browser.get(url, allow_redirects=False, timeout=30)
    assert response.status_code == 400
    assert '<html lang="fr"' in response.text
