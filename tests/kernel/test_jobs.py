"""The one job runner (kernel.jobs): each area's due rows get one attempt per pass, an
error on one row never stops the worker, the worker stops on request, and a request
waits a bounded time for work it started in the background."""

from __future__ import annotations

import threading
import time

from kernel import jobs


def test_a_pass_attempts_every_due_row_of_every_area(app_ctx):
    tried = []
    jobs.register(app_ctx, jobs.Deliverer("a", due=lambda now, n: [1, 2], attempt=tried.append))
    jobs.register(app_ctx, jobs.Deliverer("b", due=lambda now, n: [3], attempt=tried.append))
    done = jobs.run_once()
    assert done["a"] == 2 and done["b"] == 1
    assert tried.count(1) == 1 and tried.count(3) == 1


def test_an_error_on_one_row_never_stops_the_others(app_ctx, caplog):
    tried = []

    def attempt(row):
        tried.append(row)
        if row == 1:
            raise RuntimeError("boom")

    jobs.register(app_ctx, jobs.Deliverer("a", due=lambda now, n: [1, 2], attempt=attempt))
    jobs.run_once()
    assert tried == [1, 2]
    assert "attempt failed unexpectedly" in caplog.text


def test_the_worker_runs_until_asked_to_stop(app_ctx):
    stop = threading.Event()
    passes = []
    jobs.register(
        app_ctx,
        jobs.Deliverer("a", due=lambda now, n: passes.append(now) or [], attempt=print),
    )
    worker = threading.Thread(target=_worker, args=(app_ctx, stop))
    worker.start()
    # Two passes at least (0.05 s apart), however slowly a loaded machine runs them.
    deadline = time.monotonic() + 10
    while len(passes) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    worker.join(2)
    assert not worker.is_alive() and len(passes) >= 2


def _worker(app, stop):
    with app.app_context():
        jobs.run_worker(poll_seconds=0.05, stop=stop)


def test_a_request_waits_for_background_work_no_longer_than_asked(app_ctx):
    release = threading.Event()
    start = time.monotonic()
    finished = jobs.in_background(lambda: release.wait(5), wait=0.2)
    assert not finished and time.monotonic() - start < 1
    release.set()
    assert jobs.in_background(lambda: None, wait=1)
