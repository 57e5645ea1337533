"""The one job runner: work that must not hold a web request is a row in the
database (a message to send, a logout token to deliver), committed with the
business change, and stays there until it is done or given up.

Each area registers a `Deliverer`: which rows are due, and one attempt at one row
(claiming it with a conditional UPDATE and a lease, so two workers never make the
same attempt). `guichet worker` polls the due rows of every area and survives any
outage of what it calls; `guichet worker --once` makes one pass (cron, tests).
Nothing here needs Redis: an outage of Redis delays nothing, an outage of a
provider delays a row until its next attempt, and no row is ever lost.

Right after a commit, a request may start the first attempts itself in the
background (`in_background`) and wait a bounded time for them, so a parent hears
at once that a number cannot receive SMS, yet never waits on a hung provider.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from kernel.clock import utcnow
from kernel.extensions import db

log = logging.getLogger("guichet.jobs")

DELIVERERS_KEY = "guichet.deliverers"
BATCH = 100


@dataclass(frozen=True)
class Deliverer:
    name: str
    # The ids of the rows whose next attempt is due at `now`, at most `limit`.
    due: Callable[[dt.datetime, int], list[int]]
    # One attempt at one row; it claims the row itself and commits its outcome.
    attempt: Callable[[int], object]


def setup_jobs(app: Flask) -> None:
    app.extensions[DELIVERERS_KEY] = []


def register(app: Flask, deliverer: Deliverer) -> None:
    app.extensions[DELIVERERS_KEY].append(deliverer)


def deliverers() -> list[Deliverer]:
    return current_app.extensions[DELIVERERS_KEY]


def run_once(*, now: dt.datetime | None = None) -> dict[str, int]:
    """One pass: every due row of every area gets one attempt. Returns the attempts
    made per area."""
    done = {}
    for deliverer in deliverers():
        count = 0
        seen: set[int] = set()
        while True:
            due = [i for i in deliverer.due(now or utcnow(), BATCH) if i not in seen]
            db.session.remove()
            if not due:
                break
            for row_id in due:
                seen.add(row_id)
                _attempt_safely(deliverer, row_id)
                count += 1
        done[deliverer.name] = count
    return done


def _attempt_safely(deliverer: Deliverer, row_id: int) -> None:
    """An error while attempting one row is logged and leaves the row for a later
    attempt; it never stops the worker."""
    try:
        deliverer.attempt(row_id)
    except Exception:
        log.exception("%s %s: attempt failed unexpectedly", deliverer.name, row_id)
    finally:
        db.session.remove()


def run_worker(*, poll_seconds: float = 1.0, stop: threading.Event | None = None) -> None:
    """`guichet worker`: passes until SIGTERM or SIGINT (the attempt under way ends
    first). A database outage is waited out, never fatal."""
    stop = stop or _stop_on_signals()
    log.info("worker started: %s", ", ".join(d.name for d in deliverers()))
    while not stop.is_set():
        try:
            attempts = run_once()
        except SQLAlchemyError:
            log.exception("worker: the database does not answer; trying again shortly")
            db.session.remove()
            attempts = {}
        if not any(attempts.values()):
            stop.wait(poll_seconds)
    log.info("worker stopped")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    return stop


def in_background(work: Callable[[], object], *, wait: float = 0.0) -> bool:
    """Run `work()` in a thread of its own with this app's context; wait at most
    `wait` seconds for it. True when it finished within that time."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                work()
            except Exception:
                log.exception("background work failed; its rows wait for the worker")
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, daemon=True, name="guichet-background")
    thread.start()
    if wait > 0:
        thread.join(wait)
    return not thread.is_alive()


def each(ids: Iterable[int], attempt: Callable[[int], object]) -> Callable[[], None]:
    """`work` for `in_background`: one attempt per row, in order."""

    def work() -> None:
        for row_id in ids:
            attempt(row_id)
            db.session.remove()

    return work
