"""Request ids (issue 14): one id follows a parent's request through every log line
it causes, the jobs it enqueues included.

The id comes from the load balancer's `X-Request-ID` when it is a plausible one
(else a new one is drawn) and goes back in the response's header. It lives in a
context variable, not in `flask.g`, so that domain code composing a message or a
logout token reads `current()` without knowing of HTTP, and so that `guichet
worker` sets the id of the row it is attempting (`bound`) for the log lines of
that attempt.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Iterator
from contextvars import ContextVar

from flask import Flask
from flask import Response
from flask import request

from kernel.web import for_machines_too

HEADER = "X-Request-ID"
# Letters, digits and a few separators, as load balancers and tracing systems make
# them; anything else (or a huge value) is replaced rather than logged.
ACCEPTED = re.compile(r"[A-Za-z0-9_.:\-]{8,64}")
MAX_LENGTH = 64

_current: ContextVar[str | None] = ContextVar("guichet_request_id", default=None)


def current() -> str | None:
    """The id of the request (or job attempt) under way, None outside of both."""
    return _current.get()


def new_id() -> str:
    return secrets.token_hex(16)


@contextlib.contextmanager
def bound(request_id: str | None) -> Iterator[None]:
    """Log lines inside carry `request_id` (a job's attempt carries its request's)."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)


def setup_request_ids(app: Flask) -> None:
    app.before_request(_take_id)
    app.after_request(_return_id)
    app.teardown_request(_forget_id)


@for_machines_too
def _take_id() -> None:
    received = request.headers.get(HEADER, "")
    _current.set(received if ACCEPTED.fullmatch(received) else new_id())


@for_machines_too
def _return_id(response: Response) -> Response:
    request_id = _current.get()
    if request_id is not None:
        response.headers[HEADER] = request_id
    return response


@for_machines_too
def _forget_id(_error: BaseException | None) -> None:
    """A worker thread serves the next request with the same context: start afresh."""
    _current.set(None)
