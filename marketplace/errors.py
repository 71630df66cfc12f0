"""Domain errors raised by services, and the one place that turns errors into responses.

Every error answers HTML or JSON as the request prefers, after rolling back the request's
session, so a failed request never leaves half a change behind. Under /api/ the JSON is an
RFC 9457 problem (``application/problem+json``, see ``problem``).
"""

from __future__ import annotations

from typing import Any

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


class Unauthorized(DomainError):
    """No credentials, or ones that do not (or no longer) work: an API request's token."""

    status_code = 401


class Conflict(DomainError):
    status_code = 409


class Invalid(DomainError):
    status_code = 422


class FieldErrors(Invalid):
    """Several fields at fault at once, each with its reason: ``errors`` is a list of
    ``{"field", "detail"}`` (an API problem's ``errors``)."""

    def __init__(self, errors: list[dict]):
        first = errors[0]
        super().__init__(f"{first['field']}: {first['detail']}", first["field"])
        self.errors = errors


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


API_PREFIX = "/api/"


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def wants_json() -> bool:
    if is_api_request() or request.is_json:
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
    if is_api_request():
        return problem(status, title, message, field, extra=extra, headers=headers)
    if wants_json():
        body = {"error": title, "message": message, **(extra or {})}
        if field:
            body["field"] = field
        return jsonify(body), status, headers or {}
    page = render_template("error.html", status=status, title=title, message=message)
    return page, status, headers or {}


# RFC 9457 problem types: a stable name per kind of failure, relative to the API's root.
PROBLEM_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    415: "unsupported-media-type",
    422: "invalid-input",
    429: "rate-limited",
    503: "unavailable",
}


def problem(
    status: int,
    title: str,
    detail: str,
    field: str | None = None,
    *,
    extra: dict | None = None,
    headers: dict[str, str] | None = None,
):
    """An API error: ``type``, ``title``, ``status``, ``detail``; for a bad field, ``field``
    and ``errors`` (each field with why); ``extra`` adds members (a limit's ``retry_after``)."""
    body: dict = {
        "type": f"/api/v1/problems/{PROBLEM_TYPES.get(status, 'server-error')}",
        "title": title,
        "status": status,
        "detail": detail,
        **(extra or {}),
    }
    if field:
        body.setdefault("field", field)
        body.setdefault("errors", [{"field": field, "detail": detail}])
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers.extend(headers or {})
    return response


def _field_errors(exc: HTTPException) -> list[dict] | None:
    """What webargs found wrong in a request (its 422 carries ``messages`` by location)."""
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if not isinstance(messages, dict):
        return None
    found = []
    for location, fields in messages.items():
        for name, why in _flatten(fields):
            found.append({"field": name, "location": location, "detail": why})
    return found or None


def _flatten(fields, stem: str = ""):
    if not isinstance(fields, dict):
        yield stem or "body", " ".join(str(m) for m in fields)
        return
    for name, inner in fields.items():
        path = f"{stem}.{name}" if stem else str(name)
        if isinstance(inner, dict):
            yield from _flatten(inner, path)
        else:
            yield path, " ".join(str(m) for m in inner)


CSRF_MESSAGE = (
    "This form has expired or did not come from Delegate. Reload the page and try again; "
    "nothing was saved."
)


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        title = {
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not found",
            409: "Conflict",
            429: "Please wait",
            503: "Unavailable",
        }.get(exc.status_code, "Invalid request")
        if isinstance(exc, RateLimited):
            limit: dict[str, Any] = {"reason": exc.reason, "retry_after": exc.retry_after}
            return error_response(
                429, title, exc.message, exc.field, extra=limit, headers=exc.headers
            )
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        extra = {"errors": exc.errors} if isinstance(exc, FieldErrors) else None
        return error_response(
            exc.status_code, title, exc.message, exc.field, extra=extra, headers=headers
        )

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return error_response(400, "Form expired", CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        found = _field_errors(exc) if is_api_request() else None
        if found:
            first = found[0]
            detail = f"{first['field']}: {first['detail']}"
            extra = {"field": first["field"], "errors": found}
            return error_response(exc.code or 422, "Invalid input", detail, extra=extra)
        allowed = getattr(exc, "valid_methods", None)  # a 405 says what would be allowed
        headers = {"Allow": ", ".join(allowed)} if allowed else None
        return error_response(
            exc.code or 500, exc.name, exc.description or exc.name, headers=headers
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(
            500, "Something went wrong", "We could not complete that. Nothing was saved."
        )
