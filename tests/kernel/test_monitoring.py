"""The Grafana dashboard and the Prometheus alert rules of docs/ (issue 14) load, and
every guichet_* series they query is on /metrics from the start, so that neither
shows «no data» nor stays silent because of a misspelt name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from tests.kernel.test_metrics import scrape

DOCS = Path(__file__).resolve().parents[2] / "docs"
SERIES = re.compile(r"\bguichet_[a-z0-9_]+\b")


def dashboard_queries() -> list[str]:
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    assert dashboard["panels"] and dashboard["uid"]
    queries = []
    for panel in dashboard["panels"]:
        assert panel["title"] and panel["targets"], panel
        queries += [target["expr"] for target in panel["targets"]]
    return queries


def alert_rules() -> list[dict]:
    rules = yaml.safe_load((DOCS / "prometheus-alerts.yml").read_text())
    found = [rule for group in rules["groups"] for rule in group["rules"]]
    for rule in found:
        assert {"alert", "expr", "for", "labels", "annotations"} <= set(rule), rule
        assert rule["labels"]["severity"] in ("page", "ticket")
        assert rule["annotations"]["summary"]
    return found


def test_the_dashboard_and_the_alerts_load_and_cover_the_issue():
    queries = " ".join(dashboard_queries())
    for needed in (
        "guichet_sign_ins_total",
        'grant="authorization_code"',
        "histogram_quantile(0.5",
        "histogram_quantile(0.99",
        'status=~"5.."',
        "guichet_messages_waiting",
    ):
        assert needed in queries
    names = {rule["alert"] for rule in alert_rules()}
    assert {
        "GuichetHighErrorRate",
        "GuichetSlowSingleSignOn",
        "GuichetMessagesWaiting",
        "GuichetNodeNotReady",
    } <= names


def test_every_series_they_query_is_exposed(client):
    exposed = {name for name, _labels in scrape(client)}
    queried = set()
    for text in [*dashboard_queries(), *(rule["expr"] for rule in alert_rules())]:
        queried |= set(SERIES.findall(text))
    assert queried
    assert not queried - exposed, f"not on /metrics: {sorted(queried - exposed)}"
