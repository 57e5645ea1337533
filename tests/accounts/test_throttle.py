"""Guessable secrets: free tries, then growing delays, then a lock a director lifts;
counting and checking are one atomic step, so concurrent guesses get exactly the
attempts the policy allows (issue 13)."""

import datetime as dt
import threading

import pytest

from accounts import audit
from accounts import throttle
from accounts.models import AuditEvent
from kernel.extensions import db
from tests import factories

NOW = dt.datetime(2026, 11, 24, 9, 30)


def fail(kind, subject, at, account=None):
    throttle.attempt(kind, subject, now=at)
    throttle.record_failure(kind, subject, now=at, account=account)


def test_free_attempts_then_a_delay_that_doubles(app_ctx):
    subject = "account:1"
    for i in range(3):
        fail("birth_date", subject, NOW + dt.timedelta(seconds=i))
    with pytest.raises(throttle.TooManyAttempts):
        throttle.attempt("birth_date", subject, now=NOW + dt.timedelta(seconds=20))
    fail("birth_date", subject, NOW + dt.timedelta(seconds=33))
    with pytest.raises(throttle.TooManyAttempts):
        throttle.attempt("birth_date", subject, now=NOW + dt.timedelta(seconds=90))
    throttle.attempt("birth_date", subject, now=NOW + dt.timedelta(seconds=94))


def test_lock_after_threshold_until_a_director_lifts_it(app_ctx):
    account = factories.make_account()
    subject = f"account:{account.id}"
    for i in range(throttle.POLICIES["birth_date"].lock_after):
        fail("birth_date", subject, NOW + dt.timedelta(hours=i), account)
    with pytest.raises(throttle.JourneyLocked) as error:
        throttle.attempt("birth_date", subject, now=NOW + dt.timedelta(days=30))
    assert "contacter l'école" in str(error.value.message)
    [lock] = throttle.locks_of(account)
    throttle.lift(lock, actor=audit.OPERATOR, now=NOW)
    throttle.attempt("birth_date", subject, now=NOW + dt.timedelta(days=30))
    actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert {"birth_date.locked", "birth_date.lock_lifted"} <= actions


def test_success_clears_the_count(app_ctx):
    fail("password", "id:x", NOW)
    throttle.attempt("password", "id:x", now=NOW)
    throttle.record_success("password", "id:x")
    for n in range(4):
        fail("password", "id:x", NOW + dt.timedelta(seconds=n))
    throttle.attempt("password", "id:x", now=NOW + dt.timedelta(seconds=5))


def test_a_right_answer_at_the_last_attempt_before_the_lock_does_not_lock(app_ctx):
    policy = throttle.POLICIES["password"]
    at = NOW
    for _ in range(policy.lock_after - 1):
        at += dt.timedelta(days=4)  # past each growing delay
        fail("password", "id:y", at)
    at += dt.timedelta(days=4)
    throttle.attempt("password", "id:y", now=at)
    throttle.record_success("password", "id:y")
    throttle.attempt("password", "id:y", now=at)  # not locked


def test_concurrent_wrong_guesses_get_exactly_the_free_attempts(make_app):
    """28 guesses at once: the policy's 5 are evaluated, the others refused; never an
    error from two requests creating the same counter."""
    app = make_app()
    policy = throttle.POLICIES["password"]
    evaluated, refused, errors = [], [], []
    start = threading.Barrier(28)

    def guess():
        with app.app_context():
            start.wait()
            try:
                throttle.attempt("password", "password:target", now=NOW)
            except throttle.TooManyAttempts:
                refused.append(1)
                db.session.rollback()
                return
            except Exception as exc:  # noqa: BLE001 - what the test must never see
                errors.append(exc)
                db.session.rollback()
                return
            evaluated.append(1)
            throttle.record_failure("password", "password:target", now=NOW)
            db.session.commit()

    threads = [threading.Thread(target=guess) for _ in range(28)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(evaluated) == policy.free_attempts
    assert len(refused) == 28 - policy.free_attempts
