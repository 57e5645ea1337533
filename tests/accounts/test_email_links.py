"""Email links are single-use, expire, and a newer link replaces older ones."""

import datetime as dt

import pytest

from accounts import email_links
from tests import factories

NOW = dt.datetime(2026, 11, 24, 9, 30)
VALIDITY = dt.timedelta(days=92)


def test_a_link_works_once(app_ctx):
    account = factories.make_account()
    token = email_links.issue(account, "activation", "a@example.org", now=NOW, validity=VALIDITY)
    link = email_links.consume(token, "activation", now=NOW)
    assert link.account_id == account.id and link.email == "a@example.org"
    with pytest.raises(email_links.LinkInvalid):
        email_links.consume(token, "activation", now=NOW)


def test_an_activation_link_expires_three_months_after_sending(app_ctx):
    account = factories.make_account()
    token = email_links.issue(account, "activation", "a@example.org", now=NOW, validity=VALIDITY)
    with pytest.raises(email_links.LinkExpired):
        email_links.consume(token, "activation", now=NOW + VALIDITY + dt.timedelta(seconds=1))


def test_resending_replaces_the_older_link(app_ctx):
    account = factories.make_account()
    first = email_links.issue(account, "activation", "a@example.org", now=NOW, validity=VALIDITY)
    second = email_links.issue(account, "activation", "b@example.org", now=NOW, validity=VALIDITY)
    with pytest.raises(email_links.LinkInvalid):
        email_links.consume(first, "activation", now=NOW)
    assert email_links.consume(second, "activation", now=NOW).email == "b@example.org"


def test_a_link_is_only_good_for_its_purpose(app_ctx):
    account = factories.make_account()
    token = email_links.issue(account, "activation", "a@example.org", now=NOW, validity=VALIDITY)
    with pytest.raises(email_links.LinkInvalid):
        email_links.consume(token, "password_reset", now=NOW)
