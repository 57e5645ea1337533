"""Messages are rows sent from their row (issue 13): a message composed in a request
is tried right after the commit, a bulk send is the worker's, every retry is the
worker's (`guichet worker`), with growing delays up to the maximum; nothing needs
Redis, so an SMTP or Redis outage delays a message and never loses it; two workers
never make the same attempt; an attempt whose process died is made again."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import responses
import time_machine

from kernel import jobs
from kernel.extensions import db
from messaging.attempts import attempt
from messaging.compose import compose_email
from messaging.compose import compose_sms
from messaging.compose import new_batch_id
from messaging.delivery import DeliveryState
from messaging.delivery import batch_failures
from messaging.delivery import batch_progress
from messaging.delivery import outcome
from messaging.models import Message
from messaging.models import MessageStatus
from tests.messaging.conftest import TWILIO_SETTINGS
from tests.messaging.conftest import TWILIO_URL
from tests.messaging.conftest import plain_settings

NOW = dt.datetime(2026, 11, 24, 9, 30)
CONTEXT = {"name": "Camille", "url": "https://guichet.example/a", "product": "G"}
SMS = {"code": "1", "product": "G"}


@pytest.fixture
def mail_app(messaging_app, plain_relay):
    def _make(**settings):
        return messaging_app(**(plain_settings(plain_relay) | settings))

    return _make


def messages(app) -> list[Message]:
    with app.app_context():
        db.session.remove()
        return list(db.session.scalars(db.select(Message).order_by(Message.id)))


def work(app, *, later: dt.timedelta = dt.timedelta(0)) -> dict:
    """One pass of the worker, `later` from now."""
    with app.app_context(), time_machine.travel(dt.datetime.now(dt.UTC) + later, tick=True):
        return jobs.run_once()


def test_a_bulk_send_is_left_to_the_worker(mail_app, plain_relay):
    app = mail_app()
    with app.test_request_context():
        batch = new_batch_id()
        for n in range(40):
            compose_email(f"parent{n}@example.fr", "notice", CONTEXT, now=NOW, batch_id=batch)
        db.session.commit()
        assert batch_progress(batch).pending == 40
    assert plain_relay.received == []

    assert work(app)["messages"] == 40

    assert len(plain_relay.received) == 40
    with app.app_context():
        progress = batch_progress(batch)
        assert (progress.total, progress.sent, progress.failed, progress.pending) == (40, 40, 0, 0)
        assert progress.done and progress.percent_done == 100


def test_batch_progress_counts_failures_and_lists_them(mail_app, plain_relay):
    plain_relay.rcpt_replies["gone@example.fr"] = "550 5.1.1 No such user"
    app = mail_app()
    with app.test_request_context():
        batch = new_batch_id()
        for to in ("a@example.fr", "gone@example.fr", "b@example.fr"):
            compose_email(to, "notice", CONTEXT, now=NOW, batch_id=batch)
        db.session.commit()
    work(app)
    with app.app_context():
        progress = batch_progress(batch)
        assert (progress.sent, progress.failed, progress.pending) == (2, 1, 0)
        assert [m.recipient for m in batch_failures(batch)] == ["gone@example.fr"]


def test_a_single_email_is_sent_right_after_the_commit(mail_app, plain_relay):
    app = mail_app()
    with app.test_request_context():
        message = compose_email("a@example.fr", "notice", CONTEXT, now=NOW)
        db.session.commit()
        assert outcome(message).state == DeliveryState.SENT
    assert len(plain_relay.received) == 1


def test_an_email_refused_by_a_busy_relay_is_retried_by_the_worker_until_sent(
    mail_app, plain_relay
):
    """Without Redis too: the row drives the retries (it used to fail for good)."""
    plain_relay.data_replies += ["451 4.3.0 Busy", "421 4.7.0 Try later"]
    app = mail_app(MESSAGE_RETRY_INTERVALS="30,120", REDIS_URL="")
    with app.test_request_context():
        message = compose_email("a@example.fr", "notice", CONTEXT, now=NOW)
        db.session.commit()
        assert outcome(message).state == DeliveryState.RETRYING
    assert work(app)["messages"] == 0  # not due yet
    work(app, later=dt.timedelta(seconds=31))
    work(app, later=dt.timedelta(seconds=31 + 121))
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 3)
    assert message.error is None and message.next_attempt_at is None
    assert len(plain_relay.received) == 1


def test_retries_stop_at_the_maximum_number_of_attempts(mail_app, plain_relay):
    plain_relay.data_replies += ["451 4.3.0 Busy"] * 10
    app = mail_app(MESSAGE_MAX_ATTEMPTS="3", MESSAGE_RETRY_INTERVALS="0")
    with app.test_request_context():
        compose_email("a@example.fr", "notice", CONTEXT, now=NOW)
        db.session.commit()
    work(app)
    work(app)
    work(app)
    [message] = messages(app)
    assert (message.status, message.attempts, message.error_code) == (
        MessageStatus.FAILED,
        3,
        "unavailable",
    )
    assert plain_relay.data_replies == ["451 4.3.0 Busy"] * 7


def test_a_permanent_failure_is_not_retried(mail_app, plain_relay):
    plain_relay.rcpt_replies["gone@example.fr"] = "550 5.1.1 No such user"
    app = mail_app()
    with app.test_request_context():
        compose_email("gone@example.fr", "notice", CONTEXT, now=NOW)
        db.session.commit()
    work(app, later=dt.timedelta(hours=1))
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)


def test_retries_wait_longer_each_time_and_say_so(mail_app, plain_relay):
    plain_relay.data_replies += ["451 4.3.0 Busy"] * 2
    app = mail_app(MESSAGE_RETRY_INTERVALS="30,120,600")
    with app.test_request_context():
        compose_email("a@example.fr", "notice", CONTEXT, now=NOW)
        db.session.commit()
    [message] = messages(app)
    assert (message.next_attempt_at - message.last_attempt_at).total_seconds() == 30
    work(app, later=dt.timedelta(seconds=31))
    [message] = messages(app)
    assert (message.next_attempt_at - message.last_attempt_at).total_seconds() == 120
    with app.app_context():
        delivery = outcome(db.session.get(Message, message.id))
        assert delivery.state == DeliveryState.RETRYING
        assert "il sera retenté dans quelques minutes" in delivery.user_message


@responses.activate
def test_an_sms_is_tried_in_the_request_then_retried_by_the_worker(messaging_app):
    app = messaging_app(**TWILIO_SETTINGS, MESSAGE_RETRY_INTERVALS="0")
    responses.post(TWILIO_URL, status=503)
    with app.test_request_context():
        message = compose_sms("+33612345678", "code", SMS, now=NOW)
        db.session.commit()
        delivery = outcome(message)
        assert delivery.state == DeliveryState.RETRYING
        assert "Réessayer" in delivery.user_message
    responses.replace(
        responses.POST, TWILIO_URL, json={"sid": "SM1", "status": "queued"}, status=201
    )
    work(app)
    [message] = messages(app)
    assert (message.status, message.attempts, message.provider_id) == (
        MessageStatus.SENT,
        2,
        "SM1",
    )


@responses.activate
def test_an_invalid_number_is_known_in_the_request(messaging_app):
    app = messaging_app(**TWILIO_SETTINGS)
    responses.post(
        TWILIO_URL, json={"code": 21211, "message": "invalid", "status": 400}, status=400
    )
    with app.test_request_context():
        message = compose_sms("+33612345678", "code", SMS, now=NOW)
        db.session.commit()
        assert outcome(message).recipient_problem


@responses.activate
def test_a_hung_twilio_never_holds_the_request_and_the_sms_still_leaves(messaging_app):
    app = messaging_app(**TWILIO_SETTINGS, MESSAGE_WAIT_SECONDS="1")
    release = threading.Event()

    def hung(request):
        release.wait(10)
        return (201, {}, '{"sid": "SM9", "status": "queued"}')

    responses.add_callback(responses.POST, TWILIO_URL, callback=hung)
    with app.test_request_context():
        start = time.monotonic()
        message = compose_sms("+33612345678", "code", SMS, now=NOW)
        db.session.commit()
        assert time.monotonic() - start < 3
        delivery = outcome(message)
        assert delivery.state == DeliveryState.SENDING and not delivery.failed
        assert "en cours d'envoi" in delivery.user_message
    release.set()
    for _ in range(100):
        if messages(app)[0].status == MessageStatus.SENT:
            break
        time.sleep(0.05)
    assert messages(app)[0].provider_id == "SM9"


def test_a_rolled_back_change_sends_nothing(mail_app, plain_relay):
    app = mail_app()
    with app.test_request_context():
        compose_email("a@example.fr", "notice", CONTEXT, now=NOW)
        db.session.rollback()
        db.session.commit()
    assert messages(app) == [] and work(app)["messages"] == 0


def test_an_attempt_whose_process_died_is_made_again_after_its_lease(mail_app, plain_relay):
    app = mail_app()
    with app.test_request_context():
        compose_email("a@example.fr", "notice", CONTEXT, now=NOW, batch_id=new_batch_id())
        db.session.commit()
        # A worker claims the message, then dies before sending it.
        [message] = db.session.scalars(db.select(Message)).all()
        db.session.execute(
            db.update(Message).values(
                attempts=1,
                next_attempt_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                + dt.timedelta(minutes=2),
            )
        )
        db.session.commit()
    assert work(app)["messages"] == 0  # leased: nobody else sends it meanwhile
    work(app, later=dt.timedelta(minutes=3))
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    assert len(plain_relay.received) == 1


def test_two_workers_never_send_one_message_twice(mail_app, plain_relay):
    app = mail_app()
    with app.test_request_context():
        batch = new_batch_id()
        for n in range(30):
            compose_email(f"p{n}@example.fr", "notice", CONTEXT, now=NOW, batch_id=batch)
        db.session.commit()
    done = []
    threads = [threading.Thread(target=lambda: done.append(work(app))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(plain_relay.received) == 30
    assert sorted(str(m["To"]) for m in plain_relay.received) == sorted(
        f"p{n}@example.fr" for n in range(30)
    )
    assert all(m.attempts == 1 for m in messages(app))


def test_guichet_worker_once_sends_what_is_due(mail_app, plain_relay):
    app = mail_app()
    with app.test_request_context():
        compose_email("a@example.fr", "notice", CONTEXT, now=NOW, batch_id=new_batch_id())
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "messages : 1 envoi(s) tenté(s)" in result.output
    assert len(plain_relay.received) == 1


def test_one_attempt_claims_its_message(mail_app, plain_relay):
    app = mail_app()
    with app.test_request_context():
        compose_email("a@example.fr", "notice", CONTEXT, now=NOW, batch_id=new_batch_id())
        db.session.commit()
        [message] = db.session.scalars(db.select(Message)).all()
        assert attempt(message.id).status == MessageStatus.SENT
        assert attempt(message.id) is None  # sent: nothing left to do
