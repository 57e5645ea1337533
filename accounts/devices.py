"""Browsers an account has signed in from, and the optional security email when a
sign-in comes from one never seen on it (issue 17, «Mes connexions»).

A browser is known by a long-lived random cookie (`DEVICE_COOKIE`); the table keeps
only its SHA-256 digest per account, so a database leak names no cookie. One
browser shared by a family is known to each account separately. The first browser
an account is seen on sets the baseline and alerts no one (otherwise every parent
who turns the email on would be warned of their own computer).

The records are bounded: an account keeps its `MAX_DEVICES_PER_ACCOUNT` most recently
seen browsers, and a browser unseen for longer than its cookie lives
(`DEVICE_COOKIE_LIFETIME`) is forgotten, at the account's next sign-in and by the
daily `guichet sessions purge` (`forget_expired`). The baseline is decided before
pruning, so forgetting old browsers never silences the email for the next new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from accounts import audit
from accounts import user_agents
from accounts.models import Account
from accounts.sessions import USER_AGENT_MAX_LENGTH
from kernel.clock import paris
from kernel.extensions import db
from kernel.web import external_url
from kernel.web import product_context
from messaging.compose import compose_email
from messaging.models import Message

DEVICE_COOKIE = "guichet_device"
DEVICE_COOKIE_LIFETIME = dt.timedelta(days=400)  # the longest a browser keeps a cookie
# A family's phones, computers and tablets, with room for new ones over the years;
# an older browser coming back past this many is simply new again (one email).
MAX_DEVICES_PER_ACCOUNT = 20
_TOKEN_LENGTH = 32


class KnownDevice(db.Model):
    __tablename__ = "known_devices"
    __table_args__ = (UniqueConstraint("account_id", "token_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX_LENGTH))


@dataclass(frozen=True)
class Recognition:
    """What a sign-in learnt of its browser: the cookie value to (re)set, whether this
    account had never seen it, and the security email composed, if any."""

    token: str
    new: bool
    alert: Message | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _valid(token: str | None) -> bool:
    return bool(token) and 20 <= len(token) <= 100 and token.isascii()


def note_sign_in(
    account: Account, token: str | None, *, user_agent: str | None, now: dt.datetime
) -> Recognition:
    """Called by every sign-in, inside its transaction: remember this browser for the
    account and, when it is new there and the parent asked for it, compose the email."""
    fresh = not _valid(token)
    if fresh:  # a cookie made now is on no account yet: nothing to look up
        token = secrets.token_urlsafe(_TOKEN_LENGTH)
    digest = _digest(token)
    known = (
        None
        if fresh
        else db.session.scalar(
            db.select(KnownDevice).where(
                KnownDevice.account_id == account.id, KnownDevice.token_digest == digest
            )
        )
    )
    if known is not None:
        known.last_seen_at = now
        return Recognition(token, new=False)
    baseline = not db.session.scalar(
        db.select(db.exists().where(KnownDevice.account_id == account.id))
    )
    db.session.add(
        KnownDevice(
            account_id=account.id,
            token_digest=digest,
            first_seen_at=now,
            last_seen_at=now,
            user_agent=(user_agent or "")[:USER_AGENT_MAX_LENGTH] or None,
        )
    )
    _prune(account, now=now)
    alert = None
    if not baseline and account.new_device_alerts:
        alert = _compose_alert(account, user_agent, now=now)
    return Recognition(token, new=not baseline, alert=alert)


def _prune(account: Account, *, now: dt.datetime) -> None:
    """The account's browsers past their cookie's life, and those beyond the
    `MAX_DEVICES_PER_ACCOUNT` most recently seen, are forgotten."""
    db.session.flush()
    kept = (
        db.select(KnownDevice.id)
        .where(KnownDevice.account_id == account.id)
        .where(KnownDevice.last_seen_at >= now - DEVICE_COOKIE_LIFETIME)
        .order_by(KnownDevice.last_seen_at.desc(), KnownDevice.id.desc())
        .limit(MAX_DEVICES_PER_ACCOUNT)
    )
    db.session.execute(
        db.delete(KnownDevice)
        .where(KnownDevice.account_id == account.id)
        .where(KnownDevice.id.not_in(kept.scalar_subquery()))
        .execution_options(synchronize_session="fetch")
    )


def forget_expired(*, now: dt.datetime) -> int:
    """Housekeeping (daily, `guichet sessions purge`): every browser unseen for longer
    than its cookie lives, whatever the account; the number forgotten."""
    return db.session.execute(
        db.delete(KnownDevice)
        .where(KnownDevice.last_seen_at < now - DEVICE_COOKIE_LIFETIME)
        .execution_options(synchronize_session="fetch")
    ).rowcount


def _compose_alert(account: Account, user_agent: str | None, *, now: dt.datetime):
    address = account.contact_email()
    if not address:
        return None
    return compose_email(
        address,
        "new_device",
        {
            "identifier": account.identifier,
            "device": user_agents.describe(user_agent),
            "when": paris(now).strftime("%d/%m/%Y à %H:%M"),
            "link": external_url("account.connections_page"),
            **product_context(),
        },
        now=now,
        immediate=False,
        account_id=account.id,
    )


def set_alerts(account: Account, enabled: bool, *, now: dt.datetime) -> bool:
    """The parent turns the new-browser email on or off; True when it changed (audited)."""
    if account.new_device_alerts == enabled:
        return False
    account.new_device_alerts = enabled
    audit.record(
        "account.device_alerts_on" if enabled else "account.device_alerts_off",
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
    )  # no summary: the action's label says it all, in the reader's language
    return True


def devices_of(account: Account) -> list[KnownDevice]:
    return list(
        db.session.scalars(
            db.select(KnownDevice)
            .where(KnownDevice.account_id == account.id)
            .order_by(KnownDevice.first_seen_at, KnownDevice.id)
        )
    )
