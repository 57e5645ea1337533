"""Signing out for real (SPEC §7): the session ends, its tokens are revoked, and
every service it reached receives a signed logout token (OpenID Connect
Back-Channel Logout 1.0).

Deliveries are rows (`LogoutDelivery`) written in the sign-out transaction; the
first attempt starts in the background right after the commit (the parent never
waits), and a failure sets the next attempt, which `guichet worker` makes
(kernel.jobs), after each of BACKCHANNEL_LOGOUT_RETRY_INTERVALS.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

import requests
from blinker import Namespace
from flask import current_app
from flask import g
from joserfc import jwt

from accounts import audit
from accounts import sessions
from accounts.models import accounts_at_school
from idp import claims
from idp import tokens
from idp import web_session
from idp.oauth_models import LogoutDelivery
from idp.oauth_models import OidcClient
from idp.oauth_models import SessionService
from kernel import jobs
from kernel import request_ids
from kernel.clock import utcnow
from kernel.extensions import db
from kernel.wording import plural
from keys import services as keys

log = logging.getLogger("guichet.logout")

EVENT = "http://schemas.openid.net/event/backchannel-logout"
PENDING_KEY = "guichet_logout_deliveries"

signed_out = Namespace().signal("guichet.signed-out")
"""Sent once a browser's sign-out has committed, with `login` (the session it ended)
and `then` (where the browser goes next). A receiver may answer with a redirect that
takes the browser on to an upstream provider's own sign-out: federation chains
FranceConnect's this way (SPEC §6.4) without the provider knowing of it."""


def after_sign_out(login: sessions.LoginSession | None, *, then: str | None = None):
    """The first redirect a `signed_out` receiver answers with, else None."""
    app = current_app._get_current_object()
    for _receiver, response in signed_out.send(app, login=login, then=then):
        if response is not None:
            return response
    return None


def sign_out_browser(*, now: dt.datetime) -> sessions.LoginSession | None:
    """The parent signs out of this browser (caller commits, then `dispatch_pending`)."""
    login = web_session.sign_out(now=now, reason="logout")
    if login is not None:
        ids = end_sessions([login], now=now, reason="logout", keep_offline=True)
        g.setdefault(PENDING_KEY, []).extend(ids)
    return login


def dispatch_pending() -> None:
    """After the sign-out commit: send what `sign_out_browser` prepared."""
    dispatch(g.pop(PENDING_KEY, []))


def end_sessions(
    logins: list[sessions.LoginSession], *, now: dt.datetime, reason: str, keep_offline: bool
) -> list[int]:
    """End the sessions, revoke their tokens, prepare one logout token per service
    reached; returns the delivery ids to dispatch after commit."""
    for login in logins:
        sessions.end_session(login, now=now, reason=reason)
    ids = [login.id for login in logins]
    tokens.revoke_for_sessions(ids, now=now, keep_offline=keep_offline)
    deliveries = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = db.session.execute(
            db.select(SessionService, sessions.LoginSession.account_id)
            .join(
                sessions.LoginSession, sessions.LoginSession.id == SessionService.login_session_id
            )
            .join(OidcClient, OidcClient.id == SessionService.client_id)
            .where(
                SessionService.login_session_id.in_(chunk),
                OidcClient.backchannel_logout_uri.is_not(None),
            )
        ).all()
        for service, account_id in rows:
            delivery = LogoutDelivery(
                client_id=service.client_id,
                account_id=account_id,
                login_session_id=service.login_session_id,
                created_at=now,
                next_attempt_at=now,
                request_id=request_ids.current(),
            )
            db.session.add(delivery)
            deliveries.append(delivery)
    db.session.flush()
    return [d.id for d in deliveries]


def revoke_sessions(
    *, now: dt.datetime, school_uai: str | None = None, everyone: bool = False
) -> tuple[int, int, list[int]]:
    """The operators' safety switch (SPEC §7, 000): end every live session and revoke
    every token, of one school's parents or of everyone. Returns (sessions, tokens,
    delivery ids); the caller commits then dispatches."""
    query = db.select(sessions.LoginSession).where(sessions.LoginSession.ended_at.is_(None))
    accounts_query = school_id = None
    if not everyone:
        found = accounts_at_school(school_uai)
        if found is None:
            raise LookupError(school_uai)
        school_id, accounts_query = found
        query = query.where(sessions.LoginSession.account_id.in_(accounts_query))
    logins = list(db.session.scalars(query))
    delivery_ids = end_sessions(logins, now=now, reason="revoked", keep_offline=False)
    if everyone:
        count = db.session.execute(
            db.update(tokens.Token).where(tokens.Token.revoked_at.is_(None)).values(revoked_at=now)
        ).rowcount
    else:
        count = tokens.revoke_for_accounts(db.session.scalars(accounts_query).all(), now=now)
    audit.record(
        "sessions.revoked",
        actor=audit.OPERATOR,
        now=now,
        school_id=school_id,
        summary=plural(len(logins), "session")
        + ", "
        + plural(count, "jeton révoqué", "jetons révoqués"),
        details={"school": school_uai, "all": everyone},
    )
    return len(logins), count, delivery_ids


