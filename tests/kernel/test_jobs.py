"""The one job runner (kernel.jobs): jobs run only in the app context `guichet
worker` provides, never building an application themselves; without Redis there
is no queue and nothing is enqueued; the worker runs the areas' start-up sweeps
before the first job."""

from __future__ import annotations

import pytest

from kernel import jobs


@jobs.job
def _echo(value):
    return value


def test_a_job_outside_an_app_context_refuses_to_run():
    with pytest.raises(RuntimeError, match="guichet worker"):
        _echo("x")


def test_a_job_in_an_app_context_runs(app_ctx):
    assert _echo("x") == "x"


def test_without_redis_there_is_no_queue_and_nothing_is_enqueued(make_app):
    app = make_app(REDIS_URL="")
    with app.app_context():
        assert jobs.queue() is None
        assert jobs.enqueue(_echo, "x") is False


def test_the_retry_plan_gives_one_attempt_after_each_delay():
    plan = jobs.retry_plan([15, 60, 240])
    assert plan.max == 3 and list(plan.intervals) == [15, 60, 240]
    assert jobs.retry_plan([]) is None


def test_the_worker_runs_the_start_up_sweeps_first(make_app, redis_url):
    if not redis_url:
        pytest.skip("the job worker needs a real Redis: set REDIS_URL")
    app = make_app()
    calls = []
    jobs.on_worker_start(app, lambda: calls.append("sweep"))
    with app.app_context():
        jobs.run_worker(burst=True)
    assert calls == ["sweep"]
