"""The two demo services of examples/ against the provider, all over real HTTP:
sign into one, open the other without a password, see the parent's name and
children, sign out once and be signed out of both (issue 4, "Two demo services")."""

import re

import pytest
import requests

from demo.services import demo_services
from examples.relying_party import create_app
from tests.idp.conftest import PASSWORD
from tests.idp.conftest import csrf_token
from tests.idp.conftest import deliver_logouts
from tests.idp.conftest import listening_socket
from tests.idp.conftest import serve


@pytest.fixture
def services(provider):
    demos = demo_services()
    socks = [listening_socket() for _ in demos]
    bases = [f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in socks]
    servers = []
    for demo, sock, base in zip(demos, socks, bases, strict=True):
        provider.add_client(
            name=demo["name"],
            client_id=demo["client_id"],
            client_secret=demo["client_secret"],
            redirect_uris=[base + "/callback"],
            post_logout_redirect_uris=[base + "/"],
            backchannel_logout_uri=base + "/backchannel-logout",
            scope=demo["scope"],
            trusted=demo["trusted"],
            sector=base,
        )
        others = [b + "/" for b in bases if b != base]
        app = create_app(demo, issuer=provider.url, base=base, others=others)
        servers.append(serve(app, sock))
    yield bases
    for server in servers:
        server.shutdown()
        server.server_close()


def test_single_sign_on_and_single_sign_out_across_the_two_services(provider, parent, services):
    livret, inscription = services
    browser = requests.Session()
    sign_in = browser.get(livret + "/login", timeout=30)
    assert "Connexion à vos services en ligne" in sign_in.text
    home = browser.post(
        sign_in.url,
        data={"csrf_token": csrf_token(sign_in.text), "identifier": parent, "password": PASSWORD},
        timeout=30,
    )
    assert home.url == livret + "/"
    assert "Gérald Martin" in home.text and "Léa Martin" in home.text

    consent = browser.get(inscription + "/login", timeout=30)
    assert "Inscription" in consent.text and "Autoriser" in consent.text
    action = re.search(r'<form method="post" action="([^"]+)"', consent.text).group(1)
    other = browser.post(
        provider.url + action.replace("&amp;", "&"),
        data={"csrf_token": csrf_token(consent.text), "decision": "allow"},
        timeout=30,
    )
    assert other.url == inscription + "/"
    assert "Gérald Martin" in other.text

    out = browser.get(livret + "/logout", timeout=30)
    assert out.url.startswith(livret + "/")
    assert "Vous n'êtes pas connecté" in out.text
    deliver_logouts(provider, expected=2)
    assert "Vous n'êtes pas connecté" in browser.get(inscription + "/", timeout=30).text
