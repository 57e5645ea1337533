"""The job queue on a real Redis (skipped without REDIS_URL): bulk sends leave the
request at once, a worker sends them, temporary failures are retried with growing
delays up to the maximum, and a rolled-back change queues nothing."""

import datetime as dt

import pytest
import responses
from rq import Queue

from kernel.extensions import db
from kernel.jobs import queue as current_queue
from kernel.jobs import run_worker
from messaging.compose import compose_email
from messaging.compose import compose_sms
from messaging.compose import new_batch_id
from messaging.delivery import DeliveryState
from messaging.delivery import batch_failures
from messaging.delivery import batch_progress
from messaging.delivery import outcome
from messaging.models import Message
from messaging.models import MessageStatus
from messaging.queue import job_id
from messaging.queue import requeue_stuck
from tests.messaging.conftest import TWILIO_SETTINGS
from tests.messaging.conftest import TWILIO_URL
from tests.messaging.conftest import plain_settings

NOW = dt.datetime(2026, 11, 24, 9, 30)
CONTEXT = {"name": "Camille", "url": "https://guichet.example/a", "product": "G"}


@pytest.fixture
def queued_app(messaging_app, queue_name, plain_relay):
    def _make(**settings):
        defaults = {"MESSAGE_QUEUE": queue_name, "MESSAGE_RETRY_INTERVALS": "0"}
        return messaging_app(**(plain_settings(plain_relay) | defaults | settings))

    return _make


def messages(app) -> list[Message]:
    with app.app_context():
        return list(db.session.scalars(db.select(Message).order_by(Message.id)))


def work(app) -> None:
    with app.app_context():
        run_worker(burst=True)


def test_a_bulk_send_is_queued_not_sent_in_the_request(queued_app, plain_relay):
    app = queued_app()
    with app.test_request_context():
        batch = new_batch_id()
        for n in range(40):
            compose_email(f"parent{n}@example.fr", "notice", CONTEXT, now=NOW, batch_id=batch)
        db.session.commit()
        assert len(current_queue()) == 40
        assert batch_progress(batch).pending == 40
    assert plain_relay.received == []

    work(app)

    assert len(plain_relay.received) == 40
    with app.app_context():
        progress = batch_progress(batch)
        assert (progress.total, progress.sent, progress.failed, progress.pending) == (40, 40, 0, 0)
        assert progress.done and progress.percent_done == 100
        assert len(current_queue()) == 0


def test_batch_progress_counts_failures_and_lists_them(queued_app, plain_relay):
    plain_relay.rcpt_replies["gone@example.fr"] = "550 5.1.1 No such user"
    app = queued_app()
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


def test_a_single_email_also_goes_through_the_queue(queued_app, plain_relay):
    app = queued_app()
    with app.test_request_context():
        message = compose_email("a@example.fr", "notice", CONTEXT, now=NOW)
        db.session.commit()
        assert outcome(message).state == DeliveryState.QUEUED
    work(app)
    assert len(plain_relay.received) == 1


def test_a_temporary_failure_is_retried_until_sent(queued_app, plain_relay):
    plain_relay.data_replies += ["451 4.3.0 Busy", "421 4.7.0 Try later"]
    app = queued_app()
    with app.test_request_context():
        compose_email("a@example.fr", "notice", CONTEXT, now=NOW)
        db.session.commit()
    work(app)
    [message] = messages(app)
    assert message.status == MessageStatus.SENT
    assert message.attempts == 3
    assert message.error is None and message.next_attempt_at is None
    assert len(plain_relay.received) == 1


def test_retries_stop_at_the_maximum_number_of_attempts(queued_app, plain_relay):
    plain_relay.data_replies += ["451 4.3.0 Busy"] * 10
    app = queued_app(MESSAGE_MAX_ATTEMPTS="3")
    with app.test_request_context():
        message = compose_email("a@example.fr", "notice", CONTEXT, now=NOW)
        db.session.commit()
    work(app)
    [message] = messages(app)
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 3
    assert message.error_code == "unavailable"
    assert plain_relay.data_replies == ["451 4.3.0 Busy"] * 7


