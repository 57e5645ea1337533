"""Edges of the messaging tests: message templates, a real local SMTP server
(aiosmtpd, with STARTTLS, implicit TLS and login), a self-signed certificate,
and Twilio's API address."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from dataclasses import field
from email import message_from_bytes
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from aiosmtpd.smtp import LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jinja2 import ChoiceLoader
from jinja2 import FileSystemLoader

TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-test-token"
TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
TWILIO_SETTINGS = {
    "SMS_BACKEND": "twilio",
    "TWILIO_ACCOUNT_SID": TWILIO_SID,
    "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    "TWILIO_FROM": "+33700000001",
}
SMTP_USER = "guichet"
SMTP_PASSWORD = "relay-password"

TEMPLATES = {
    "notice.subject.txt": "Votre compte {{ product }} — à activer avant l'été",
    "notice.txt": "Bonjour {{ name }},\n\nActivez votre compte : {{ url }}\n",
    "notice.html": (
        '{% extends "messages/_layout.html" %}\n'
        '{% import "messages/_macros.html" as layout %}\n'
        "{% block title %}Activez votre compte{% endblock %}\n"
        "{% block content %}<p>Bonjour {{ name }},</p>"
        '{{ layout.button("Activer mon compte", url) }}{% endblock %}\n'
    ),
    "plain.subject.txt": "Information",
    "plain.txt": "Un message sans version HTML.\n",
    "code.sms.txt": "{{ product }} : votre code est {{ code }}.",
}


@pytest.fixture
def templates(tmp_path_factory):
    """Install the test message templates in an app (the real ones belong to each area)."""
    folder = tmp_path_factory.mktemp("templates")
    (folder / "messages").mkdir()
    for name, text in TEMPLATES.items():
        (folder / "messages" / name).write_text(text)

    def install(app):
        app.jinja_loader = ChoiceLoader([FileSystemLoader(str(folder)), app.jinja_loader])
        return app

    return install


@pytest.fixture
def messaging_app(make_app, templates):
    """An app with the test templates; settings as keyword arguments."""

    def _make(**settings):
        return templates(make_app(**settings))

    return _make


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Certificate:
    cert_file: str
    key_file: str

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, trusted through SMTP_CA_FILE."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file = folder / "cert.pem"
    key_file = folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(str(cert_file), str(key_file))


@dataclass
class Relay:
    """What the local SMTP server received, and the replies it is told to give."""

    port: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    # recipient -> SMTP reply to RCPT TO (e.g. "550 5.1.1 ..."); others are accepted.
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    # replies to DATA, used one per message before accepting ("451 ..." = busy).
    data_replies: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            return self.data_replies.pop(0)
        self.envelopes.append(envelope)
        self.received.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (SMTP_USER, SMTP_PASSWORD)
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def starttls_relay(certificate):
    """A relay on the submission model: STARTTLS required, then login required."""
    relay = Relay(port=free_port())
    controller = Controller(
        relay,
        hostname="127.0.0.1",
        port=relay.port,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=relay.authenticator,
        auth_required=True,
    )
    controller.start()
    yield relay
    controller.stop()


@pytest.fixture
def ssl_relay(certificate):
    """A relay on the SMTPS model: TLS from the first byte (port 465 style)."""
    relay = Relay(port=free_port())
    controller = Controller(
        relay,
        hostname="127.0.0.1",
        port=relay.port,
        ssl_context=certificate.server_context(),
        authenticator=relay.authenticator,
        auth_required=True,
        auth_require_tls=False,  # aiosmtpd cannot see the implicit TLS; it is there
    )
    controller.start()
    yield relay
    controller.stop()


@pytest.fixture
def plain_relay():
    """A relay in clear text with no login (a local MTA on the same host)."""
    relay = Relay(port=free_port())
    controller = Controller(relay, hostname="127.0.0.1", port=relay.port)
    controller.start()
    yield relay
    controller.stop()


def starttls_settings(relay: Relay, certificate: Certificate) -> dict:
    return {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": relay.port,
        "SMTP_USERNAME": SMTP_USER,
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "SMTP_STARTTLS": "true",
        "SMTP_CA_FILE": certificate.cert_file,
        "SMTP_TIMEOUT": "5",
    }


def plain_settings(relay: Relay) -> dict:
    return {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": relay.port,
        "SMTP_STARTTLS": "false",
        "SMTP_TIMEOUT": "5",
    }
