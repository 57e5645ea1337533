"""Guessable secrets: free tries, then growing delays, then a lock a director lifts."""

import datetime as dt

import pytest

from accounts import audit
from accounts import throttle
from accounts.models import AuditEvent
from kernel.extensions import db
from tests import factories

NOW = dt.datetime(2026, 11, 24, 9, 30)


def test_free_attempts_then_a_delay_that_doubles(app_ctx):
    subject = "account:1"
    for i in range(3):
        throttle.check("birth_date", subject, now=NOW)
        throttle.record_failure("birth_date", subject, now=NOW + dt.timedelta(seconds=i))
    with pytest.raises(throttle.TooManyAttempts):
        throttle.check("birth_date", subject, now=NOW + dt.timedelta(seconds=20))
    throttle.check("birth_date", subject, now=NOW + dt.timedelta(seconds=33))
    throttle.record_failure("birth_date", subject, now=NOW + dt.timedelta(seconds=40))
    with pytest.raises(throttle.TooManyAttempts):
        throttle.check("birth_date", subject, now=NOW + dt.timedelta(seconds=90))
    throttle.check("birth_date", subject, now=NOW + dt.timedelta(seconds=101))


def test_lock_after_threshold_until_a_director_lifts_it(app_ctx):
    account = factories.make_account()
    subject = f"account:{account.id}"
    for i in range(throttle.POLICIES["birth_date"].lock_after):
        throttle.record_failure(
            "birth_date", subject, now=NOW + dt.timedelta(hours=i), account=account
        )
    with pytest.raises(throttle.JourneyLocked) as error:
        throttle.check("birth_date", subject, now=NOW + dt.timedelta(days=30))
    assert "contacter l'école" in str(error.value.message)
    [lock] = throttle.locks_of(account)
    throttle.lift(lock, actor=audit.OPERATOR, now=NOW)
    throttle.check("birth_date", subject, now=NOW + dt.timedelta(days=30))
    actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert {"birth_date.locked", "birth_date.lock_lifted"} <= actions


def test_success_clears_the_count(app_ctx):
    throttle.record_failure("password", "id:x", now=NOW)
    throttle.record_success("password", "id:x")
    for _ in range(4):
        throttle.record_failure("password", "id:x", now=NOW)
    throttle.check("password", "id:x", now=NOW)
