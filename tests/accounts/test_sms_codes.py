"""SMS codes under retries and concurrency (issue 13): «Réessayer» leaves one live
code per purpose and number (the earlier codes end, and their SMS still waiting are
never sent, so stale codes cannot arrive together); of concurrent tries at one code,
exactly one consumes it."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
import responses

from accounts import sms_codes
from kernel import jobs
from kernel.extensions import db
from messaging.models import Message
from messaging.models import MessageStatus
from tests.messaging.conftest import TWILIO_SETTINGS
from tests.messaging.conftest import TWILIO_URL

NOW = dt.datetime(2026, 11, 24, 9, 30)
MOBILE = "+33612345678"
SECRET = "test-sms-secret"


def code_of(message: Message) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def sms_to(mobile: str) -> list[Message]:
    return list(
        db.session.scalars(
            db.select(Message).where(Message.recipient == mobile).order_by(Message.id)
        )
    )


@responses.activate
def test_a_new_code_replaces_the_earlier_one_and_withdraws_its_unsent_sms(make_app):
    app = make_app(**TWILIO_SETTINGS, MESSAGE_RETRY_INTERVALS="0")
    responses.post(TWILIO_URL, status=503)  # Twilio down: the first SMS waits
    with app.test_request_context():
        first = sms_codes.send_code("register", MOBILE, now=NOW, secret=SECRET)
        db.session.commit()
        second = sms_codes.send_code("register", MOBILE, now=NOW, secret=SECRET)  # «Réessayer»
        db.session.commit()
        old, new = sms_to(MOBILE)
        db.session.refresh(old)
        assert old.status == MessageStatus.REPLACED
        assert db.session.get(sms_codes.SmsChallenge, first.id).outcome == "replaced"
        first_id, old_code, second_id, new_code = first.id, code_of(old), second.id, code_of(new)
    responses.replace(responses.POST, TWILIO_URL, json={"sid": "SM1"}, status=201)
    with app.app_context():
        jobs.run_once()
        db.session.remove()
        assert [m.status for m in sms_to(MOBILE)] == [MessageStatus.REPLACED, MessageStatus.SENT]
        assert len([c for c in responses.calls if c.response.status_code == 201]) == 1
        with pytest.raises(sms_codes.CodeWrongOrExpired):
            sms_codes.verify_code(first_id, old_code, purpose="register", now=NOW, secret=SECRET)
        accepted = sms_codes.verify_code(
            second_id, new_code, purpose="register", now=NOW, secret=SECRET
        )
        assert accepted.outcome == "accepted"


def test_codes_of_another_purpose_or_number_stay_live(app_ctx):
    mine = sms_codes.send_code("register", MOBILE, now=NOW, secret=SECRET)
    sms_codes.send_code("lost_password", MOBILE, now=NOW, secret=SECRET)
    sms_codes.send_code("register", "+33698765432", now=NOW, secret=SECRET)
    db.session.commit()
    assert db.session.get(sms_codes.SmsChallenge, mine.id).used_at is None


def test_of_a_right_code_and_three_wrong_guesses_sent_together_one_consumes_it(make_app):
    app = make_app()
    for trial in range(5):
        mobile = f"+3361234560{trial}"
        with app.app_context():
            challenge = sms_codes.send_code("register", mobile, now=NOW, secret=SECRET)
            db.session.commit()
            right = code_of(sms_to(mobile)[-1])
            challenge_id = challenge.id
        guesses = [right] + [f"{(int(right) + n) % 1_000_000:06d}" for n in (1, 2, 3)]
        accepted = []
        start = threading.Barrier(len(guesses))
        threads = [
            threading.Thread(target=_guess, args=(app, start, challenge_id, code, accepted))
            for code in guesses
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with app.app_context():
            outcome = db.session.get(sms_codes.SmsChallenge, challenge_id).outcome
        assert len(accepted) <= 1
        assert (accepted == [right]) == (outcome == "accepted"), (accepted, outcome)


def _guess(app, start, challenge_id, code, accepted):
    with app.app_context():
        start.wait()
        try:
            sms_codes.verify_code(challenge_id, code, purpose="register", now=NOW, secret=SECRET)
            accepted.append(code)
        except sms_codes.CodeWrongOrExpired:
            pass
        db.session.commit()
