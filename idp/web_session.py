"""The HTTP edge of parent sign-in: the browser's signed cookie carries the
server-side session id (accounts.sessions) and, between steps of a journey, which
account the journey is about.

Signing in clears the cookie first (no session fixation). Pages that need a
signed-in parent use `login_required`; the sign-in page is the endpoint
`idp.login` (it takes `next`).
"""

from __future__ import annotations

import datetime as dt
import functools
from urllib.parse import urlsplit

from flask import after_this_request
from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for

from accounts import devices
from accounts import sessions
from accounts import user_agents
from accounts.languages import remember_language
from accounts.models import Account
from kernel import languages
from kernel import runtime
from kernel.clock import utcnow
from kernel.extensions import db

SESSION_KEY = "login_session"
PENDING_KEY = "pending"
PENDING_LIFETIME = dt.timedelta(minutes=30)


def sign_in(
    account: Account,
    *,
    now: dt.datetime,
    amr: list[str],
    acr: str = "",
    upstream_id_token: str | None = None,
) -> sessions.LoginSession:
    """Open a server-side session and bind this browser to it (caller commits)."""
    journey_language = languages.journey_choice()
    session.clear()
    # The CSRF token cached for this request belonged to the cleared session: a form
    # rendered after the sign-in (the consent page) must carry the new session's one.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    login = sessions.open_session(
        account,
        now=now,
        amr=amr,
        acr=acr,
        upstream_id_token=upstream_id_token,
        user_agent=request.headers.get("User-Agent"),
        network=user_agents.approximate_network(request.remote_addr),
    )
    _remember_browser(account, now=now)
    session[SESSION_KEY] = login.id
    session.permanent = False
    g.login = login
    languages.continue_journey(journey_language)
    _adopt_language(account)
    return login


def _remember_browser(account: Account, *, now: dt.datetime) -> None:
    """Issue 17: the browser's long-lived cookie tells a new browser from a known one
    (accounts.devices); it is (re)set on the response of the sign-in."""
    recognition = devices.note_sign_in(
        account,
        request.cookies.get(devices.DEVICE_COOKIE),
        user_agent=request.headers.get("User-Agent"),
        now=now,
    )

    @after_this_request
    def _set_device_cookie(response):
        response.set_cookie(
            devices.DEVICE_COOKIE,
            recognition.token,
            max_age=int(devices.DEVICE_COOKIE_LIFETIME.total_seconds()),
            httponly=True,
            secure=runtime.settings().secure_cookies,
            samesite="Lax",
        )
        return response


def _adopt_language(account: Account) -> None:
    """The person's choice in this browser goes on the account (its emails and SMS);
    without one, the account's language becomes this browser's; an account without a
    language takes the one its pages were read in (`ui_locales`, the browser's)."""
    chosen = languages.person_choice()
    if chosen is not None:
        remember_language(account, chosen)
    elif languages.supported(account.locale):
        languages.remember(account.locale)
    else:
        remember_language(account, languages.current())


@languages.language_chosen.connect
def _keep_on_account(_sender, code: str, **_extra) -> None:
    """The header's switch, used while signed in, changes the account's language."""
    account = current_account()
    if account is not None:
        remember_language(account, code)


def current_login() -> sessions.LoginSession | None:
    """The live session of this browser, or None (cached for the request)."""
    if "login" not in g:
        g.login = sessions.find_live(session.get(SESSION_KEY), now=utcnow())
    return g.login


def current_live_login() -> sessions.LiveLogin | None:
    """The live session of this browser without ORM objects (the authorization
    endpoint, on every single sign-on flow)."""
    return sessions.find_live_login(session.get(SESSION_KEY), now=utcnow())


def current_account() -> Account | None:
    login = current_login()
    return login.account if login is not None else None


def sign_out(*, now: dt.datetime, reason: str = "logout") -> sessions.LoginSession | None:
    """End the server-side session and forget it in the browser (caller commits)."""
    login = db.session.get(sessions.LoginSession, session.get(SESSION_KEY) or "")
    if login is not None:
        sessions.end_session(login, now=now, reason=reason)
    session.clear()
    g.pop("login", None)
    return login


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_login() is None:
            return redirect(url_for("idp.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def begin_pending(purpose: str, account: Account, *, now: dt.datetime, **data) -> None:
    """Remember, between steps, which account a journey is about (activation after a
    temporary password, a forced password change…), for at most 30 minutes."""
    session[PENDING_KEY] = {
        "purpose": purpose,
        "account_id": account.id,
        "expires": (now + PENDING_LIFETIME).isoformat(),
        **data,
    }


def pending(purpose: str, *, now: dt.datetime) -> tuple[Account, dict] | None:
    data = session.get(PENDING_KEY)
    if not data or data.get("purpose") != purpose:
        return None
    if now > dt.datetime.fromisoformat(data["expires"]):
        session.pop(PENDING_KEY, None)
        return None
    account = db.session.get(Account, data["account_id"])
    return (account, data) if account is not None else None


def end_pending() -> None:
    session.pop(PENDING_KEY, None)


def safe_next(target: str | None, default: str) -> str:
    """Only local paths are followed after sign-in (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
