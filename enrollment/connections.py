"""«Mes connexions» (issue 17): the parent's open sessions with the services each
signed into, and ending one of them, all the others, or all.

Ending a session is the provider's own sign-out (idp.logout.end_sessions): the
server session ends, its tokens are revoked — refresh tokens granted
`offline_access` too, since the parent asked for that browser to lose access —,
and each service it reached gets a back-channel logout token after the commit.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from accounts import audit
from accounts import sessions
from accounts import user_agents
from accounts.models import Account
from enrollment import session_words
from idp import logout
from idp.oauth_models import OidcClient
from idp.oauth_models import SessionService
from kernel.errors import DomainError
from kernel.extensions import db


class Which(enum.StrEnum):
    ONE = "one"
    OTHERS = "others"
    ALL = "all"


class SessionNotFound(DomainError):
    code = "session_not_found"
    message = _l("Cette connexion est déjà terminée.")


@dataclass(frozen=True)
class Connection:
    """One open session as the page shows it."""

    id: str
    device: str
    network: str | None
    started_at: dt.datetime
    last_seen_at: dt.datetime
    current: bool
    services: list[str]
    methods: str  # how it was opened, in words (enrollment.session_words)


@dataclass(frozen=True)
class Ended:
    """What ending did: how many sessions, whether this browser's was one of them, and
    the back-channel deliveries to dispatch once committed."""

    count: int
    current: bool
    delivery_ids: list[int]


def services_by_session(session_ids: list[str]) -> dict[str, list[str]]:
    """The names of the services each session signed into, in the order reached."""
    found: dict[str, list[str]] = {session_id: [] for session_id in session_ids}
    if not session_ids:
        return found
    rows = db.session.execute(
        db.select(SessionService.login_session_id, OidcClient.name)
        .join(OidcClient, OidcClient.id == SessionService.client_id)
        .where(SessionService.login_session_id.in_(session_ids))
        .order_by(SessionService.first_at, OidcClient.name)
    )
    for session_id, name in rows:
        found[session_id].append(name)
    return found


def connections(account: Account, *, current_id: str | None, now: dt.datetime):
    """The open sessions of the account, this browser's first."""
    logins = sessions.live_sessions_of(account, now=now)
    services = services_by_session([login.id for login in logins])
    shown = [
        Connection(
            id=login.id,
            device=user_agents.describe(login.user_agent),
            network=login.network,
            started_at=login.created_at,
            last_seen_at=login.last_seen_at,
            current=login.id == current_id,
            services=services[login.id],
            methods=session_words.method_words(login.amr),
        )
        for login in logins
    ]
    return sorted(shown, key=lambda connection: not connection.current)


def end(
    account: Account,
    which: Which,
    *,
    current_id: str | None,
    session_id: str | None = None,
    now: dt.datetime,
) -> Ended:
    """End sessions of this account only (an id of another account's session is
    refused as if it were already over). Audited; the caller commits, then
    dispatches `delivery_ids`."""
    live = sessions.live_sessions_of(account, now=now)
    if which == Which.ONE:
        chosen = [login for login in live if login.id == session_id]
        if not chosen:
            raise SessionNotFound()
    elif which == Which.OTHERS:
        chosen = [login for login in live if login.id != current_id]
    else:
        chosen = live
    delivery_ids = logout.end_sessions(
        chosen, now=now, reason="ended_by_parent", keep_offline=False
    )
    audit.record(
        "sessions.ended_by_parent",
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
        summary=f"{len(chosen)} connexion(s) terminée(s) depuis « Mes connexions »",
        details={"which": which.value, "count": len(chosen)},
    )
    return Ended(
        count=len(chosen),
        current=any(login.id == current_id for login in chosen),
        delivery_ids=delivery_ids,
    )
