"""The messages waiting, for /metrics (issue 14): how many are pending per channel
and how long the oldest has waited. Read from the database when Prometheus scrapes,
so every node reports the queue itself, whichever process composed or sends it."""

from __future__ import annotations

from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func

from kernel import metrics
from kernel.clock import utcnow
from kernel.extensions import db
from messaging.models import Channel
from messaging.models import Message
from messaging.models import MessageStatus


def setup_backlog(app: Flask) -> None:
    metrics.add_source(app, backlog_families)


def backlog_families() -> list[GaugeMetricFamily]:
    rows = db.session.execute(
        db.select(Message.channel, func.count(), func.min(Message.created_at))
        .where(Message.status == MessageStatus.PENDING)
        .group_by(Message.channel)
    ).all()
    db.session.rollback()  # a read only: end the scrape's transaction at once
    now = utcnow()
    waiting = GaugeMetricFamily(
        "guichet_messages_waiting",
        "Messages not sent yet (first attempt due, or a retry after a temporary failure).",
        labels=["channel"],
    )
    oldest = GaugeMetricFamily(
        "guichet_messages_oldest_waiting_seconds",
        "Age of the oldest message not sent yet (0 when none waits).",
        labels=["channel"],
    )
    found = {channel.value: (count, first) for channel, count, first in rows}
    for channel in Channel:
        count, first = found.get(channel.value, (0, None))
        waiting.add_metric([channel.value], count)
        oldest.add_metric([channel.value], (now - first).total_seconds() if first else 0.0)
    return [waiting, oldest]
