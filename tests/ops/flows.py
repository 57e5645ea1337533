"""Single sign-on flows against the cluster, as a relying party (Authlib's
OAuth2Session) and a parent's browser (requests) make them: each step may be sent to
HAProxy or to one node. A relying party verifies ID tokens with the JWKS it fetched
and fetches it again when a token names a key it does not know, as OpenID Connect
libraries do. `FlowLoad` keeps flows running through HAProxy from several threads
while a test breaks, rotates or restarts something."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from dataclasses import field

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from requests.adapters import HTTPAdapter

from tests.idp.conftest import PASSWORD
from tests.idp.conftest import csrf_token

RP = "http://rp.example"
TIMEOUT = 30

# When this thread last sent a request (FlowLoad: was a failed request in flight
# when something happened?).
_sent = threading.local()


class TimedAdapter(HTTPAdapter):
    def send(self, request, **kwargs):
        _sent.at = time.monotonic()
        return super().send(request, **kwargs)


def timed(session: requests.Session) -> requests.Session:
    session.mount("http://", TimedAdapter())
    return session


def sign_in(base: str, identifier: str, password: str = PASSWORD) -> requests.Session:
    """A parent's browser signed in at `base` (HAProxy or a node)."""
    browser = timed(requests.Session())
    page = browser.get(base + "/connexion", timeout=TIMEOUT)
    response = browser.post(
        base + "/connexion",
        data={"csrf_token": csrf_token(page.text), "identifier": identifier, "password": password},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, (response.status_code, response.text[:500])
    return browser


@dataclass
class RelyingParty:
    """A registered service: its client, and the JWKS it caches."""

    issuer: str
    client_id: str
    secret: str
    keys: KeySet | None = None
    jwks_fetches: int = 0

    def session(self) -> OAuth2Session:
        return timed(
            OAuth2Session(
                self.client_id,
                self.secret,
                scope="openid profile",
                redirect_uri=RP + "/callback",
                code_challenge_method="S256",
            )
        )

    def authorize(self, browser: requests.Session, session: OAuth2Session, base: str):
        """The browser follows the authorization URL at `base`: (response, verifier, state)."""
        verifier = "v" * 50
        url, state = session.create_authorization_url(
            base + "/authorize", code_verifier=verifier, nonce="n-" + unique()
        )
        response = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
        return response, verifier, state

    def token(self, session: OAuth2Session, base: str, response, verifier, state) -> dict:
        assert response.status_code == 302, (response.status_code, response.text[:300])
        return session.fetch_token(
            base + "/token",
            authorization_response=response.headers["Location"],
            code_verifier=verifier,
            state=state,
            timeout=TIMEOUT,
        )

    def verify(self, id_token: str, *, jwks_from: str | None = None):
        """The ID token's claims, checked with the cached JWKS (fetched again from
        `jwks_from`, HAProxy by default, when it names an unknown key)."""
        source = jwks_from or self.issuer
        if self.keys is None:
            self.fetch_jwks(source)
        try:
            decoded = jwt.decode(id_token, self.keys, algorithms=["RS256", "ES256"])
        except (JoseError, ValueError):
            self.fetch_jwks(source)
            decoded = jwt.decode(id_token, self.keys, algorithms=["RS256", "ES256"])
        claims = decoded.claims
        assert claims["iss"] == self.issuer
        assert self.client_id in (
            claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        )
        return decoded

    def fetch_jwks(self, base: str) -> KeySet:
        self.jwks_fetches += 1
        data = requests.get(base + "/jwks.json", timeout=TIMEOUT).json()
        self.keys = KeySet.import_key_set(data)
        return self.keys

    def flow(
        self, browser: requests.Session, *, authorize_at: str, token_at: str, userinfo_at: str
    ):
        """One complete single sign-on flow; returns (decoded ID token, userinfo)."""
        session = self.session()
        response, verifier, state = self.authorize(browser, session, authorize_at)
        token = self.token(session, token_at, response, verifier, state)
        decoded = self.verify(token["id_token"])
        info = session.get(userinfo_at + "/userinfo", timeout=TIMEOUT)
        assert info.status_code == 200, (info.status_code, info.text[:300])
        assert info.json()["sub"] == decoded.claims["sub"]
        return decoded, info.json()


_counter = iter(range(10**9))
_counter_lock = threading.Lock()


def unique() -> str:
    with _counter_lock:
        return str(next(_counter))


@dataclass
class FlowLoad:
    """Threads running complete flows through HAProxy until stopped; every failure is
    kept with when its request was sent and what went wrong."""

    rp_factory: object  # () -> RelyingParty, one per thread (a client is not shared)
    url: str
    identifiers: list[str]
    ok: int = 0
    failures: list[tuple[float, str]] = field(default_factory=list)
    kids: set[str] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> FlowLoad:
        for identifier in self.identifiers:
            thread = threading.Thread(target=self._run, args=(identifier,), daemon=True)
            thread.start()
            self._threads.append(thread)
        self.wait_for(len(self.identifiers))
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def wait_for(self, flows: int, *, timeout: float = 60.0) -> None:
        """Wait until `flows` more flows have succeeded (the load is really running)."""
        target = self.ok + flows
        deadline = time.monotonic() + timeout
        while self.ok < target and time.monotonic() < deadline:
            if self.failures and not self._threads_alive():
                break
            time.sleep(0.05)
        assert self.ok >= target, f"only {self.ok} flows; failures: {self.failures[:5]}"

    def _threads_alive(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def _run(self, identifier: str) -> None:
        rp = self.rp_factory()
        browser = None
        while not self._stop.is_set():
            try:
                if browser is None:
                    browser = sign_in(self.url, identifier)
                decoded, _ = rp.flow(
                    browser, authorize_at=self.url, token_at=self.url, userinfo_at=self.url
                )
            except Exception as error:  # noqa: BLE001 - every failure is the test's finding
                with self._lock:
                    self.failures.append((_sent.at, f"{type(error).__name__}: {error}"))
                continue
            with self._lock:
                self.ok += 1
                self.kids.add(decoded.header["kid"])
