"""One answer, one session: the same signed challenge posted twice at the same moment
(two tabs, a double click, a replay racing the parent) opens at most one session —
the challenge is consumed by one atomic statement (passkeys.challenges)."""

from __future__ import annotations

import json
import re
import threading

import requests

from accounts.sessions import LoginSession
from kernel.extensions import db
from tests.idp.conftest import provider  # noqa: F401  (fixture)
from tests.passkeys.authenticator import SoftwareAuthenticator
from tests.passkeys.conftest import csrf_token
from tests.passkeys.test_oidc import add_passkey


def test_the_same_answer_posted_twice_at_once_opens_one_session(provider):  # noqa: F811
    authenticator = SoftwareAuthenticator(origin=provider.url, counter=False)
    add_passkey(provider, provider.sign_in(provider.parent()), authenticator)
    for _ in range(3):
        browser = requests.Session()
        page = browser.get(provider.url + "/connexion", timeout=30).text
        form = re.search(r'<form id="passkey-sign-in".*?</form>', page, re.S).group(0)
        token = csrf_token(form)
        options = browser.post(
            provider.url + "/connexion/cle-d-acces/options",
            headers={"X-CSRFToken": token},
            timeout=30,
        ).json()
        data = {"csrf_token": token, "credential": json.dumps(authenticator.get(options))}
        tabs = [requests.Session() for _ in range(2)]
        for tab in tabs:
            tab.cookies.update(browser.cookies)
        start = threading.Barrier(len(tabs))
        statuses: list[int] = []

        def post(tab, start=start, statuses=statuses, data=data):
            start.wait()
            answer = tab.post(
                provider.url + "/connexion/cle-d-acces",
                data=data,
                allow_redirects=False,
                timeout=30,
            )
            statuses.append(answer.status_code)

        threads = [threading.Thread(target=post, args=(tab,)) for tab in tabs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [302, 400]
    with provider.ctx():
        passkey_sessions = db.session.scalars(db.select(LoginSession)).all()
        assert sum(login.amr == ["hwk", "user"] for login in passkey_sessions) == 3
