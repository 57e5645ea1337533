"""Email through a real local SMTP server (aiosmtpd): STARTTLS and login, implicit
TLS, the headers and parts of the message, and each kind of refusal."""

import datetime as dt
import socket

import pytest

from kernel.extensions import db
from messaging.compose import compose_email
from messaging.delivery import DeliveryState
from messaging.delivery import outcome
from messaging.models import Message
from tests.messaging.conftest import SMTP_PASSWORD
from tests.messaging.conftest import SMTP_USER
from tests.messaging.conftest import plain_settings
from tests.messaging.conftest import starttls_settings

NOW = dt.datetime(2026, 11, 24, 9, 30)
CONTEXT = {"name": "Camille Durand", "url": "https://guichet.example/activer/abc", "product": "G"}


def send_email(app, to="Camille.Durand@Example.FR", template="notice"):
    with app.test_request_context():
        message = compose_email(to, template, CONTEXT, now=NOW)
        db.session.commit()
        return outcome(message), message.id


def test_email_goes_through_starttls_with_login(messaging_app, starttls_relay, certificate):
    app = messaging_app(**starttls_settings(starttls_relay, certificate), REDIS_URL="")
    delivery, message_id = send_email(app)
    assert delivery.state == DeliveryState.SENT
    assert starttls_relay.logins == [SMTP_USER]
    [envelope] = starttls_relay.envelopes
    assert envelope.mail_from == "ne-pas-repondre@guichet.localhost"
    assert envelope.rcpt_tos == ["camille.durand@example.fr"]
    with app.app_context():
        message = db.session.get(Message, message_id)
        assert message.provider_id == starttls_relay.received[0]["Message-ID"]


def test_the_email_has_the_headers_and_both_parts(messaging_app, starttls_relay, certificate):
    app = messaging_app(**starttls_settings(starttls_relay, certificate), REDIS_URL="")
    send_email(app)
    [mail] = starttls_relay.received
    assert mail["From"] == (
        "Administrateur des services en ligne <ne-pas-repondre@guichet.localhost>"
    )
    assert mail["To"] == "camille.durand@example.fr"
    # Non-ASCII subject: encoded on the wire, decoded intact.
    assert mail["Subject"] == "Votre compte G — à activer avant l'été"
    wire = starttls_relay.envelopes[0].original_content.decode().splitlines()
    subject_on_the_wire = next(line for line in wire if line.startswith("Subject:"))
    assert "=?utf-8?" in subject_on_the_wire
    assert subject_on_the_wire.isascii()
    assert mail["Message-ID"].endswith("@guichet.localhost>")
    assert mail["Date"].datetime.tzinfo is not None
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Bonjour Camille Durand," in text
    assert "https://guichet.example/activer/abc" in text
    # The HTML part extends the shared layout and its button.
    assert '<html lang="fr">' in html
    assert "République<br>Française" in html
    assert 'href="https://guichet.example/activer/abc"' in html
    assert "Activer mon compte" in html


def test_a_template_without_html_sends_text_only(messaging_app, plain_relay):
    app = messaging_app(**plain_settings(plain_relay), REDIS_URL="")
    send_email(app, template="plain")
    [mail] = plain_relay.received
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content().rstrip() == "Un message sans version HTML."


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_when_smtp_ssl_is_set(messaging_app, ssl_relay, certificate):
    settings = starttls_settings(ssl_relay, certificate) | {"SMTP_SSL": "true"}
    app = messaging_app(**settings, REDIS_URL="")
    delivery, _ = send_email(app)
    assert delivery.state == DeliveryState.SENT
    assert ssl_relay.logins == [SMTP_USER]
    assert len(ssl_relay.received) == 1


def test_an_untrusted_certificate_is_not_accepted(messaging_app, starttls_relay, certificate):
    settings = starttls_settings(starttls_relay, certificate) | {"SMTP_CA_FILE": ""}
    app = messaging_app(**settings, REDIS_URL="")
    delivery, message_id = send_email(app)
    assert delivery.state == DeliveryState.RETRYING  # an operator may fix the CA meanwhile
    assert delivery.error_code == "unavailable"
    assert starttls_relay.received == []
    with app.app_context():
        assert "CERTIFICATE_VERIFY_FAILED" in db.session.get(Message, message_id).error


def test_a_server_without_starttls_is_refused_rather_than_used_in_clear(messaging_app, plain_relay):
    settings = plain_settings(plain_relay) | {"SMTP_STARTTLS": "true"}
    app = messaging_app(**settings, REDIS_URL="")
    delivery, _ = send_email(app)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.error_code == "configuration"
    assert plain_relay.received == []


def test_a_wrong_password_is_a_configuration_failure(messaging_app, starttls_relay, certificate):
    settings = starttls_settings(starttls_relay, certificate) | {"SMTP_PASSWORD": "wrong"}
    app = messaging_app(**settings, REDIS_URL="")
    delivery, message_id = send_email(app)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.error_code == "configuration"
    assert "problème technique de notre service" in delivery.user_message
    with app.app_context():
        assert SMTP_PASSWORD not in db.session.get(Message, message_id).error


def test_an_address_the_server_refuses_fails_for_good(messaging_app, plain_relay):
    plain_relay.rcpt_replies["nobody@example.fr"] = "550 5.1.1 No such user"
    app = messaging_app(**plain_settings(plain_relay), REDIS_URL="")
    delivery, message_id = send_email(app, to="nobody@example.fr")
    assert delivery.state == DeliveryState.FAILED
    assert delivery.recipient_problem
    assert delivery.error_code == "address_rejected"
    assert delivery.user_message.startswith("Cette adresse électronique a été refusée")
    with app.app_context():
        assert "550 5.1.1 No such user" in db.session.get(Message, message_id).error


def test_a_busy_server_is_a_temporary_failure(messaging_app, plain_relay):
    plain_relay.data_replies.append("451 4.3.0 Try again later")
    app = messaging_app(**plain_settings(plain_relay), REDIS_URL="")
    delivery, _ = send_email(app)
    # Not final: the worker tries again later, and the page says so.
    assert delivery.state == DeliveryState.RETRYING
    assert delivery.error_code == "unavailable"
    assert not delivery.recipient_problem
    assert "il sera retenté dans quelques minutes" in delivery.user_message


def test_no_server_listening_is_a_temporary_failure(messaging_app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = messaging_app(
        MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT="2", REDIS_URL=""
    )
    delivery, message_id = send_email(app)
    assert delivery.state == DeliveryState.RETRYING
    assert delivery.error_code == "unavailable"
    with app.app_context():
        assert "ConnectionRefusedError" in db.session.get(Message, message_id).error


@pytest.mark.parametrize("sender", ["", "Administrateur sans adresse"])
def test_a_sender_without_an_address_fails_at_start(make_app, sender):
    with pytest.raises(ValueError, match="MAIL_SENDER"):
        make_app(MAIL_BACKEND="smtp", MAIL_SENDER=sender)
