"""Issue 14: the message worker runs beside the nodes. A service's back-channel
logout that failed when a node first tried it (right after the sign-out) is
delivered by the worker's retry; the logout token verifies with either node's JWKS."""

from __future__ import annotations

import threading
import time

import pytest
from joserfc import jwt
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from idp import clients
from kernel.clock import utcnow
from kernel.extensions import db
from tests.idp.conftest import listening_socket
from tests.idp.conftest import serve
from tests.ops.flows import RP
from tests.ops.flows import RelyingParty
from tests.ops.flows import sign_in

pytestmark = pytest.mark.xdist_group("ops")


class Receiver:
    """A service's back-channel logout endpoint: refuses the first attempt (503)."""

    def __init__(self) -> None:
        self.attempts: list[int] = []
        self.tokens: list[str] = []
        self.lock = threading.Lock()
        sock = listening_socket()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/backchannel-logout"
        self.server = serve(self.endpoint, sock)

    @Request.application
    def endpoint(self, request):
        with self.lock:
            status = 503 if not self.attempts else 200
            self.attempts.append(status)
            if status == 200:
                self.tokens.append(request.form["logout_token"])
        return Response("", status=status)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


def test_the_worker_delivers_a_logout_a_node_could_not(ops, parents, receiver):
    with ops.app.app_context():
        client, secret = clients.add_client(
            name="Cantine",
            redirect_uris=[RP + "/callback"],
            post_logout_redirect_uris=[RP + "/"],
            backchannel_logout_uri=receiver.url,
            scope="openid profile",
            trusted=True,
            now=utcnow(),
        )
        db.session.commit()
        client_id = client.client_id
    rp = RelyingParty(ops.url, client_id, secret)
    a, b = ops.nodes["a"].url, ops.nodes["b"].url
    browser = sign_in(a, parents()[0])
    session = rp.session()
    response, verifier, state = rp.authorize(browser, session, a)
    id_token = rp.token(session, a, response, verifier, state)["id_token"]

    signed_out = browser.get(
        b + "/deconnexion",
        params={"id_token_hint": id_token, "post_logout_redirect_uri": RP + "/"},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_out.status_code == 302 and signed_out.headers["Location"] == RP + "/"
    deadline = time.monotonic() + 20
    while not receiver.tokens and time.monotonic() < deadline:
        time.sleep(0.1)
    assert receiver.attempts[:2] == [503, 200], receiver.attempts
    claims = jwt.decode(receiver.tokens[0], rp.fetch_jwks(a), algorithms=["RS256", "ES256"])
    assert claims.claims["aud"] in (client_id, [client_id])
    assert "http://schemas.openid.net/event/backchannel-logout" in claims.claims["events"]
