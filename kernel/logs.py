"""Logs (issue 14): plain lines for a person at a terminal, or with `LOG_FORMAT=json`
one JSON object per line for a log pipeline, each carrying the request id.

In JSON, every request also gets one `http.request` line (endpoint, method,
status, duration, client address after TRUSTED_PROXY_HOPS). Nothing a person
typed is logged there (no path, no query string: a code or a token may sit in
one), and the fields an event adds are checked by name: one called like a
password, a secret, a token, a code or a cookie is dropped, so a careless `extra`
cannot leak one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time

from flask import Flask
from flask import Response
from flask import g
from flask import request

from kernel import request_ids
from kernel.web import for_machines_too

ACCESS_EVENT = "http.request"
access_log = logging.getLogger("guichet.access")

# Field names never written, whatever an `extra` says.
SECRET_NAME = re.compile(r"password|passwd|secret|token|authorization|cookie|^code$|otp", re.I)


def _with_request_id(make_record):
    """Each record is made with the request id of the request (or job attempt) it
    belongs to, whichever handler writes it (the record factory, not a filter)."""

    def make(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.request_id = request_ids.current()
        return record

    make.adds_request_id = True
    return make


class JsonFormatter(logging.Formatter):
    """One object per line: time (UTC, ISO 8601), level, logger, event, message,
    request_id, and the event's own fields (`extra={"event": ..., "fields": {...}}`)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "event": getattr(record, "event", None) or "log",
            "message": message,
            "request_id": getattr(record, "request_id", None),
        }
        for name, value in (getattr(record, "fields", None) or {}).items():
            if not SECRET_NAME.search(name) and name not in entry:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The plain line, with the request id when there is one."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [request_id={request_id}]" if request_id else line


def setup_logging(log_format: str) -> None:
    """Configure the root logger once per process (an embedding program that set up
    its own handlers keeps them; its records carry the request id all the same)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        logging.captureWarnings(True)  # a library's warning is a line of the same format
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "adds_request_id", False):
        logging.setLogRecordFactory(_with_request_id(factory))


def setup_access_log(app: Flask) -> None:
    """One `http.request` line per request (registered with LOG_FORMAT=json only: a
    person at a terminal has the server's own access lines)."""
    app.before_request(_start)
    app.after_request(_log_request)


@for_machines_too
def _start() -> None:
    g._access_start = time.perf_counter()


@for_machines_too
def _log_request(response: Response) -> Response:
    start = g.get("_access_start")
    rule = request.url_rule
    fields = {
        "endpoint": rule.endpoint if rule is not None else None,
        "method": request.method,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - start) * 1000, 2) if start else None,
        "client": request.remote_addr,
    }
    access_log.info(
        "%s %s %s", request.method, fields["endpoint"], response.status_code,
        extra={"event": ACCESS_EVENT, "fields": fields},
    )  # fmt: skip
    return response
