"""A sign-in from a browser never seen on the account sends the optional security
email (issue 17): the first browser sets the baseline, a known one is quiet, the
email goes only when the parent turned it on, and the cookie is stored hashed."""

import datetime as dt

import time_machine

from accounts import devices
from accounts.models import AuditEvent
from kernel.clock import utcnow
from kernel.extensions import db
from messaging.models import Message
from tests import factories

NOW = dt.datetime(2026, 11, 24, 9, 30)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def parent(school, *, alerts: bool):
    account = factories.make_family(school)[0].account
    factories.activate(account, password="Secret123")
    account.email, account.email_verified = "parent@example.org", True
    account.new_device_alerts = alerts
    db.session.commit()
    return account


def alerts_sent():
    return db.session.scalars(db.select(Message).where(Message.template == "new_device")).all()


def test_the_first_browser_is_the_baseline_and_alerts_no_one(school):
    account = parent(school, alerts=True)
    seen = devices.note_sign_in(account, None, user_agent=FIREFOX, now=NOW)
    db.session.commit()
    assert not seen.new and seen.alert is None
    assert alerts_sent() == []


def test_a_new_browser_sends_the_email_with_the_link_to_my_connections(school):
    account = parent(school, alerts=True)
    first = devices.note_sign_in(account, None, user_agent=FIREFOX, now=NOW)
    again = devices.note_sign_in(account, first.token, user_agent=FIREFOX, now=NOW)
    assert not again.new and again.alert is None
    other = devices.note_sign_in(account, None, user_agent=FIREFOX, now=NOW)
    db.session.commit()
    assert other.new and other.token != first.token
    [message] = alerts_sent()
    assert message.recipient == "parent@example.org"
    assert message.account_id == account.id
    assert "Firefox sur Windows" in message.body
    assert "24/11/2026 à 10:30" in message.body
    assert "http://localhost/compte/connexions" in message.body


def test_without_the_parent_asking_no_email_goes(school):
    account = parent(school, alerts=False)
    devices.note_sign_in(account, None, user_agent=FIREFOX, now=NOW)
    second = devices.note_sign_in(account, None, user_agent=FIREFOX, now=NOW)
    db.session.commit()
    assert second.new and second.alert is None
    assert alerts_sent() == []


def test_a_browser_known_to_another_account_is_new_to_this_one(school):
    first, second = parent(school, alerts=True), parent(school, alerts=True)
    devices.note_sign_in(second, None, user_agent=FIREFOX, now=NOW)  # second's baseline
    family_computer = devices.note_sign_in(first, None, user_agent=FIREFOX, now=NOW)
    shared = devices.note_sign_in(second, family_computer.token, user_agent=FIREFOX, now=NOW)
    assert shared.new and shared.alert is not None


def test_the_cookie_is_stored_only_as_a_digest(school):
    account = parent(school, alerts=False)
    seen = devices.note_sign_in(account, None, user_agent=FIREFOX, now=NOW)
    db.session.commit()
    [row] = devices.devices_of(account)
    assert row.token_digest != seen.token and seen.token not in row.token_digest
    assert len(row.token_digest) == 64


def test_turning_the_email_on_and_off_is_audited(school):
    account = parent(school, alerts=False)
    assert devices.set_alerts(account, True, now=NOW)
    assert not devices.set_alerts(account, True, now=NOW)
    assert devices.set_alerts(account, False, now=NOW)
    db.session.commit()
    query = db.select(AuditEvent.action).where(AuditEvent.action.like("account.device%"))
    actions = db.session.scalars(query.order_by(AuditEvent.id)).all()
    assert actions == ["account.device_alerts_on", "account.device_alerts_off"]


def known(account) -> list[str]:
    return [device.user_agent for device in devices.devices_of(account)]


def test_an_account_keeps_its_most_recently_seen_browsers(school):
    account = parent(school, alerts=False)
    tokens = {}
    with time_machine.travel(NOW, tick=False) as clock:
        for number in range(devices.MAX_DEVICES_PER_ACCOUNT):
            tokens[number] = devices.note_sign_in(
                account, None, user_agent=f"browser {number}", now=utcnow()
            ).token
            clock.shift(dt.timedelta(hours=1))
        # The first browser comes back: seen more recently than the second.
        devices.note_sign_in(account, tokens[0], user_agent="browser 0", now=utcnow())
        clock.shift(dt.timedelta(hours=1))
        devices.note_sign_in(account, None, user_agent="one more", now=utcnow())
        db.session.commit()
    kept = known(account)
    assert len(kept) == devices.MAX_DEVICES_PER_ACCOUNT
    assert "browser 1" not in kept
    assert {"browser 0", "browser 2", "one more"} <= set(kept)


def test_a_browser_unseen_longer_than_its_cookie_is_forgotten_at_the_next_sign_in(school):
    account = parent(school, alerts=True)
    with time_machine.travel(NOW, tick=False) as clock:
        old = devices.note_sign_in(account, None, user_agent="old", now=utcnow())
        recent = devices.note_sign_in(account, None, user_agent="recent", now=utcnow())
        clock.shift(devices.DEVICE_COOKIE_LIFETIME - dt.timedelta(days=1))
        devices.note_sign_in(account, recent.token, user_agent="recent", now=utcnow())
        clock.shift(dt.timedelta(days=2))
        devices.note_sign_in(account, recent.token, user_agent="recent", now=utcnow())
        db.session.commit()
        assert known(account) == ["old", "recent"]  # a known browser's sign-in prunes nothing
        newcomer = devices.note_sign_in(account, None, user_agent="new", now=utcnow())
        db.session.commit()
    assert newcomer.new and newcomer.alert is not None
    assert known(account) == ["recent", "new"]
    again = devices.note_sign_in(account, old.token, user_agent="old", now=NOW)
    assert again.new  # forgotten: a new browser again


def test_the_daily_purge_forgets_every_expired_browser(school, runner):
    account = parent(school, alerts=False)
    other = factories.make_family(school, first_name="Anne", last_name="Durand")[0].account
    devices.note_sign_in(account, None, user_agent="old", now=NOW)
    devices.note_sign_in(other, None, user_agent="old too", now=NOW)
    late = NOW + devices.DEVICE_COOKIE_LIFETIME + dt.timedelta(days=1)
    devices.note_sign_in(other, None, user_agent="recent", now=late - dt.timedelta(days=2))
    db.session.commit()
    with time_machine.travel(late, tick=False):
        result = runner.invoke(args=["sessions", "purge"])
    assert result.exit_code == 0, result.output
    assert "known_browsers: 2" in result.output
    db.session.expire_all()
    assert known(account) == []
    assert known(other) == ["recent"]
