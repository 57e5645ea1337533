"""`find_live_login` and its `LiveLogin` are a copy of `find_live` and its
`LoginSession` (with the account's state) read with one Core SELECT: for every
session around the idle and absolute timeouts, ended or not, of an account in
every state, both find the same session with the same facts and refresh its idle
clock alike. A new column of `login_sessions` is either kept or listed here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

from accounts import sessions
from accounts.models import AccountState
from accounts.session_timeouts import TOUCH_EVERY
from accounts.sessions import ABSOLUTE_TIMEOUT
from accounts.sessions import IDLE_TIMEOUT
from accounts.sessions import LiveLogin
from accounts.sessions import LoginSession
from kernel.extensions import db
from tests import factories

NOW = factories.NOW
SECOND = dt.timedelta(seconds=1)
# Columns the rule reads but the authorization endpoint does not keep.
NOT_KEPT = {"created_at", "last_seen_at", "upstream_id_token", "ended_at", "ended_reason"}
# What «Mes connexions» shows (issue 17), never read by the authorization endpoint.
NOT_KEPT |= {"user_agent", "network"}

SEEN_AGO = [
    dt.timedelta(0),
    TOUCH_EVERY - SECOND,
    TOUCH_EVERY,
    IDLE_TIMEOUT - SECOND,
    IDLE_TIMEOUT,
    IDLE_TIMEOUT + SECOND,
]
OPENED_AGO = [None, ABSOLUTE_TIMEOUT - SECOND, ABSOLUTE_TIMEOUT, ABSOLUTE_TIMEOUT + SECOND]
ENDED = [False, True]
HOW = [
    (["pwd"], "eidas1", None),
    (["fc"], "eidas1", "upstream.id.token"),
    (["sms", "pwd"], "", None),
]


def test_every_session_column_is_kept_or_said_not_kept():
    kept = [f.name for f in dataclasses.fields(LiveLogin) if f.name != "account_state"]
    columns = {column.name for column in LoginSession.__table__.columns}
    assert set(kept) <= columns
    assert columns - set(kept) == NOT_KEPT


def _sessions_around_the_timeouts() -> list[str]:
    accounts = []
    for state in AccountState:
        account = factories.make_account("Nadia", "Benali")
        factories.set_state(account, state)
        accounts.append(account)
    ids = []
    cases = itertools.product(SEEN_AGO, OPENED_AGO, ENDED)
    for n, (seen_ago, opened_ago, ended) in enumerate(cases):
        amr, acr, upstream = HOW[n % len(HOW)]
        created = NOW - (opened_ago if opened_ago is not None else seen_ago)
        login = LoginSession(
            id=f"session-{n}",
            account_id=accounts[n % len(accounts)].id,
            created_at=created,
            last_seen_at=NOW - seen_ago,
            auth_time=created + dt.timedelta(seconds=n % 7),  # not a copy of created_at
            amr=amr,
            acr=acr,
            upstream_id_token=upstream,
            ended_at=NOW - SECOND if ended else None,
            ended_reason="logout" if ended else None,
        )
        db.session.add(login)
        ids.append(login.id)
    db.session.commit()
    return ids


def _last_seen(session_id: str) -> dt.datetime | None:
    return db.session.scalar(
        db.select(LoginSession.last_seen_at).where(LoginSession.id == session_id)
    )


def _original(session_id: str | None):
    """`find_live`'s answer, and the idle clock it leaves (then forgotten)."""
    login = sessions.find_live(session_id, now=NOW)
    found = None
    if login is not None:
        found = (login.id, login.account_id, login.account.state, login.auth_time)
        found += (login.acr, login.amr)
    seen = _last_seen(session_id) if session_id else None  # flushed first
    db.session.rollback()
    return found, seen


def _copy(session_id: str | None):
    live = sessions.find_live_login(session_id, now=NOW)
    found = dataclasses.astuple(live) if live is not None else None
    seen = _last_seen(session_id) if session_id else None
    db.session.rollback()
    return found, seen


def test_the_copy_finds_the_same_sessions_and_refreshes_them_alike(app_ctx):
    ids = _sessions_around_the_timeouts()
    found = 0
    for session_id in [*ids, "unknown", "", None]:
        original = _original(session_id)
        assert _copy(session_id) == original, session_id
        found += original[0] is not None
    # The cases cover both sides of each rule.
    assert 0 < found < len(ids)
    refreshed = [_original(i)[1] == NOW and _last_seen(i) != NOW for i in ids]
    assert any(refreshed) and not all(refreshed)


def test_a_session_just_opened_is_its_copy(app_ctx):
    account = factories.make_account()
    factories.set_state(account, AccountState.ACTIVATED)
    login = sessions.open_session(account, now=NOW, amr=["pwd"], acr="eidas1")
    db.session.flush()
    assert LiveLogin.of(login, AccountState.ACTIVATED) == sessions.find_live_login(
        login.id, now=NOW
    )
