"""The queue on /metrics (issue 14): messages waiting per channel, read from the
database (so every node shows the queue whoever composed it), and each attempt's
outcome counted by the process that made it."""

from __future__ import annotations

import datetime as dt

from kernel.clock import utcnow
from kernel.extensions import db
from messaging.compose import compose_email
from messaging.compose import compose_sms
from messaging.compose import new_batch_id
from tests.kernel.test_metrics import scrape
from tests.kernel.test_metrics import value

CONTEXT = {"name": "Camille", "url": "https://guichet.example/a", "product": "G"}


def test_messages_waiting_then_sent_are_counted(messaging_app):
    app = messaging_app()
    client = app.test_client()
    before = scrape(client)
    with app.test_request_context():
        batch = new_batch_id()  # a bulk send: left to the worker, so it waits
        now = utcnow() - dt.timedelta(minutes=5)
        compose_sms(
            "+33612345678", "code", {"code": "111111", "product": "G"}, now=now, batch_id=batch
        )
        compose_email("a@example.fr", "notice", CONTEXT, now=now, batch_id=batch)
        db.session.commit()
    waiting = scrape(client)
    assert value(waiting, "guichet_messages_waiting", channel="sms") == 1
    assert value(waiting, "guichet_messages_waiting", channel="email") == 1
    assert value(waiting, "guichet_messages_oldest_waiting_seconds", channel="sms") >= 290
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    after = scrape(client)
    assert value(after, "guichet_messages_waiting", channel="sms") == 0
    assert value(after, "guichet_messages_oldest_waiting_seconds", channel="sms") == 0
    for channel in ("sms", "email"):
        labels = {"channel": channel, "outcome": "sent"}
        sent = value(after, "guichet_messages_total", **labels)
        assert sent == value(before, "guichet_messages_total", **labels) + 1
