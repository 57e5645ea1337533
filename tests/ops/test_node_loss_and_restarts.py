"""Issue 14: a node lost (SIGKILL of its master and every worker) fails at most the
requests it had in flight; HAProxy's check of /readyz takes it out, and puts it back
once it serves again. A rolling restart, each node gracefully reloaded (SIGHUP) in
turn, fails no flow; neither does each node stopped (SIGTERM) and started again in
turn, the way new code is deployed. A continuous load of complete flows runs through
HAProxy meanwhile (one thread per parent, one request in flight each)."""

from __future__ import annotations

import time

import pytest

from tests.ops.cluster import WORKERS_PER_NODE
from tests.ops.flows import FlowLoad
from tests.ops.flows import RelyingParty

pytestmark = pytest.mark.xdist_group("ops")

THREADS = 3


def load_of_flows(ops, parents, service) -> FlowLoad:
    def relying_party():
        return RelyingParty(ops.url, service.client_id, service.secret)

    return FlowLoad(relying_party, ops.url, parents(THREADS))


def requests_served(ops, name: str) -> int:
    return int(ops.haproxy.servers()[name]["stot"])


def test_a_lost_node_fails_at_most_its_requests_in_flight_and_comes_back(ops, parents, service):
    with load_of_flows(ops, parents, service) as load:
        load.wait_for(THREADS * 2)
        ops.nodes["a"].kill()
        killed = time.monotonic()  # every process of the node is gone
        out_after = ops.haproxy.wait_status("a", "DOWN", timeout=15)
        # Flows go on through the other node (the failures are judged by their send
        # time below: a request in flight at the kill may be reported after this).
        load.wait_for(THREADS * 3)

        ops.restart_node("a")
        back_after = ops.haproxy.wait_status("a", "UP", timeout=20)
        served_before = requests_served(ops, "a")
        load.wait_for(THREADS * 3)
        assert requests_served(ops, "a") > served_before  # it takes its share again
    failures = [(round(sent - killed, 2), what[:160]) for sent, what in load.failures]
    print(
        f"\nnode killed: out of HAProxy after {out_after:.1f} s, back {back_after:.1f} s after "
        f"its restart; {load.ok} flows; failed (sent, s after the kill): {failures}"
    )
    # Only requests in flight when the node died failed. The kill is timed once every
    # process has ended, yet a request sent in the next instant may still fail: a 502
    # or the connection closed without response (seen at +0.01 s, likely the client's
    # kept-alive connection to HAProxy closed as it was reused): a quarter of a
    # second of grace, and nothing sent later may fail (docs/next.md).
    assert all(sent < 0.25 for sent, _ in failures), failures
    # One request in flight per thread, but a failure the flow meets without a new timed
    # send (its ID-token check) keeps the thread's last send time: once seen as 4 with 3
    # threads, hence the loose bound; the property above is the issue's.
    assert len(failures) <= 2 * THREADS, failures


def test_a_rolling_reload_of_every_node_fails_no_flow(ops, parents, service):
    with load_of_flows(ops, parents, service) as load:
        load.wait_for(THREADS)
        for name, node in ops.nodes.items():
            before = node.workers()
            after = node.reload(workers=WORKERS_PER_NODE)
            assert not before & after
            load.wait_for(THREADS)
            assert ops.haproxy.servers()[name]["status"].startswith("UP")
    print(f"\nrolling reload: {load.ok} flows, {len(load.failures)} failed")
    assert load.failures == []


def test_a_node_stopped_and_started_again_fails_no_flow(ops, parents, service):
    """SIGTERM drains (/readyz 503 for WEB_DRAIN_SECONDS, HAProxy takes the node out)
    before the node stops accepting: the deployment of new code, one node at a time."""
    with load_of_flows(ops, parents, service) as load:
        load.wait_for(THREADS)
        assert ops.nodes["a"].stop(timeout=30) == 0
        assert ops.haproxy.servers()["a"]["status"].startswith("DOWN")
        load.wait_for(THREADS)  # served by the other node meanwhile
        ops.restart_node("a")
        ops.haproxy.wait_status("a", "UP", timeout=20)
        load.wait_for(THREADS)
    print(f"\nnode stopped and started: {load.ok} flows, {len(load.failures)} failed")
    assert load.failures == []
