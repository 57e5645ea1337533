"""Fixtures of the FranceConnect tests: the mock FranceConnect and Guichet both served
over real HTTP, a browser (requests.Session) that follows the redirects between
them, and demo-like families matching the mock's identities."""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass

import pytest
import requests
from werkzeug.serving import make_server

from demo.cli import guichet_client
from demo.franceconnect import create_mock_app
from demo.franceconnect import load_identities
from kernel.extensions import db
from messaging.models import Channel
from messaging.models import Message
from tests import factories


class _LateApp:
    """A WSGI app set once the server's port (hence its URL) is known."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class World:
    app: object
    mock: object
    url: str
    mock_url: str

    def browser(self) -> Browser:
        return Browser(self)


class Browser(requests.Session):
    """A person's browser: cookies, redirects, and the forms' CSRF tokens."""

    def __init__(self, world: World):
        super().__init__()
        self.world = world

    def csrf(self, html: str) -> str:
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def submit(self, response, data: dict, action: str | None = None):
        """Post a Guichet form found in `response`, with its CSRF token."""
        return self.post(
            action or response.url, data={"csrf_token": self.csrf(response.text), **data}
        )

    def franceconnect(self, sub: str, *, next: str = "/healthz"):
        """Click the FranceConnect button and pick `sub` on the mock's page."""
        page = self.get(self.world.url + "/franceconnect/connexion", params={"next": next})
        assert page.url.startswith(self.world.mock_url), page.text
        fields = dict(
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
        )
        fields.update(sub=sub, action="continue")
        return self.post(page.url.split("?")[0], data=fields)


def _serve(holder):
    server = make_server("127.0.0.1", 0, holder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    return server, thread


@pytest.fixture
def world(make_app):
    mock_holder, guichet_holder = _LateApp(), _LateApp()
    mock_server, mock_thread = _serve(mock_holder)
    guichet_server, guichet_thread = _serve(guichet_holder)
    mock_url = f"http://127.0.0.1:{mock_server.server_port}"
    url = f"http://127.0.0.1:{guichet_server.server_port}"
    app = make_app(PUBLIC_URL=url, FRANCECONNECT_ISSUER=mock_url)
    settings = app.extensions["guichet.settings"]
    mock = create_mock_app(
        issuer=mock_url, clients=[guichet_client(settings)], identities=load_identities()
    )
    mock_holder.app, guichet_holder.app = mock, app
    mock_thread.start()
    guichet_thread.start()
    yield World(app=app, mock=mock, url=url, mock_url=mock_url)
    for server, thread in ((guichet_server, guichet_thread), (mock_server, mock_thread)):
        server.shutdown()
        thread.join(timeout=5)


IDENTITIES = {identity["sub"]: identity for identity in load_identities()}
CAMILLE = "fc-demo-camille-lefevre"
THOMAS = "fc-demo-thomas-moreau"
NOBODY = "fc-demo-lucie-inconnue"


@dataclass
class Families:
    camille: object  # Account
    camille_child: object  # Pupil
    thomas_accounts: list
    thomas_children: list


def make_demo_families() -> Families:
    """The registry families the mock's identities stand for, as `guichet demo seed`
    makes them: Camille Lefèvre with one account, Thomas Moreau known under two
    registry ids (two accounts), nobody for Lucie Inconnue."""
    school = factories.make_school(name="École élémentaire Jean Jaurès")
    other_school = factories.make_school(name="École maternelle Les Tilleuls")
    guardian, [child] = factories.make_family(
        school,
        first_name="Camille",
        last_name="Lefèvre",
        mobile="+33610000001",
        email="camille.lefevre@example.org",
    )
    first, [first_child] = factories.make_family(
        school,
        first_name="Thomas",
        last_name="Moreau",
        mobile="+33610000004",
        email="thomas.moreau@example.org",
    )
    second, [second_child] = factories.make_family(
        other_school,
        first_name="Thomas",
        last_name="Moreau",
        mobile="+33610000004",
        email="t.moreau@example.org",
    )
    first_child.first_name, first_child.birth_date = "Lucas", dt.date(2017, 9, 9)
    second_child.first_name, second_child.birth_date = "Emma", dt.date(2019, 1, 30)
    db.session.commit()
    return Families(
        camille=guardian.account,
        camille_child=child,
        thomas_accounts=[first.account, second.account],
        thomas_children=[first_child, second_child],
    )


def last_sms_code(mobile: str) -> str:
    message = db.session.scalars(
        db.select(Message)
        .where(Message.channel == Channel.SMS, Message.recipient == mobile)
        .order_by(Message.id.desc())
    ).first()
    assert message is not None, "no SMS sent"
    return re.search(r"\b(\d{6})\b", message.body).group(1)
