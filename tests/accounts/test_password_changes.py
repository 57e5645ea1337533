"""Every change of a parent's password goes through accounts.password_changes: a
password of their own (activation, SMS self-registration, the forced change after a
reset, the profile, lost password) ends the account's other sessions and is audited;
a temporary one (the console's reset, alone or with a notification) is audited as
a reset and valid from the Paris calendar date."""

import datetime as dt

import pytest

from accounts import authentication
from accounts import claiming
from accounts import email_links
from accounts import sessions
from accounts.errors import PasswordPolicyError
from accounts.models import AccountState
from accounts.models import AuditEvent
from admin import services as console
from enrollment import profile
from enrollment import recovery
from enrollment import registration
from enrollment import services as activation
from kernel import runtime
from kernel.config import AccountRules
from kernel.extensions import db
from tests import factories
from tests.admin.conftest import make_director
from tests.enrollment.conftest import code_in
from tests.enrollment.conftest import last_message

NOW = dt.datetime(2026, 11, 24, 9, 30)
OLD = "Ancien2026"
NEW = "Nouveau2026"
SECRET = "s3cret"


def _activation(account, pupil, password, **_):
    factories.set_state(account, AccountState.NOTIFIED)
    activation.activate_with_temporary_password(
        account,
        password=password,
        email="gerald.choisi@example.org",
        birth_date=pupil.birth_date,
        now=NOW,
        passwords=runtime.passwords(),
        rules=AccountRules(),
    )


def _sms_registration(account, pupil, password, **_):
    factories.set_state(account, AccountState.NOTIFIED)
    challenge = registration.start(
        "Martin", "Gérald", "+33612345678", now=NOW, secret=SECRET, product="Guichet"
    )
    code = code_in(last_message("+33612345678"))
    journey = registration.verify(challenge.id, code, now=NOW, secret=SECRET)
    registration.confirm_children(
        journey, {pupil.id: claiming.Answer(birth_date=pupil.birth_date)}, now=NOW
    )
    registration.complete(
        journey, password=password, now=NOW, passwords=runtime.passwords(), rules=AccountRules()
    )


def _after_reset(account, pupil, password, **_):
    factories.activate(account, password=OLD)
    runtime.passwords().issue_temporary(account, today=NOW.date())
    activation.choose_new_password(account, password, now=NOW, passwords=runtime.passwords())


def _profile(account, pupil, password, *, here):
    factories.activate(account, password=OLD)
    profile.change_password(
        account, OLD, password, now=NOW, passwords=runtime.passwords(), keep_session=here.id
    )


def _lost_password_by_link(account, pupil, password, **_):
    factories.activate(account, password=OLD)
    token = email_links.issue(
        account,
        email_links.PASSWORD_RESET,
        "gerald.martin@example.org",
        now=NOW,
        validity=recovery.RESET_LINK_VALIDITY,
    )
    recovery.reset_with_link(token, password, now=NOW, passwords=runtime.passwords())


def _lost_password_by_sms(account, pupil, password, **_):
    factories.activate(account, password=OLD)
    recovery.set_new_password(account, password, now=NOW, passwords=runtime.passwords(), via="sms")


SETTING = [
    # journey, audit event, why the other sessions end, audit details
    (_activation, "account.password_chosen", "password_changed", {}),
    (_sms_registration, "account.password_chosen", "password_changed", {}),
    (_after_reset, "account.password_chosen", "password_changed", {}),
    (_profile, "account.password_changed", "password_changed", {}),
    (_lost_password_by_link, "account.password_reset", "password_reset", {"via": "email"}),
    (_lost_password_by_sms, "account.password_reset", "password_reset", {"via": "sms"}),
]
IDS = ["activation", "sms-registration", "after-reset", "profile", "lost-link", "lost-sms"]


@pytest.fixture
def family(app_ctx, school):
    """A parent's account with a browser signed in elsewhere and the one in use."""
    guardian, [pupil] = factories.make_family(school)
    account = guardian.account
    elsewhere = sessions.open_session(account, now=NOW, amr=["pwd"])
    here = sessions.open_session(account, now=NOW, amr=["pwd"])
    return account, pupil, elsewhere, here


@pytest.mark.parametrize(("journey", "event", "reason", "details"), SETTING, ids=IDS)
def test_every_password_a_parent_sets_ends_their_other_sessions_and_is_audited(
    family, journey, event, reason, details
):
    account, pupil, elsewhere, here = family
    journey(account, pupil, NEW, here=here)
    db.session.flush()
    assert elsewhere.ended_reason == reason
    assert (here.ended_at is None) == (journey is _profile)
    assert runtime.passwords().temporary_password(account) is None
    assert not account.must_change_password
    found = authentication.verify_password(
        account.identifier, NEW, now=NOW, passwords=runtime.passwords(), rules=None
    )
    assert found == account
    [audited] = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == event))
    assert audited.accounts == [account]
    assert (audited.actor_type, audited.actor_label) == ("guardian", account.identifier)
    assert audited.details == details


@pytest.mark.parametrize(("journey", "event", "reason", "details"), SETTING, ids=IDS)
def test_no_path_sets_a_password_that_breaks_the_policy(family, journey, event, reason, details):
    account, pupil, elsewhere, here = family
    with pytest.raises(PasswordPolicyError):
        journey(account, pupil, "court1", here=here)
    assert elsewhere.ended_at is None
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == event)) is None


def _console_reset(account, school, director, now):
    console.reset_passwords(
        [account], school=school, director=director, passwords=runtime.passwords(), now=now
    )


def _notify_with_reset(account, school, director, now):
    console.notify(
        [account],
        channel=console.Channel.LETTER,
        reset=True,
        school=school,
        director=director,
        passwords=runtime.passwords(),
        product=runtime.settings().product,
        now=now,
    )


@pytest.mark.parametrize(
    "reset", [_console_reset, _notify_with_reset], ids=["reset", "notify-with-reset"]
)
def test_every_reset_by_the_school_issues_a_temporary_password_and_is_audited(
    app_ctx, school, reset
):
    director = make_director(schools=[school])
    account = factories.make_family(school)[0].account
    factories.activate(account, password=OLD)
    reset(account, school, director, NOW)
    db.session.flush()
    clear = runtime.passwords().temporary_password(account)
    assert (
        len(clear) == 8
        and clear.isupper()
        and clear.encode() not in (account.temporary_password_encrypted)
    )
    assert account.state == AccountState.ACTIVATED
    assert account.temporary_password_issued_on == NOW.date()
    with pytest.raises(authentication.InvalidCredentials):  # the old one stops at once
        authentication.verify_password(
            account.identifier, OLD, now=NOW, passwords=runtime.passwords(), rules=None
        )
    result = authentication.authenticate(
        account.identifier,
        clear,
        now=NOW,
        passwords=runtime.passwords(),
        rules=AccountRules(),
        today=NOW.date(),
    )
    assert result.next == authentication.Next.CHANGE_PASSWORD
    [audited] = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "account.password_reset")
    )
    assert audited.accounts == [account]
    assert (audited.actor_type, audited.actor_label) == ("director", director.identifier)
    assert audited.school_id == school.id


def test_a_reset_after_midnight_in_paris_is_dated_the_paris_day(app_ctx, school):
    """23:30 UTC on 24 November is 00:30 on the 25th in Paris: the 3 months start there."""
    director = make_director(schools=[school])
    account = factories.make_family(school)[0].account
    factories.activate(account, password=OLD)
    _console_reset(account, school, director, dt.datetime(2026, 11, 24, 23, 30))
    assert account.temporary_password_issued_on == dt.date(2026, 11, 25)
