"""Where a log-in lands when it was asked for by another page (``?next=``).

A logged-out click on a button (Approve, Pay, Close) is a POST that Flask-Login turns into
``/login?next=/contracts/5/approve``. After logging in, the browser can only GET that URL,
which is "Method Not Allowed"; and the action must not run on its own anyway. So a ``next``
that cannot be fetched lands on the nearest page above it that can: the contract, the task,
the list, or home.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect


def landing_page(target: str | None) -> str | None:
    """A same-site path to GET after log-in, or None for the user's home."""
    path = _local_path(target)
    if path is None:
        return None
    if _answers_get(path):
        return target
    segments = path.rstrip("/").split("/")[1:]
    while segments:
        segments.pop()
        parent = "/" + "/".join(segments)
        if parent != "/" and _answers_get(parent):
            return parent
    return None


def _local_path(target: str | None) -> str | None:
    """Only same-site paths, so a crafted link cannot bounce a user to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return parts.path


def _answers_get(path: str) -> bool:
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except RequestRedirect:
        return True  # a trailing-slash redirect still ends on a page
    except HTTPException:  # NotFound, MethodNotAllowed
        return False
    return True
