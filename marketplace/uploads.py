"""Bodies larger than MAX_CONTENT_LENGTH for the few views that take files, and a page
saying what was too large instead of a bare 413.

MAX_CONTENT_LENGTH stays small for every other form (a 100 kB title is refused unread); a
view marked ``@accepts_files(limit)`` reads up to ``limit(settings)`` bytes instead. The limit
is looked up by the request itself (the rule is matched before anything reads the body), so
it holds for the CSRF check, which reads the form before any view-level hook could run.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from flask import Request as FlaskRequest
from flask import request as current_request
from werkzeug.exceptions import RequestEntityTooLarge

from .config import Settings, settings
from .errors import error_response

_LIMIT = "_delegate_body_limit"
_TOO_LARGE = "_delegate_too_large_message"

Limit = Callable[[Settings], int]


def accepts_files(limit: Limit, too_large: Callable[[Settings], str]) -> Callable:
    """Mark a view as taking up to ``limit(settings)`` bytes; ``too_large(settings)`` is what a
    person reads when they send more."""

    def mark(view: Callable) -> Callable:
        setattr(view, _LIMIT, limit)
        setattr(view, _TOO_LARGE, too_large)
        return view

    return mark


def _view_of(request: FlaskRequest) -> Callable | None:
    if request.url_rule is None:
        return None
    return current_app.view_functions.get(request.url_rule.endpoint)


class Request(FlaskRequest):
    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and current_app:
            limit = getattr(_view_of(self), _LIMIT, None)
            if limit is not None:
                return limit(settings())
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} kB"


def init_app(app: Flask) -> None:
    app.request_class = Request

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):
        explain = getattr(_view_of(current_request), _TOO_LARGE, None)
        if explain is not None:
            message = explain(settings(app))
        else:
            message = (
                f"What you sent is larger than this form accepts (at most "
                f"{_megabytes(current_request.max_content_length or 0)}). Nothing was saved: "
                "go back, shorten it and send it again."
            )
        return error_response(413, "Too large to send", message)