# -- delivery -----------------------------------------------------------------------
def logout_token(delivery: LogoutDelivery, *, now: dt.datetime) -> str:
    """Back-Channel Logout 1.0 §2.4: iss, aud, iat, exp, jti, events, sub and sid;
    typ logout+jwt; no nonce."""
    client = delivery.client
    salt = current_app.extensions["guichet.pairwise_salt"]
    kid, alg, key = keys.signing_key(box=current_app.extensions["guichet.keybox"])
    issued = int(now.replace(tzinfo=dt.UTC).timestamp())
    payload = {
        "iss": current_app.extensions["guichet.settings"].oidc.issuer,
        "aud": client.client_id,
        "iat": issued,
        "exp": issued + 120,
        "jti": secrets.token_urlsafe(16),
        "sub": claims.pairwise_sub(delivery.account_id, client.sector, salt=salt),
        "sid": claims.session_sid(delivery.login_session_id, salt=salt),
        "events": {EVENT: {}},
    }
    return jwt.encode({"alg": alg, "kid": kid, "typ": "logout+jwt"}, payload, key, algorithms=[alg])


def attempt(delivery_id: int, *, now: dt.datetime | None = None) -> bool | None:
    """One delivery attempt; True when the service acknowledged (2xx), None when
    there is nothing left to do or another process has just claimed it. The claim
    counts the attempt and leases the row past the timeout before the call."""
    delivery = db.session.get(LogoutDelivery, delivery_id)
    if delivery is None or delivery.delivered_at or delivery.gave_up_at:
        return None
    # The attempt's log lines carry the id of the request that signed out.
    with request_ids.bound(delivery.request_id):
        return _claim_and_deliver(delivery, now=now or utcnow())


def _claim_and_deliver(delivery: LogoutDelivery, *, now: dt.datetime) -> bool | None:
    """Claim the attempt (committed before the call), then post the logout token."""
    config = current_app.extensions["guichet.settings"].oidc
    delivery_id = delivery.id
    lease = dt.timedelta(seconds=max(60, 3 * config.backchannel_timeout_seconds))
    claimed = db.session.execute(
        db.update(LogoutDelivery)
        .where(
            LogoutDelivery.id == delivery_id,
            LogoutDelivery.attempts == delivery.attempts,
            LogoutDelivery.delivered_at.is_(None),
            LogoutDelivery.gave_up_at.is_(None),
            LogoutDelivery.next_attempt_at <= now,
        )
        .values(attempts=delivery.attempts + 1, last_attempt_at=now, next_attempt_at=now + lease)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    db.session.refresh(delivery)
    try:
        response = requests.post(
            delivery.client.backchannel_logout_uri,
            data={"logout_token": logout_token(delivery, now=now)},
            timeout=config.backchannel_timeout_seconds,
            allow_redirects=False,
        )
        ok = 200 <= response.status_code < 300
        error = None if ok else f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        ok, error = False, type(exc).__name__
    if ok:
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = None
    else:
        delivery.last_error = error
        intervals = config.backchannel_retry_intervals_seconds
        if delivery.attempts > len(intervals):
            delivery.gave_up_at = now
            delivery.next_attempt_at = None
            log.warning("back-channel logout to %s abandoned: %s", delivery.client.client_id, error)
        else:
            delivery.next_attempt_at = now + dt.timedelta(seconds=intervals[delivery.attempts - 1])
            log.info(
                "back-channel logout to %s failed (%s), retry later",
                delivery.client.client_id,
                error,
            )
    db.session.commit()
    return ok


def dispatch(delivery_ids: list[int]) -> None:
    """After the sign-out's commit: first attempts in the background (the parent never
    waits); a failure sets the next attempt, which `guichet worker` makes."""
    if delivery_ids:
        jobs.in_background(jobs.each(list(delivery_ids), attempt))


def due_deliveries(now: dt.datetime, limit: int) -> list[int]:
    """The deliveries `guichet worker` attempts: due, neither delivered nor given up."""
    return list(
        db.session.scalars(
            db.select(LogoutDelivery.id)
            .where(
                LogoutDelivery.delivered_at.is_(None),
                LogoutDelivery.gave_up_at.is_(None),
                LogoutDelivery.next_attempt_at <= now,
            )
            .order_by(LogoutDelivery.next_attempt_at, LogoutDelivery.id)
            .limit(limit)
        )
    )
