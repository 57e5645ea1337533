"""A one-time rule holds under concurrent requests (issue 13): of two merges of one
account, two uses of one reset link, exactly one succeeds and the other gets a clear
French refusal. Concurrent transactions are PostgreSQL's business (SQLite serialises
writers): run with DATABASE_URL, as CI's second run does."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from accounts import audit
from accounts import email_links
from accounts import merging
from accounts.models import Account
from accounts.models import AccountState
from enrollment import recovery
from kernel import runtime
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from registry.models import Guardian
from tests import factories


@pytest.fixture
def pg_app(make_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent transactions are tested on PostgreSQL: set DATABASE_URL")
    return make_app()


def together(app, *works):
    """Run each work in its own app context (own connection), all released at once;
    returns what each returned or raised."""
    start = threading.Barrier(len(works))
    results: list = [None] * len(works)

    def run(n, work):
        with app.app_context():
            start.wait()
            try:
                results[n] = work()
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - the outcome is the assertion
                db.session.rollback()
                results[n] = exc

    threads = [threading.Thread(target=run, args=(n, w)) for n, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_merges_of_one_account_started_together_merge_it_once(pg_app):
    with pg_app.app_context():
        school = factories.make_school()
        first = factories.make_family(school)[0].account
        second = factories.make_family(school)[0].account
        third = factories.make_family(school)[0].account
        for account in (first, second):
            factories.activate(account, password="Secret123")
        db.session.commit()
        ids = first.id, second.id, third.id
    # Both have read the accounts before either merges: on a loaded machine one thread
    # could otherwise start after the other's commit and be refused before any lock
    # (CannotMerge, the account already deleted), not by the race this test is about.
    both_read = threading.Barrier(2)

    def merge_into(keep_id):
        def work():
            keep, other = db.session.get(Account, keep_id), db.session.get(Account, ids[2])
            both_read.wait(timeout=30)
            return merging.merge_accounts(keep, other, now=utcnow(), actor=audit.OPERATOR)

        return work

    results = together(pg_app, merge_into(ids[0]), merge_into(ids[1]))
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], merging.AlreadyMerged)
    assert "vient d'être regroupé" in str(refused[0].message)
    with pg_app.app_context():
        holders = set(db.session.scalars(db.select(Guardian.account_id)))
        assert ids[2] not in holders
        assert db.session.get(Account, ids[2]).state == AccountState.DELETED
        merged = db.session.scalars(
            db.select(Account.merged_into_id).where(Account.id == ids[2])
        ).one()
        assert merged in ids[:2]


def test_a_reset_link_used_twice_at_once_sets_one_password(pg_app):
    with pg_app.app_context():
        account = factories.make_family(factories.make_school())[0].account
        factories.activate(account, password="Secret123")
        token = email_links.issue(
            account,
            email_links.PASSWORD_RESET,
            "p@example.org",
            now=utcnow(),
            validity=dt.timedelta(minutes=30),
        )
        db.session.commit()
        account_id = account.id

    def reset(password):
        return lambda: recovery.reset_with_link(
            token, password, now=utcnow(), passwords=runtime.passwords()
        )

    results = together(pg_app, reset("Premier2026"), reset("Second2026"))
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], DomainError)
    with pg_app.app_context():
        account = db.session.get(Account, account_id)
        right = [p for p in ("Premier2026", "Second2026")
                 if runtime.passwords().verify_hash(account.password_hash, p)]  # fmt: skip
        assert len(right) == 1
