"""`guichet outbox` and /dev/outbox: a developer or a script reads the code or the
link a journey just sent; the page exists only while nothing leaves the machine."""

import datetime as dt
import json

import pytest

from kernel.extensions import db
from messaging.compose import compose_email
from messaging.compose import compose_sms
from tests.messaging.conftest import TWILIO_SETTINGS

NOW = dt.datetime(2026, 11, 24, 9, 30)
URL = "https://guichet.example/activer/abc?x=1&y=2"


@pytest.fixture
def outbox_app(messaging_app):
    app = messaging_app(REDIS_URL="")  # emails sent in the request: statuses are final
    with app.test_request_context():
        compose_sms("+33612345678", "code", {"code": "111111", "product": "G"}, now=NOW)
        compose_sms(
            "+32470123456",
            "code",
            {"code": "222222", "product": "G"},
            now=NOW + dt.timedelta(minutes=1),
        )
        compose_email(
            "Camille.Durand@Example.fr",
            "notice",
            {"name": "Camille", "url": URL, "product": "G"},
            now=NOW + dt.timedelta(minutes=2),
        )
        compose_sms(
            "0612345678",
            "code",
            {"code": "333333", "product": "G"},
            now=NOW + dt.timedelta(minutes=3),
        )
        db.session.commit()
    return app


def outbox(app, *args):
    result = app.test_cli_runner().invoke(args=["outbox", *args])
    return result


@pytest.mark.parametrize(
    "written", ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "+33612345678"]
)
def test_a_number_is_found_whatever_way_it_is_written(outbox_app, written):
    result = outbox(outbox_app, "--to", written)
    assert result.exit_code == 0, result.output
    assert "333333" in result.output
    assert "111111" in result.output
    assert "222222" not in result.output
    # Newest first.
    assert result.output.index("333333") < result.output.index("111111")


def test_the_listing_shows_recipient_channel_time_status_subject_and_text(outbox_app):
    result = outbox(outbox_app, "--to", "camille.durand@EXAMPLE.FR")
    assert result.exit_code == 0, result.output
    first_line, subject_line, *_ = result.output.splitlines()
    assert "courriel · camille.durand@example.fr · 24/11/2026 10:32:00 (heure de Paris)" in (
        first_line
    )
    assert first_line.endswith("envoyé")
    assert subject_line == "Objet : Votre compte G — à activer avant l'été"
    assert URL in result.output


def test_json_for_scripts_is_one_array_newest_first(outbox_app):
    result = outbox(outbox_app, "--json")
    assert result.exit_code == 0
    messages = json.loads(result.output)
    assert [m["channel"] for m in messages] == ["sms", "email", "sms", "sms"]
    latest = messages[0]
    assert latest["recipient"] == "+33612345678"
    assert latest["text"] == "G : votre code est 333333."
    assert latest["created_at"] == "2026-11-24T09:33:00Z"
    assert latest["status"] == "sent"
    assert set(latest) >= {"id", "subject", "html", "sent_at", "attempts", "error", "batch_id"}


def test_json_with_a_filter_and_a_limit(outbox_app):
    result = outbox(outbox_app, "--to", "+33 6 12 34 56 78", "--json", "--limit", "1")
    [message] = json.loads(result.output)
    assert message["text"].endswith("333333.")


def test_an_empty_outbox_says_so(messaging_app):
    app = messaging_app()
    assert outbox(app).output == "Aucun message.\n"
    assert json.loads(outbox(app, "--json").output) == []


def test_an_unreadable_recipient_is_refused_in_french(outbox_app):
    result = outbox(outbox_app, "--to", "pas un numéro")
    assert result.exit_code == 2
    assert "n'est ni une adresse électronique ni un numéro de téléphone valide" in result.output


def test_the_dev_page_lists_messages_with_clickable_links(outbox_app):
    page = outbox_app.test_client().get("/dev/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Boîte d'envoi de développement" in html
    assert "camille.durand@example.fr" in html
    assert "+32470123456" in html
    assert "G : votre code est 222222." in html
    assert '<a href="https://guichet.example/activer/abc?x=1&amp;y=2">' in html
    assert "24/11/2026 10:32:00" in html


def test_the_dev_page_filters_by_recipient(outbox_app):
    html = outbox_app.test_client().get("/dev/outbox?to=06+12+34+56+78").get_data(as_text=True)
    assert "333333" in html
    assert "222222" not in html
    bad = outbox_app.test_client().get("/dev/outbox?to=nimporte").get_data(as_text=True)
    assert "Indiquez une adresse électronique ou un numéro de téléphone valide." in bad


def test_message_text_is_escaped_on_the_dev_page(messaging_app, tmp_path):
    app = messaging_app()
    with app.test_request_context():
        compose_sms("+33612345678", "code", {"code": "<script>x</script>", "product": "G"}, now=NOW)
        db.session.commit()
    html = app.test_client().get("/dev/outbox").get_data(as_text=True)
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_the_html_version_is_served_sandboxed(outbox_app):
    client = outbox_app.test_client()
    with outbox_app.app_context():
        from messaging.models import Message

        message_id = db.session.scalar(db.select(Message.id).where(Message.html.is_not(None)))
    detail = client.get(f"/dev/outbox/{message_id}")
    assert detail.status_code == 200
    assert f"/dev/outbox/{message_id}/html" in detail.get_data(as_text=True)
    raw = client.get(f"/dev/outbox/{message_id}/html")
    assert raw.status_code == 200
    assert "Activer mon compte" in raw.get_data(as_text=True)
    assert raw.headers["Content-Security-Policy"].startswith("sandbox")


@pytest.mark.parametrize(
    "settings",
    [TWILIO_SETTINGS, {"MAIL_BACKEND": "smtp"}],
    ids=["twilio", "smtp"],
)
def test_the_dev_page_does_not_exist_with_a_real_backend(messaging_app, settings):
    client = messaging_app(**settings).test_client()
    assert client.get("/dev/outbox").status_code == 404
    assert client.get("/dev/outbox/1").status_code == 404
    assert client.get("/dev/outbox/1/html").status_code == 404
