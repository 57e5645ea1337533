"""Shared journey rules: SMS codes (30 minutes, one try), birth-date checks,
«pas mon enfant», merging (password sign-in: test_authentication.py)."""

import datetime as dt

import pytest

from accounts import audit
from accounts import children
from accounts import merging
from accounts import sms_codes
from accounts import throttle
from accounts.models import AccountState
from kernel.extensions import db
from messaging.models import Message
from tests import factories

NOW = dt.datetime(2026, 11, 24, 9, 30)
SECRET = "s3cret"
MOBILE = "+33612345678"


def _sent_code() -> str:
    message = db.session.scalars(db.select(Message).order_by(Message.id.desc())).first()
    return next(word.rstrip(".") for word in message.body.split() if word.rstrip(".").isdigit())


def test_sms_code_is_six_digits_and_accepted_once(app_ctx):
    challenge = sms_codes.send_code("self_registration", MOBILE, now=NOW, secret=SECRET)
    code = _sent_code()
    assert len(code) == 6
    assert code not in challenge.code_hmac
    sms_codes.verify_code(challenge.id, code, purpose="self_registration", now=NOW, secret=SECRET)
    with pytest.raises(sms_codes.CodeWrongOrExpired):
        sms_codes.verify_code(
            challenge.id, code, purpose="self_registration", now=NOW, secret=SECRET
        )


def test_sms_code_expires_after_30_minutes(app_ctx):
    challenge = sms_codes.send_code("self_registration", MOBILE, now=NOW, secret=SECRET)
    code = _sent_code()
    with pytest.raises(sms_codes.CodeWrongOrExpired) as error:
        sms_codes.verify_code(
            challenge.id,
            code,
            purpose="self_registration",
            now=NOW + dt.timedelta(minutes=30, seconds=1),
            secret=SECRET,
        )
    assert "Réessayer" in str(error.value.message)


def test_a_wrong_sms_code_ends_the_code(app_ctx):
    challenge = sms_codes.send_code("self_registration", MOBILE, now=NOW, secret=SECRET)
    code = _sent_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(sms_codes.CodeWrongOrExpired):
        sms_codes.verify_code(
            challenge.id, wrong, purpose="self_registration", now=NOW, secret=SECRET
        )
    with pytest.raises(sms_codes.CodeWrongOrExpired):
        sms_codes.verify_code(
            challenge.id, code, purpose="self_registration", now=NOW, secret=SECRET
        )


def test_sms_sending_is_throttled_per_number(app_ctx):
    for _ in range(3):
        sms_codes.send_code("self_registration", MOBILE, now=NOW, secret=SECRET)
    with pytest.raises(sms_codes.TooManyCodes):
        sms_codes.send_code("self_registration", MOBILE, now=NOW, secret=SECRET)
    sms_codes.send_code(
        "self_registration", MOBILE, now=NOW + dt.timedelta(minutes=16), secret=SECRET
    )


def test_sms_sending_is_throttled_per_prefix(app_ctx):
    for i in range(30):
        sms_codes.send_code("self_registration", f"+3361234{i:04d}", now=NOW, secret=SECRET)
    with pytest.raises(sms_codes.TooManyCodes):
        sms_codes.send_code("self_registration", "+33612349999", now=NOW, secret=SECRET)


def test_birth_date_check_counts_wrong_answers_then_locks(app_ctx, school):
    guardian, [pupil] = factories.make_family(school)
    account = guardian.account
    subject = children.birth_date_subject(account)
    children.verify_birth_date(pupil, pupil.birth_date, now=NOW, subject=subject, account=account)
    policy = throttle.POLICIES["birth_date"]
    moment = NOW
    for _ in range(policy.lock_after):
        moment += dt.timedelta(hours=1)
        with pytest.raises(children.BirthDateMismatch):
            children.verify_birth_date(
                pupil, dt.date(2000, 1, 1), now=moment, subject=subject, account=account
            )
    with pytest.raises(throttle.JourneyLocked):
        children.verify_birth_date(
            pupil, pupil.birth_date, now=moment + dt.timedelta(days=1), subject=subject
        )
    assert throttle.locks_of(account)


def test_not_my_child_leaves_the_pupil_out_and_is_audited(app_ctx, school):
    guardian, pupils = factories.make_family(school, children=2)
    account = guardian.account
    children.report_not_mine(account, pupils[0], now=NOW, actor=audit.guardian_actor(account))
    db.session.flush()
    assert [p.id for p in account.children()] == [pupils[1].id]


def test_merge_moves_children_and_deletes_the_other_account(app_ctx, school):
    keep_guardian, keep_pupils = factories.make_family(school)
    other_school = factories.make_school()
    other_guardian, other_pupils = factories.make_family(other_school)
    keep, other = keep_guardian.account, other_guardian.account
    factories.activate(keep, password="Secret123")
    gained = merging.merge_accounts(keep, other, now=NOW, actor=audit.guardian_actor(keep))
    assert [p.id for p in gained] == [other_pupils[0].id]
    assert {p.id for p in keep.children()} == {keep_pupils[0].id, other_pupils[0].id}
    assert other.state == AccountState.DELETED


def test_merge_requires_identical_names(app_ctx, school):
    keep = factories.make_family(school)[0].account
    other = factories.make_family(school, first_name="Gérard")[0].account
    with pytest.raises(merging.NamesDiffer):
        merging.merge_accounts(keep, other, now=NOW, actor=audit.OPERATOR)
    assert other.state != AccountState.DELETED
