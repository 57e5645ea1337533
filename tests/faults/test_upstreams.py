"""Upstreams that answer too slowly (issue 13): a FranceConnect that drips one byte
at a time, or never answers, holds a web thread no longer than FRANCECONNECT_TIMEOUT
in total; the parent gets the French «FranceConnect ne répond pas» page."""

from __future__ import annotations

import time

import pytest

from kernel import outbound
from tests.faults.servers import SilentServer


@pytest.fixture(params=["drip", "silent"])
def slow_upstream(request):
    server = SilentServer(drip=0.2 if request.param == "drip" else None)
    yield server
    server.close()


def test_a_slow_franceconnect_ends_on_the_try_again_page_in_time(make_app, slow_upstream):
    app = make_app(FRANCECONNECT_ISSUER=slow_upstream.url, FRANCECONNECT_TIMEOUT="1")
    start = time.monotonic()
    response = app.test_client().get("/franceconnect/connexion")
    elapsed = time.monotonic() - start
    assert elapsed < 3, f"the FranceConnect button held the request {elapsed:.1f} s"
    assert response.status_code == 502
    assert "FranceConnect ne répond pas" in response.get_data(as_text=True)


def test_the_deadline_covers_the_whole_call_not_each_read():
    server = SilentServer(drip=0.1)
    try:
        start = time.monotonic()
        with (
            pytest.raises(outbound.DeadlineExceeded),
            outbound.session() as session,
            outbound.deadline(0.5),
        ):
            session.get(server.url, timeout=1)  # each read gets a byte in time
        assert time.monotonic() - start < 1.5
    finally:
        server.close()
