"""The provider over real HTTP: an app whose issuer is its own local address, a
signed-in browser (requests), registered services, and a relying party's client
(Authlib's OAuth2Session)."""

from __future__ import annotations

import html
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet
from werkzeug.serving import make_server

from idp import clients
from kernel.clock import utcnow
from kernel.extensions import db
from keys import services as keys
from tests import factories

PASSWORD = "Secret123"
RP = "http://rp.example"


def listening_socket() -> socket.socket:
    """A socket already bound and listening, so no other test takes its port
    between choosing it and serving on it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def serve(app, sock: socket.socket):
    """Serve `app` on `sock` in a thread; returns the server (call shutdown())."""
    port = sock.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True, fd=sock.fileno())
    sock.close()  # the server holds its own duplicate of the listening socket
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


@dataclass
class Provider:
    url: str
    app: object

    def ctx(self):
        return self.app.app_context()

    def add_client(self, **fields) -> tuple[str, str | None]:
        fields.setdefault("name", "Livret scolaire")
        fields.setdefault("redirect_uris", [RP + "/callback"])
        fields.setdefault("post_logout_redirect_uris", [RP + "/"])
        fields.setdefault("scope", "openid profile email phone children offline_access")
        fields.setdefault("trusted", True)
        with self.ctx():
            client, secret = clients.add_client(now=utcnow(), **fields)
            db.session.commit()
            return client.client_id, secret

    def parent(self, *, children: int = 1, school_uai: str | None = None, **names) -> str:
        """An Activé parent with `children` pupils; returns the identifier."""
        with self.ctx():
            school = factories.make_school(uai=school_uai)
            guardian, _ = factories.make_family(school, children=children, **names)
            factories.activate(guardian.account, password=PASSWORD)
            db.session.commit()
            return guardian.account.identifier

    def jwks(self) -> KeySet:
        return KeySet.import_key_set(requests.get(self.url + "/jwks.json", timeout=30).json())

    def decode(self, token: str):
        return jwt.decode(token, self.jwks(), algorithms=["RS256", "ES256"])

    def sign_in(self, identifier: str, password: str = PASSWORD) -> requests.Session:
        browser = requests.Session()
        page = browser.get(self.url + "/connexion", timeout=30)
        response = browser.post(
            self.url + "/connexion",
            data={
                "csrf_token": csrf_token(page.text),
                "identifier": identifier,
                "password": password,
            },
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, response.text
        return browser

    def rp(self, client_id: str, secret: str | None, **kwargs) -> OAuth2Session:
        kwargs.setdefault("scope", "openid profile")
        kwargs.setdefault("redirect_uri", RP + "/callback")
        kwargs.setdefault("code_challenge_method", "S256")
        return OAuth2Session(client_id, secret, **kwargs)

    def authorize(self, browser: requests.Session, session: OAuth2Session, **params):
        """The browser follows the RP's authorization URL; returns (response, verifier, state)."""
        verifier = params.pop("code_verifier", "v" * 50)
        url, state = session.create_authorization_url(
            self.url + "/authorize", code_verifier=verifier, **params
        )
        response = browser.get(url, allow_redirects=False, timeout=30)
        return response, verifier, state

    def code_flow(self, browser, session, **params) -> dict:
        """Authorize then exchange the code; returns the token response."""
        response, verifier, state = self.authorize(browser, session, **params)
        assert response.status_code == 302, response.text
        return session.fetch_token(
            self.url + "/token",
            authorization_response=response.headers["Location"],
            code_verifier=verifier,
            state=state,
        )


def post_sign_in_form(browser, page, identifier: str, password: str = PASSWORD):
    """Fill and post the sign-in form of `page` where its `action` says, as a browser does."""
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page.text).group(1))
    return browser.post(
        urljoin(page.url, action),
        data={"csrf_token": csrf_token(page.text), "identifier": identifier, "password": password},
        allow_redirects=False,
        timeout=30,
    )


def post_consent(browser, page, decision: str):
    """Answer the consent page `page` ("allow" or "deny") as its buttons do."""
    return browser.post(
        page.url,
        data={"csrf_token": csrf_token(page.text), "decision": decision},
        allow_redirects=False,
        timeout=30,
    )


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def challenge(verifier: str) -> str:
    return create_s256_code_challenge(verifier)


@pytest.fixture
def provider(make_app) -> Iterator[Provider]:
    sock = listening_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = make_app(PUBLIC_URL=url)
    with app.app_context():
        keys.ensure_current("RS256", box=app.extensions["guichet.keybox"], now=utcnow())
        db.session.commit()
    server = serve(app, sock)
    yield Provider(url, app)
    server.shutdown()
    server.server_close()


@pytest.fixture
def parent(provider) -> str:
    return provider.parent()


@pytest.fixture
def browser(provider, parent) -> requests.Session:
    return provider.sign_in(parent)


@pytest.fixture
def livret(provider) -> tuple[str, str]:
    return provider.add_client(name="Livret scolaire", sector="livret.example")


@dataclass
class LogoutReceiver:
    """A relying party's back-channel logout endpoint on a local port."""

    url: str
    tokens: list
    status: int = 200


@pytest.fixture
def receiver() -> Iterator[LogoutReceiver]:
    from werkzeug.wrappers import Request
    from werkzeug.wrappers import Response

    sock = listening_socket()
    state = LogoutReceiver(
        url=f"http://127.0.0.1:{sock.getsockname()[1]}/backchannel-logout", tokens=[]
    )

    @Request.application
    def endpoint(request):
        if state.status < 300:
            state.tokens.append(request.form.get("logout_token"))
        return Response("", status=state.status)

    server = serve(endpoint, sock)
    yield state
    server.shutdown()
    server.server_close()


def deliver_logouts(provider: Provider, *, expected: int) -> None:
    """Wait for the first attempts of the back-channel deliveries, which start in the
    background right after the sign-out."""
    import time

    from idp.oauth_models import LogoutDelivery

    with provider.ctx():
        for _ in range(300):  # up to 15 s on a loaded machine
            db.session.remove()
            rows = db.session.scalars(db.select(LogoutDelivery)).all()
            finished = [r for r in rows if r.delivered_at or r.gave_up_at or r.last_error]
            if len(rows) >= expected and len(finished) == len(rows):
                return
            time.sleep(0.05)
        raise AssertionError("the back-channel logouts were not attempted")