def test_a_permanent_failure_is_not_retried(queued_app, plain_relay):
    plain_relay.rcpt_replies["gone@example.fr"] = "550 5.1.1 No such user"
    app = queued_app()
    with app.test_request_context():
        compose_email("gone@example.fr", "notice", CONTEXT, now=NOW)
        db.session.commit()
    work(app)
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)


def test_retries_wait_longer_each_time(queued_app, plain_relay):
    plain_relay.data_replies += ["451 4.3.0 Busy"]
    app = queued_app(MESSAGE_RETRY_INTERVALS="30,120,600")
    with app.test_request_context():
        compose_email("a@example.fr", "notice", CONTEXT, now=NOW)
        db.session.commit()
        queue = current_queue()
    work(app)
    [message] = messages(app)
    assert message.status == MessageStatus.PENDING
    assert message.attempts == 1
    wait = (message.next_attempt_at - message.last_attempt_at).total_seconds()
    assert wait == 30
    # RQ holds the job until then, with the longer delays after it.
    assert queue.scheduled_job_registry.get_job_ids() == [job_id(queue, message.id)]
    job = queue.fetch_job(job_id(queue, message.id))
    assert job.retries_left == 3
    assert job.retry_intervals == [30, 120, 600, 600]
    with app.app_context():
        delivery = outcome(db.session.get(Message, message.id))
        assert delivery.state == DeliveryState.RETRYING
        assert "il sera retenté dans quelques minutes" in delivery.user_message


@responses.activate
def test_an_sms_is_tried_in_the_request_then_retried_by_the_queue(queued_app):
    """A journey knows at once ("retrying", said in French); the worker finishes the job."""
    app = queued_app(**TWILIO_SETTINGS)
    responses.post(TWILIO_URL, status=503)
    with app.test_request_context():
        message = compose_sms("+33612345678", "code", {"code": "1", "product": "G"}, now=NOW)
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
def test_an_invalid_number_is_known_in_the_request_even_with_a_queue(queued_app):
    app = queued_app(**TWILIO_SETTINGS)
    responses.post(
        TWILIO_URL, json={"code": 21211, "message": "invalid", "status": 400}, status=400
    )
    with app.test_request_context():
        message = compose_sms("+33612345678", "code", {"code": "1", "product": "G"}, now=NOW)
        db.session.commit()
        assert outcome(message).recipient_problem
        assert len(current_queue()) == 0


def test_a_rolled_back_change_queues_nothing(queued_app):
    app = queued_app()
    with app.test_request_context():
        compose_email("a@example.fr", "notice", CONTEXT, now=NOW, batch_id=new_batch_id())
        db.session.rollback()
        db.session.commit()
        assert len(current_queue()) == 0
    assert messages(app) == []


def test_messages_lost_before_reaching_redis_are_queued_again_by_the_worker(
    queued_app, plain_relay
):
    app = queued_app()
    with app.test_request_context():
        compose_email("a@example.fr", "notice", CONTEXT, now=NOW)
        db.session.commit()
        current_queue().empty()  # as if Redis had been unreachable at commit time
        assert requeue_stuck(now=NOW + dt.timedelta(minutes=1)) == 0  # too recent to judge
        assert requeue_stuck(now=NOW + dt.timedelta(minutes=10)) == 1
        assert requeue_stuck(now=NOW + dt.timedelta(minutes=10)) == 0  # its job is alive
    work(app)
    assert len(plain_relay.received) == 1


def test_guichet_worker_runs_the_queue(queued_app, plain_relay):
    app = queued_app()
    with app.test_request_context():
        compose_email("a@example.fr", "notice", CONTEXT, now=NOW)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert len(plain_relay.received) == 1


def test_each_app_uses_its_configured_queue(queued_app, queue_name):
    app = queued_app()
    with app.app_context():
        assert isinstance(current_queue(), Queue)
        assert current_queue().name == queue_name
