"""SMS through Twilio: the official client makes the HTTP call (answered by `responses`);
each answer becomes a recorded status and, on failure, a French explanation."""

import datetime as dt
import json
from urllib.parse import parse_qs

import pytest
import requests
import responses
from twilio.request_validator import RequestValidator

from accounts.sms_codes import SmsChallenge
from accounts.sms_codes import send_code
from kernel.extensions import db
from messaging.compose import compose_sms
from messaging.delivery import DeliveryState
from messaging.delivery import latest_outcome
from messaging.delivery import outcome
from messaging.models import Channel
from messaging.models import Message
from messaging.models import MessageStatus
from registry.models import School
from tests.factories import make_school
from tests.messaging.conftest import TWILIO_SETTINGS
from tests.messaging.conftest import TWILIO_SID
from tests.messaging.conftest import TWILIO_URL

NOW = dt.datetime(2026, 11, 24, 9, 30)


def accepted(sid="SM" + "a" * 32, status="queued"):
    return {"sid": sid, "status": status, "to": "+33612345678", "error_code": None}


def refused(code, message, status=400):
    return {"code": code, "message": message, "more_info": "", "status": status}


@pytest.fixture
def twilio_app(messaging_app):
    # No job queue: the one attempt in the request is the only one.
    return messaging_app(**TWILIO_SETTINGS, REDIS_URL="")


def send_sms(app, to="06 12 34 56 78"):
    with app.test_request_context():
        message = compose_sms(to, "code", {"code": "482913", "product": "Guichet"}, now=NOW)
        db.session.commit()
        return outcome(message), message.id


@responses.activate
def test_an_accepted_sms_is_recorded_as_sent_with_twilios_id(twilio_app):
    responses.post(TWILIO_URL, json=accepted(), status=201)
    delivery, message_id = send_sms(twilio_app)
    assert delivery.state == DeliveryState.SENT
    assert delivery.user_message is None
    [call] = responses.calls
    form = parse_qs(call.request.body)
    assert form == {
        "To": ["+33612345678"],
        "From": ["+33700000001"],
        "Body": ["Guichet : votre code est 482913."],
    }
    assert call.request.headers["Authorization"].startswith("Basic ")
    with twilio_app.app_context():
        message = db.session.get(Message, message_id)
        assert message.provider_id == "SM" + "a" * 32
        assert message.attempts == 1
        assert message.sent_at is not None


@responses.activate
def test_a_messaging_service_is_the_sender_when_configured(messaging_app):
    app = messaging_app(**TWILIO_SETTINGS, TWILIO_MESSAGING_SERVICE_SID="MG" + "1" * 32)
    responses.post(TWILIO_URL, json=accepted(), status=201)
    send_sms(app)
    form = parse_qs(responses.calls[0].request.body)
    assert form["MessagingServiceSid"] == ["MG" + "1" * 32]
    assert "From" not in form


@pytest.mark.parametrize(
    ("code", "text", "expected_code", "french"),
    [
        (21211, "The 'To' number +3361 is not a valid phone number.", "invalid_number",
         "Ce numéro de téléphone n'est pas valide"),
        (21614, "'To' number is not a valid mobile number", "not_mobile",
         "Ce numéro ne peut pas recevoir de SMS. Indiquez un numéro de téléphone mobile."),
        (21408, "Permission to send an SMS has not been enabled for the region", "unreachable",
         "Ce numéro ne peut pas recevoir de SMS de notre service"),
        (21612, "The 'To' phone number is not currently reachable via SMS", "unreachable",
         "Ce numéro ne peut pas recevoir de SMS de notre service"),
        (21610, "Attempt to send to unsubscribed recipient", "opted_out", "« STOP »"),
    ],
)  # fmt: skip
@responses.activate
def test_a_number_twilio_refuses_fails_at_once_with_a_french_reason(
    twilio_app, code, text, expected_code, french
):
    responses.post(TWILIO_URL, json=refused(code, text), status=400)
    delivery, message_id = send_sms(twilio_app)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.recipient_problem
    assert delivery.error_code == expected_code
    assert french in delivery.user_message
    assert len(responses.calls) == 1
    with twilio_app.app_context():
        message = db.session.get(Message, message_id)
        assert str(code) in message.error


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 503, "body": "<html>Service Unavailable</html>"},
        {"status": 500, "json": refused(20500, "Internal Server Error", status=500)},
        {"status": 429, "json": refused(20429, "Too Many Requests", status=429)},
        {"body": requests.exceptions.ConnectionError("connection refused")},
        {"body": requests.exceptions.ReadTimeout("read timed out")},
    ],
    ids=["503", "500", "429", "connection-refused", "timeout"],
)
@responses.activate
def test_an_outage_is_a_temporary_failure_said_in_french(twilio_app, answer):
    responses.post(TWILIO_URL, **answer)
    delivery, _ = send_sms(twilio_app)
    # The worker tries again (no Redis needed): the journey says it is delayed.
    assert delivery.state == DeliveryState.RETRYING
    assert not delivery.failed and not delivery.recipient_problem
    assert delivery.error_code == "unavailable"
    assert "il sera retenté dans quelques minutes" in delivery.user_message


@responses.activate
def test_wrong_credentials_are_our_fault_not_the_parents(twilio_app):
    responses.post(TWILIO_URL, json=refused(20003, "Authenticate", status=401), status=401)
    delivery, _ = send_sms(twilio_app)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.error_code == "configuration"
    assert not delivery.recipient_problem
    assert "problème technique de notre service" in delivery.user_message


