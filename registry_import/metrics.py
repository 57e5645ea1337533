"""The last registry import, for /metrics (issue 14): when it succeeded, how long it
took and what it counted. `guichet registry import` writes them in its audit row
(`registry.imported`, committed with the import); every node reads the latest one
when Prometheus scrapes, so the figures survive restarts and do not depend on where
the nightly command ran."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from prometheus_client.core import GaugeMetricFamily

from accounts.models import AuditEvent
from kernel import metrics
from kernel.extensions import db

ACTION = "registry.imported"
COUNTS = ("created", "updated", "unchanged", "ineligible", "withdrawn", "accounts_created")


def setup_import_metrics(app: Flask) -> None:
    metrics.add_source(app, last_import_families)


def last_import_families() -> list[GaugeMetricFamily]:
    last = db.session.execute(
        db.select(AuditEvent.at, AuditEvent.details)
        .where(AuditEvent.action == ACTION)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    ).first()
    db.session.rollback()  # a read only: end the scrape's transaction at once
    at, details = (last.at, last.details or {}) if last is not None else (None, {})
    success = GaugeMetricFamily(
        "guichet_registry_import_last_success_timestamp_seconds",
        "When the last registry import committed (Unix time; 0: never).",
    )
    # Naive UTC in the database (kernel.clock).
    success.add_metric([], at.replace(tzinfo=dt.UTC).timestamp() if at is not None else 0.0)
    duration = GaugeMetricFamily(
        "guichet_registry_import_duration_seconds",
        "How long the last registry import took, validation included.",
    )
    duration.add_metric([], float(details.get("duration_seconds") or 0.0))
    rows = GaugeMetricFamily(
        "guichet_registry_import_rows",
        "What the last registry import counted: pupils and guardian records created, "
        "updated, unchanged, ineligible, withdrawn, and the accounts it created.",
        labels=["kind"],
    )
    for kind in COUNTS:
        rows.add_metric([kind], float(details.get(kind) or 0))
    return [success, duration, rows]
