"""«Mes connexions» (issue 17): the parent's open sessions in plain words with the
services each reached, ending one, the others or all (audited, CSRF), the
new-browser email switch, and a sign-in from a new browser sending it.

Several browsers take turns here: no application context is held across their
requests (a request would reuse it, and its `g`, as a test's own context)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from accounts.models import AuditEvent
from accounts.sessions import LoginSession
from idp import clients
from idp.oauth_models import SessionService
from kernel.clock import utcnow
from kernel.extensions import db
from messaging.models import Message
from registry.models import School
from tests import factories
from tests.enrollment.conftest import text

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def sign_in_page(browser, identifier, *, agent=FIREFOX, address="203.0.113.57"):
    """The real sign-in form, from a given browser and address."""
    return browser.post(
        "/connexion",
        data={"identifier": identifier, "password": "Secret123"},
        headers={"User-Agent": agent},
        environ_base={"REMOTE_ADDR": address},
    )


def read(app, statement, *, many=False):
    """One query, in a context of its own, between the browsers' requests."""
    with app.app_context():
        found = db.session.scalars(statement).all()
        db.session.expunge_all()
        return found if many else (found[0] if found else None)


def make_parent(app, **names):
    with app.app_context():
        school = db.session.scalar(db.select(School)) or factories.make_school()
        account = factories.make_family(school, **names)[0].account
        factories.activate(account, password="Secret123")
        account.email, account.email_verified = "parent@example.org", True
        db.session.commit()
        return SimpleNamespace(id=account.id, identifier=account.identifier)


@pytest.fixture
def parent(app):
    return make_parent(app)


@pytest.fixture
def two_browsers(app, client, parent):
    """This browser (Firefox at home) and a phone, both signed in; the phone reached
    a service."""
    assert sign_in_page(client, parent.identifier).status_code == 302
    phone = app.test_client()
    assert (
        sign_in_page(phone, parent.identifier, agent=IPHONE, address="198.51.100.9").status_code
        == 302
    )
    with app.app_context():
        service, _ = clients.add_client(
            now=utcnow(),
            name="Livret scolaire",
            sector="livret.example",
            redirect_uris=["http://rp.example/cb"],
            scope="openid",
        )
        phone_session = db.session.scalar(
            db.select(LoginSession.id).where(LoginSession.user_agent == IPHONE)
        )
        db.session.add(
            SessionService(login_session_id=phone_session, client_id=service.id, first_at=utcnow())
        )
        db.session.commit()
    return phone, phone_session


def test_the_page_lists_each_session_in_plain_words(client, two_browsers):
    page = text(client.get("/compte/connexions"))
    assert "Firefox sur Windows" in page and "Safari sur iPhone" in page
    badge = '<span class="fr-badge fr-badge--info">cette session</span>'
    assert page.count(badge) == 1
    assert page.index("Firefox sur Windows") < page.index(badge) < page.index("Safari sur iPhone")
    assert "203.0.113.0/24" in page and "198.51.100.0/24" in page
    assert "203.0.113.57" not in page
    assert "Livret scolaire" in page
    assert page.count("<dt>Ouverte avec</dt><dd>Mot de passe</dd>") == 2  # never «pwd»


def test_the_account_page_links_to_my_connections_and_my_data(client, two_browsers):
    page = text(client.get("/compte"))
    assert 'href="/compte/connexions"' in page and 'href="/compte/mes-donnees"' in page


def test_ending_another_session_signs_that_browser_out_only(app, client, two_browsers, parent):
    phone, phone_id = two_browsers
    response = client.post(
        "/compte/connexions/terminer", data={"which": "one", "session": phone_id}
    )
    assert response.status_code == 302
    assert "1 connexion a été terminée." in text(client.get("/compte/connexions"))
    assert phone.get("/compte").status_code == 302  # back to the sign-in page
    assert client.get("/compte").status_code == 200
    ended = read(app, db.select(LoginSession).where(LoginSession.id == phone_id))
    assert ended.ended_reason == "ended_by_parent"
    with app.app_context():
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.action == "sessions.ended_by_parent")
        )
        assert [account.id for account in event.accounts] == [parent.id]
        assert event.actor_type == "guardian" and event.actor_id == parent.id
        assert event.details == {"which": "one", "count": 1}


