"""Server-side sign-in sessions of parents (issue: single sign-on).

The browser's signed cookie carries only the session id; the row says who is
signed in, when and how (`auth_time`, `amr`, `acr` for the ID token), and ends
for real on sign-out, on a password change or when an operator revokes it.
Idle and absolute timeouts are checked on every use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from sqlalchemy import JSON
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from accounts import session_timeouts
from accounts.models import Account
from accounts.models import AccountState
from accounts.session_timeouts import TOUCH_EVERY
from kernel.extensions import db

IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
# «Mes données» asks for a password (or a passkey) typed within this window (issue 17).
REAUTHENTICATION_WINDOW = dt.timedelta(minutes=5)
USER_AGENT_MAX_LENGTH = 400


class LoginSession(db.Model):
    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    auth_time: Mapped[dt.datetime] = mapped_column(DateTime)
    # RFC 8176 method references: ["pwd"], ["fc"], ["sms", "pwd"]…
    amr: Mapped[list] = mapped_column(JSON, default=list)
    acr: Mapped[str] = mapped_column(String(60), default="")
    # Kept to chain sign-out to FranceConnect (id_token_hint).
    upstream_id_token: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(40))
    # What «Mes connexions» shows (issue 17): the browser's own words, cut to fit, and
    # the network it came from with the host part dropped (no third-party lookup).
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX_LENGTH))
    network: Mapped[str | None] = mapped_column(String(64))

    account: Mapped[Account] = relationship()

    def is_live(self, now: dt.datetime) -> bool:
        return _is_live(self.ended_at, self.last_seen_at, self.created_at, now)


def _is_live(ended_at, last_seen_at, created_at, now: dt.datetime) -> bool:
    """The shared session rule with the parents' timeouts (ORM rows and Core rows alike)."""
    return session_timeouts.is_live(
        ended_at, last_seen_at, created_at, now, idle=IDLE_TIMEOUT, absolute=ABSOLUTE_TIMEOUT
    )


@dataclasses.dataclass(frozen=True)
class LiveLogin:
    """A live session as the authorization endpoint needs it, read with one Core SELECT
    together with its account's state: `/authorize` reads one on every single sign-on
    flow (docs/benchmarks.md). tests/accounts/test_live_login.py keeps it equal to
    `find_live`'s."""

    id: str
    account_id: int
    account_state: AccountState
    auth_time: dt.datetime
    acr: str
    amr: list

    @classmethod
    def of(cls, login: LoginSession, account_state: AccountState) -> LiveLogin:
        """The session just opened, as the authorization endpoint needs it."""
        return cls(login.id, login.account_id, account_state, login.auth_time, login.acr, login.amr)


_table, _accounts = LoginSession.__table__, Account.__table__
_FIND_LIVE = (  # built once: /authorize runs it on every flow
    db.select(
        _table.c.id,
        _table.c.account_id,
        _accounts.c.state,
        _table.c.auth_time,
        _table.c.acr,
        _table.c.amr,
        _table.c.ended_at,
        _table.c.last_seen_at,
        _table.c.created_at,
    )
    .join(_accounts, _accounts.c.id == _table.c.account_id)
    .where(_table.c.id == db.bindparam("b_id"))
)
_TOUCH = (
    _table.update()
    .where(_table.c.id == db.bindparam("b_id"))
    .values(last_seen_at=db.bindparam("b_now"))
)


def find_live_login(session_id: str | None, *, now: dt.datetime) -> LiveLogin | None:
    """As `find_live`, without ORM objects (same timeouts, same idle-clock refresh)."""
    if not session_id:
        return None
    connection = db.session.connection()
    row = connection.execute(_FIND_LIVE, {"b_id": session_id}).first()
    if row is None or not _is_live(row.ended_at, row.last_seen_at, row.created_at, now):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        connection.execute(_TOUCH, {"b_id": session_id, "b_now": now})
    return LiveLogin(*row[:6])


def open_session(
    account: Account,
    *,
    now: dt.datetime,
    amr: list[str],
    acr: str = "",
    upstream_id_token: str | None = None,
    user_agent: str | None = None,
    network: str | None = None,
) -> LoginSession:
    login = LoginSession(
        id=secrets.token_urlsafe(32),
        account_id=account.id,
        created_at=now,
        last_seen_at=now,
        auth_time=now,
        amr=amr,
        acr=acr,
        upstream_id_token=upstream_id_token,
        user_agent=(user_agent or "")[:USER_AGENT_MAX_LENGTH] or None,
        network=network,
    )
    db.session.add(login)
    account.last_login_at = now
    return login


def find_live(session_id: str | None, *, now: dt.datetime) -> LoginSession | None:
    """The live session with that id, its idle clock refreshed; None when gone or expired."""
    if not session_id:
        return None
    login = db.session.get(LoginSession, session_id, options=[joinedload(LoginSession.account)])
    if login is None or not login.is_live(now):
        return None
    if now - login.last_seen_at >= TOUCH_EVERY:
        login.last_seen_at = now
    return login


def end_session(login: LoginSession, *, now: dt.datetime, reason: str) -> None:
    if login.ended_at is None:
        login.ended_at = now
        login.ended_reason = reason


def end_sessions_of(account: Account, *, now: dt.datetime, reason: str, keep: str | None = None):
    """End every live session of an account (password change, merge…), but `keep`."""
    query = db.select(LoginSession).where(
        LoginSession.account_id == account.id, LoginSession.ended_at.is_(None)
    )
    ended = []
    for login in db.session.scalars(query):
        if login.id != keep:
            end_session(login, now=now, reason=reason)
            ended.append(login)
    return ended


def record_authentication(login: LoginSession, *, now: dt.datetime) -> None:
    """The parent proved again who they are on this session (their password, or a
    passkey): `auth_time` moves, which is what OIDC Core §2 means by it and what the
    re-authentication rule of «Mes données» reads (`recently_authenticated`)."""
    login.auth_time = now


def recently_authenticated(login: LoginSession, *, now: dt.datetime) -> bool:
    """Issue 17: a password or a passkey within the last five minutes (a fresh sign-in
    counts, it sets `auth_time` too)."""
    return dt.timedelta(0) <= now - login.auth_time <= REAUTHENTICATION_WINDOW


def live_sessions_of(account: Account, *, now: dt.datetime) -> list[LoginSession]:
    """The account's open sessions, most recently used first («Mes connexions»)."""
    query = (
        db.select(LoginSession)
        .where(LoginSession.account_id == account.id, LoginSession.ended_at.is_(None))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.created_at.desc())
    )
    return [login for login in db.session.scalars(query) if login.is_live(now)]
