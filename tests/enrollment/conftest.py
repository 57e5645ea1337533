"""Fixtures of the parent journeys.

The sign-in page `idp.login` belongs to another area; these tests register a
test-only stand-in that follows the endpoint contract (authenticate, then sign in
or begin the pending journey), so every journey runs end to end over HTTP.
"""

from __future__ import annotations

import re

import pytest
from flask import Blueprint
from flask import redirect
from flask import request
from flask import url_for

from accounts.authentication import Next
from accounts.authentication import authenticate
from accounts.errors import DomainError
from idp import runtime
from idp import web_session
from idp.clock import paris_today
from idp.clock import utcnow
from idp.extensions import csrf
from idp.extensions import db
from messaging.models import Message

PENDING_STEP = {
    Next.ACTIVATE: ("activation", "enrollment.activate"),
    Next.CHANGE_PASSWORD: ("change_password", "enrollment.choose_password"),
    Next.CONFIRM_EMAIL: ("awaiting_email", "enrollment.awaiting_email"),
}


def _stand_in_login_blueprint() -> Blueprint:
    bp = Blueprint("idp", __name__)

    @bp.route("/connexion", methods=["GET", "POST"])
    @csrf.exempt
    def login():
        if request.method == "GET":
            return "connexion"
        now = utcnow()
        settings = runtime.settings()
        target = request.args.get("next")
        try:
            result = authenticate(
                request.form["identifier"],
                request.form["password"],
                now=now,
                passwords=runtime.passwords(),
                rules=settings.accounts,
                today=paris_today(now),
            )
        except DomainError as error:
            db.session.commit()
            return str(error.message), 401
        if result.next == Next.SIGNED_IN:
            web_session.sign_in(result.account, now=now, amr=["pwd"])
            db.session.commit()
            return redirect(web_session.safe_next(target, url_for("account.home")))
        purpose, endpoint = PENDING_STEP[result.next]
        web_session.begin_pending(purpose, result.account, now=now, next=target)
        db.session.commit()
        return redirect(url_for(endpoint))

    @bp.route("/deconnexion")
    def logout():
        return "deconnexion"

    return bp


@pytest.fixture
def make_app(make_app):
    def _make(**overrides):
        app = make_app(**overrides)
        app.register_blueprint(_stand_in_login_blueprint())
        return app

    return _make


@pytest.fixture
def app(make_app):
    """CSRF is checked by tests/enrollment/test_csrf.py; elsewhere forms post plainly.
    Rate limits count in memory here even when REDIS_URL is set: the shared Redis
    is emptied by every other xdist worker's test setup, which would reset a count
    half-way through a limit test."""
    return make_app(
        WTF_CSRF_ENABLED=False, RATELIMIT_STORAGE_URI="memory://", RECOVERY_MIN_SECONDS=0
    )


def last_message(to: str | None = None) -> Message:
    query = db.select(Message).order_by(Message.id.desc())
    if to is not None:
        query = query.where(Message.recipient == to)
    message = db.session.scalars(query).first()
    assert message is not None, f"no message to {to}"
    return message


def link_in(message: Message) -> str:
    """The path of the first link of a message (tests follow it on the test client)."""
    url = re.search(r"https?://[^\s\"<>]+", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def code_in(message: Message) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def text(response) -> str:
    return response.get_data(as_text=True)