@responses.activate
def test_a_provider_failure_never_undoes_the_change_that_sent_the_sms(twilio_app):
    responses.post(TWILIO_URL, status=503)
    with twilio_app.test_request_context():
        school_id = make_school(name="École du Centre").id
        message = compose_sms("+33612345678", "code", {"code": "1", "product": "G"}, now=NOW)
        db.session.commit()
        assert outcome(message).state == DeliveryState.RETRYING
        db.session.remove()
        assert db.session.get(School, school_id).name == "École du Centre"


@responses.activate
def test_a_journey_learns_after_commit_that_the_number_cannot_receive_sms(twilio_app):
    """The documented pattern (docs/messaging.md): send the code, commit, ask what
    became of the SMS; if it failed, tell the parent and drop the challenge so that
    neither the code nor the number's allowance is used up."""
    responses.post(TWILIO_URL, json=refused(21614, "not a mobile"), status=400)
    with twilio_app.test_request_context():
        challenge = send_code("register", "+33145678901", now=NOW, secret="s")
        db.session.commit()
        delivery = latest_outcome(Channel.SMS, "+33145678901", since=NOW)
        assert delivery.failed
        assert delivery.user_message.startswith("Ce numéro ne peut pas recevoir de SMS")
        db.session.delete(challenge)
        db.session.commit()
        assert db.session.scalars(db.select(SmsChallenge)).all() == []


def test_twilio_without_credentials_fails_at_start(make_app):
    with pytest.raises(ValueError, match="TWILIO_ACCOUNT_SID"):
        make_app(SMS_BACKEND="twilio")
    with pytest.raises(ValueError, match="TWILIO_FROM"):
        make_app(SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID=TWILIO_SID, TWILIO_AUTH_TOKEN="t")


@responses.activate
def test_the_sms_text_never_reaches_the_logs_through_the_twilio_client(twilio_app, caplog):
    responses.post(TWILIO_URL, json=accepted(), status=201)
    with caplog.at_level("DEBUG"):
        send_sms(twilio_app)
    assert "482913" not in caplog.text
    assert TWILIO_SETTINGS["TWILIO_AUTH_TOKEN"] not in caplog.text
    assert json.dumps(accepted()) not in caplog.text


def test_an_sms_composed_from_a_local_number_is_recorded_in_international_form(twilio_app):
    with twilio_app.test_request_context():
        message = compose_sms("06 12 34 56 78", "code", {"code": "1", "product": "G"}, now=NOW)
        assert message.recipient == "+33612345678"
        db.session.rollback()


CALLBACK = "http://localhost/messaging/twilio/status"


def report(client, form, *, token=TWILIO_SETTINGS["TWILIO_AUTH_TOKEN"]):
    signature = RequestValidator(token).compute_signature(CALLBACK, form)
    return client.post(CALLBACK, data=form, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def callback_app(messaging_app):
    return messaging_app(**TWILIO_SETTINGS, TWILIO_STATUS_CALLBACK="on", REDIS_URL="")


@responses.activate
def test_twilio_is_asked_to_report_late_delivery_failures(callback_app):
    responses.post(TWILIO_URL, json=accepted(), status=201)
    send_sms(callback_app)
    assert parse_qs(responses.calls[0].request.body)["StatusCallback"] == [CALLBACK]


@responses.activate
def test_a_late_landline_report_turns_the_sms_into_a_failure_said_in_french(callback_app):
    responses.post(TWILIO_URL, json=accepted(sid="SMlate"), status=201)
    delivery, message_id = send_sms(callback_app)
    assert delivery.state == DeliveryState.SENT
    form = {"MessageSid": "SMlate", "MessageStatus": "undelivered", "ErrorCode": "30006"}
    assert report(callback_app.test_client(), form).status_code == 204
    with callback_app.test_request_context():
        delivery = outcome(db.session.get(Message, message_id))
        assert delivery.failed and delivery.recipient_problem
        assert delivery.error_code == "not_mobile"
        assert "Indiquez un numéro de téléphone mobile" in delivery.user_message


@responses.activate
def test_a_delivered_report_changes_nothing(callback_app):
    responses.post(TWILIO_URL, json=accepted(sid="SMok"), status=201)
    _, message_id = send_sms(callback_app)
    form = {"MessageSid": "SMok", "MessageStatus": "delivered"}
    assert report(callback_app.test_client(), form).status_code == 204
    with callback_app.app_context():
        assert db.session.get(Message, message_id).status == MessageStatus.SENT


@responses.activate
def test_an_unsigned_or_forged_report_is_refused(callback_app):
    responses.post(TWILIO_URL, json=accepted(sid="SMx"), status=201)
    _, message_id = send_sms(callback_app)
    form = {"MessageSid": "SMx", "MessageStatus": "failed", "ErrorCode": "30005"}
    client = callback_app.test_client()
    assert client.post(CALLBACK, data=form).status_code == 403
    assert report(client, form, token="not-the-token").status_code == 403
    with callback_app.app_context():
        assert db.session.get(Message, message_id).status == MessageStatus.SENT


def test_the_report_address_exists_only_when_enabled(messaging_app, twilio_app):
    form = {"MessageSid": "SMx", "MessageStatus": "failed"}
    assert report(twilio_app.test_client(), form).status_code == 404
    assert report(messaging_app().test_client(), form).status_code == 404
