"""Fixtures of the parent journeys: they run end to end over HTTP, from the real
sign-in page (`idp.login`) onwards."""

from __future__ import annotations

import re

import pytest

from kernel.extensions import db
from messaging.models import Message


@pytest.fixture
def app(make_app):
    """CSRF is checked by tests/enrollment/test_csrf.py; elsewhere forms post plainly."""
    return make_app(WTF_CSRF_ENABLED=False, RECOVERY_MIN_SECONDS=0)


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
