"""Calls to other services with a total deadline, not only a socket timeout.

A socket timeout bounds each read: an upstream that drips one byte just inside it
holds a web thread for as long as it likes. Inside `deadline(seconds)`, the sockets
that sessions from `session()` read from are shut down when the time is up, so the
call fails (a `requests.RequestException`) within `seconds` whatever the upstream
does, headers and body included.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
from collections.abc import Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.connectionpool import HTTPSConnectionPool


class DeadlineExceeded(requests.Timeout):
    """The call did not end within its total deadline."""


class _Deadline:
    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self.expired = False
        self.lock = threading.Lock()

    def watch(self, sock: socket.socket | None) -> None:
        with self.lock:
            if sock is None:
                return
            if self.expired:
                _shut(sock)
            else:
                self.sockets.append(sock)

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            for sock in self.sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


_current: contextvars.ContextVar[_Deadline | None] = contextvars.ContextVar(
    "guichet_outbound_deadline", default=None
)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every call made inside through a `session()` ends within `seconds`."""
    current = _Deadline()
    token = _current.set(current)
    timer = threading.Timer(seconds, current.expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except requests.RequestException as exc:
        if current.expired:
            raise DeadlineExceeded(f"no complete answer within {seconds} s") from exc
        raise
    finally:
        timer.cancel()
        _current.reset(token)
    if current.expired:
        raise DeadlineExceeded(f"no complete answer within {seconds} s")


class _Watched:
    """A connection that puts its socket under the current deadline before it waits."""

    def getresponse(self, *args, **kwargs):
        current = _current.get()
        if current is not None:
            current.watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


def mount(session: requests.Session) -> requests.Session:
    """Let `deadline()` cut this session's calls short (Authlib's sessions included)."""
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def session() -> requests.Session:
    return mount(requests.Session())
