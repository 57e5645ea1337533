"""How long a bulk email send keeps a web request busy, and how fast the worker sends it.

    .venv/bin/python bench/messaging_bulk.py [N]

Composes N emails (default 500, one template with an HTML part) in one
transaction and commits (the request's part: the rows only), against a local SMTP
server (aiosmtpd, plain, no login); then one pass of the worker (kernel.jobs) sends
them, timed. SQLite in a temporary folder unless DATABASE_URL is set.
Results: docs/messaging.md, "Measured".
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from jinja2 import ChoiceLoader
from jinja2 import FileSystemLoader

from guichet import create_app
from guichet.migrations import upgrade
from kernel.clock import utcnow
from kernel.extensions import db
from kernel.jobs import run_once
from messaging.compose import compose_email
from messaging.compose import new_batch_id
from messaging.delivery import batch_progress


class Sink:
    received = 0

    async def handle_DATA(self, server, session, envelope):
        Sink.received += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_app(folder: Path, port: int):
    templates = folder / "templates" / "messages"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "bench.subject.txt").write_text("Votre compte {{ product }} est prêt")
    (templates / "bench.txt").write_text("Bonjour {{ name }},\nActivez-le : {{ url }}\n")
    (templates / "bench.html").write_text(
        '{% extends "messages/_layout.html" %}{% import "messages/_macros.html" as layout %}'
        "{% block title %}Votre compte{% endblock %}"
        '{% block content %}<p>Bonjour {{ name }},</p>{{ layout.button("Activer", url) }}'
        "{% endblock %}"
    )
    app = create_app(
        {
            "INSTANCE_PATH": str(folder / "instance"),
            "DATABASE_URL": os.environ.get("DATABASE_URL")
            or f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "bench",
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
            "SMTP_STARTTLS": "false",
            "REDIS_URL": "",
        }
    )
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(folder / "templates")), app.jinja_loader])
    return app


def compose_and_commit(app, count: int) -> tuple[str, float]:
    with app.test_request_context():
        batch = new_batch_id()
        started = time.perf_counter()
        for n in range(count):
            compose_email(
                f"parent{n}@example.fr",
                "bench",
                {"name": f"Parent {n}", "url": f"https://guichet.example/a/{n}", "product": "G"},
                now=utcnow(),
                batch_id=batch,
            )
        db.session.commit()
        return batch, time.perf_counter() - started


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            app = make_app(folder, port)
            with app.app_context():
                upgrade()
            batch, seconds = compose_and_commit(app, count)
            print(f"request: busy {seconds:.2f} s for {count} emails (rows committed)")
            with app.app_context():
                started = time.perf_counter()
                run_once()
                seconds = time.perf_counter() - started
                progress = batch_progress(batch)
            print(f"worker:  {Sink.received} sent in {seconds:.2f} s "
                  f"({count / seconds:.0f} emails/s, one worker); batch {progress}")  # fmt: skip
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
