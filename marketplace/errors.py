"""Domain errors raised by services, and the one place that turns errors into responses.

Every error answers HTML or JSON as the request prefers, after rolling back the request's
session, so a failed request never leaves half a change behind.
"""

from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Invalid(DomainError):
    status_code = 422


class Unavailable(DomainError):
    """Something this server needs is not set up or not answering: try again later."""

    status_code = 503


class RateLimited(DomainError):
    """Too many of something (posts, invitations) in a period; the message says when again.

    ``reason`` says what was limited in a few words (JSON clients get it), ``retry_after``
    how many seconds until one more is allowed (the Retry-After header), when known."""

    status_code = 429

    def __init__(
        self,
        message: str,
        field: str | None = None,
        *,
        reason: str | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(message, field)
        self.reason = reason or message
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(
    status: int,
    title: str,
    message: str,
    field: str | None = None,
    *,
    extra: dict | None = None,
    headers: dict[str, str] | None = None,
):
    """The error as JSON (``extra`` adds keys) or as the site's error page."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    if wants_json():
        body = {"error": title, "message": message, **(extra or {})}
        if field:
            body["field"] = field
        return jsonify(body), status, headers or {}
    page = render_template("error.html", status=status, title=title, message=message)
    return page, status, headers or {}


CSRF_MESSAGE = (
    "This form has expired or did not come from Delegate. Reload the page and try again; "
    "nothing was saved."
)


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        title = {
            403: "Forbidden",
            404: "Not found",
            409: "Conflict",
            429: "Please wait",
            503: "Unavailable",
        }.get(exc.status_code, "Invalid request")
        if isinstance(exc, RateLimited):
            extra = {"reason": exc.reason, "retry_after": exc.retry_after}
            return error_response(
                429, title, exc.message, exc.field, extra=extra, headers=exc.headers
            )
        return error_response(exc.status_code, title, exc.message, exc.field)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return error_response(400, "Form expired", CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return error_response(exc.code or 500, exc.name, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(
            500, "Something went wrong", "We could not complete that. Nothing was saved."
        )