def test_ending_the_others_keeps_this_one(app, client, two_browsers, parent):
    phone, _ = two_browsers
    tablet = app.test_client()
    assert sign_in_page(tablet, parent.identifier, agent=IPHONE).status_code == 302
    response = client.post("/compte/connexions/terminer", data={"which": "others"})
    assert response.status_code == 302
    assert "2 connexions ont été terminées." in text(client.get("/compte/connexions"))
    assert phone.get("/compte").status_code == 302
    assert tablet.get("/compte").status_code == 302
    assert client.get("/compte").status_code == 200


def test_ending_all_signs_this_browser_out_too(app, client, two_browsers):
    phone, _ = two_browsers
    response = client.post("/compte/connexions/terminer", data={"which": "all"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    assert "Vous êtes déconnecté de ce navigateur." in text(client.get("/connexion"))
    assert client.get("/compte").status_code == 302
    assert phone.get("/compte").status_code == 302
    assert read(app, db.select(LoginSession).where(LoginSession.ended_at.is_(None))) is None


def test_ending_this_session_from_its_card_signs_out(app, client, two_browsers):
    phone, _ = two_browsers
    mine = read(app, db.select(LoginSession.id).where(LoginSession.user_agent == FIREFOX))
    response = client.post("/compte/connexions/terminer", data={"which": "one", "session": mine})
    assert response.headers["Location"] == "/connexion"
    assert client.get("/compte").status_code == 302
    assert phone.get("/compte").status_code == 200


def test_another_parents_session_cannot_be_ended(app, client, two_browsers):
    other = make_parent(app, first_name="Anne", last_name="Durand")
    stranger = app.test_client()
    assert sign_in_page(stranger, other.identifier).status_code == 302
    theirs = read(app, db.select(LoginSession.id).where(LoginSession.account_id == other.id))
    client.post("/compte/connexions/terminer", data={"which": "one", "session": theirs})
    assert "Cette connexion est déjà terminée." in text(client.get("/compte/connexions"))
    assert stranger.get("/compte").status_code == 200
    client.post("/compte/connexions/terminer", data={"which": "others"})
    assert stranger.get("/compte").status_code == 200
    assert "Anne" not in text(client.get("/compte/connexions"))


@pytest.mark.parametrize("which", ["", "everything", "one"])
def test_an_unknown_choice_ends_nothing(client, two_browsers, which):
    phone, _ = two_browsers
    response = client.post("/compte/connexions/terminer", data={"which": which, "session": "x"})
    assert response.status_code == 302
    assert phone.get("/compte").status_code == 200


def test_the_page_needs_a_session(client):
    response = client.get("/compte/connexions")
    assert response.headers["Location"] == "/connexion?next=/compte/connexions"
    response = client.post("/compte/connexions/terminer", data={"which": "all"})
    assert response.headers["Location"].startswith("/connexion?next=")


def alerts(app):
    return read(app, db.select(Message).where(Message.template == "new_device"), many=True)


def test_a_new_browser_sends_the_security_email_once_turned_on(app, client, parent):
    assert sign_in_page(client, parent.identifier).status_code == 302
    client.post("/compte/connexions/alertes", data={"enabled": "y"})
    assert "Vous serez prévenu par courriel" in text(client.get("/compte/connexions"))
    again = app.test_client()  # the same browser, signed in again: known, no email
    again.set_cookie("guichet_device", client.get_cookie("guichet_device").value)
    assert sign_in_page(again, parent.identifier).status_code == 302
    assert alerts(app) == []
    phone = app.test_client()
    assert sign_in_page(phone, parent.identifier, agent=IPHONE).status_code == 302
    [message] = alerts(app)
    assert message.recipient == "parent@example.org"
    assert "Safari sur iPhone" in message.body
    assert "http://localhost/compte/connexions" in message.body


def test_turning_the_email_off_stops_it(app, client, parent):
    assert sign_in_page(client, parent.identifier).status_code == 302
    client.post("/compte/connexions/alertes", data={"enabled": "y"})
    client.post("/compte/connexions/alertes", data={})
    assert "Vous ne serez plus prévenu" in text(client.get("/compte/connexions"))
    assert sign_in_page(app.test_client(), parent.identifier, agent=IPHONE).status_code == 302
    assert alerts(app) == []


def test_the_device_cookie_is_long_lived_and_http_only(client, parent):
    response = sign_in_page(client, parent.identifier)
    cookie = next(
        header
        for header in response.headers.getlist("Set-Cookie")
        if header.startswith("guichet_device=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert int(re.search(r"Max-Age=(\d+)", cookie).group(1)) >= 365 * 86400
