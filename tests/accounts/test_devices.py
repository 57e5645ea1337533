"""A sign-in from a browser never seen on the account sends the optional security
email (issue 17): the first browser sets the baseline, a known one is quiet, the
email goes only when the parent turned it on, and the cookie is stored hashed."""

import datetime as dt

from accounts import devices
from accounts.models import AuditEvent
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
