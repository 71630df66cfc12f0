"""Logs on stderr, each line carrying its request id: JSON objects for a log collector, or
readable text for a person at a terminal.

LOG_FORMAT chooses (``json`` or ``text``); unset, a terminal gets text and anything else (a
process manager, a container's log driver, a file) gets JSON, so production logs are JSON
without anyone remembering to ask and ``make demo`` is readable.

The request id comes from ``X-Request-ID`` when it looks like one (a proxy or a client
tracing a call), else it is made here; the response returns it, and every job the request
queues carries it (``current_request_id`` is read when the job is queued), so the lines of a
job run on another host name the request that caused it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

from flask import Flask, request
from flask.logging import default_handler

from ..config import settings

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_request_id: ContextVar[str | None] = ContextVar("delegate_request_id", default=None)
_job: ContextVar[str | None] = ContextVar("delegate_job", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(value: str | None) -> str | None:
    """A caller's id, if it is short printable text: never one that could forge a log line."""
    if value and _SANE.fullmatch(value):
        return value
    return None


@contextmanager
def job_context(job: str, request_id: str | None) -> Iterator[None]:
    """A job's lines name it and the request that queued it (if a request did)."""
    job_token = _job.set(job)
    id_token = _request_id.set(request_id or _request_id.get())
    try:
        yield
    finally:
        _request_id.reset(id_token)
        _job.reset(job_token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id.get(),
        }
        job = _job.get()
        if job:
            line["job"] = job
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """``2026-03-02 09:15:04.120Z INFO marketplace.payments [request-id] message``: one line
    (a traceback follows on its own lines)."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC)
        context = _request_id.get() or "-"
        job = _job.get()
        if job:
            context += f" job={job}"
        line = (
            f"{when:%Y-%m-%d %H:%M:%S}.{when.microsecond // 1000:03d}Z {record.levelname} "
            f"{record.name} [{context}] {record.getMessage()}"
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


def chosen_format(setting: str | None, stream: TextIO) -> str:
    """``json`` or ``text``: LOG_FORMAT's, else text only for a terminal."""
    if setting:
        return setting
    isatty = getattr(stream, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time: pytest swaps it for each test, and a
    handler holding the first test's stream would write into a closed file ever after."""

    delegate_json = False  # set on the one handler configure_logging installs

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _our_handler() -> logging.Handler | None:
    return next((h for h in logging.root.handlers if getattr(h, "delegate_json", False)), None)


def configure_logging(app: Flask) -> None:
    """One handler on the root logger, once per process, so module loggers, Flask's
    app.logger, RQ's and gunicorn-adjacent libraries all write the same lines. Loggers
    that brought a handler of their own (Flask's default one) lose it: each line once."""
    config = settings(app)
    handler = _our_handler()
    if handler is None:
        handler = StderrHandler()
        handler.delegate_json = True
        logging.root.addHandler(handler)
    text = chosen_format(config.log_format, sys.stderr) == "text"
    handler.setFormatter(TextFormatter() if text else JsonFormatter())
    logging.root.setLevel(config.log_level)
    for name in (app.logger.name, "flask-limiter"):
        logging.getLogger(name).removeHandler(default_handler)


def init_app(app: Flask) -> None:
    configure_logging(app)

    # Registered before every other hook (create_app wires this first): their lines have it.
    @app.before_request
    def _take_request_id() -> None:
        _request_id.set(sane_request_id(request.headers.get(HEADER)) or new_request_id())

    @app.after_request
    def _return_request_id(response):
        request_id = _request_id.get()
        if request_id:
            response.headers[HEADER] = request_id
        return response

    @app.teardown_request
    def _forget_request_id(_exc) -> None:
        _request_id.set(None)
