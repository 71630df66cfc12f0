"""Request parsing and Stripe-shaped error responses shared by all routes."""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from aiohttp import web

from . import _compat

_ALPHABET = string.ascii_letters + string.digits
# RequestKey (aiohttp >= 3.12) avoids NotAppKeyWarning; older aiohttp takes str keys.
_PARAMS = (
    web.RequestKey("stripe_emulator_params", dict)
    if hasattr(web, "RequestKey")
    else "stripe_emulator_params"
)


def random_id(prefix: str, n: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(n))


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda x: json.dumps(x, indent=2) + "\n")


class StripeError(Exception):
    """An API error rendered as ``{"error": {...}}`` like Stripe does.

    The status picks the stripe library's exception class: 400/404 ->
    InvalidRequestError (or IdempotencyError when type is idempotency_error),
    401 -> AuthenticationError, 402 -> CardError, 429 -> RateLimitError.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        **extra: Any,
    ):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"type": type, "message": message}
        if param is not None:
            self.body["param"] = param
        if code is not None:
            self.body["code"] = code
        self.body.update(extra)

    def response(self) -> web.Response:
        return json_response({"error": self.body}, status=self.status)


def no_such(kind: str, id: str, param: str = "id") -> StripeError:
    return StripeError(f"No such {kind}: '{id}'", status=404, param=param, code="resource_missing")


def unknown_params(params: dict[str, Any], allowed: set[str], prefix: str = "") -> None:
    for key in params:
        if key not in allowed:
            name = f"{prefix}[{key}]" if prefix else key
            raise StripeError(f"Received unknown parameter: {name}", param=name)


def require(params: dict[str, Any], key: str, label: str | None = None) -> Any:
    value = params.get(key)
    if value in (None, ""):
        raise StripeError(
            f"Missing required param: {label or key}.", param=label or key, code="parameter_missing"
        )
    return value


def to_int(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(f"Invalid integer: {value}", param=param) from None


def to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _unflatten(multidict) -> dict[str, Any]:
    return _compat.import_server().unflatten_data(multidict) or {}


async def read_params(request: web.Request) -> dict[str, Any]:
    """Parse a form-encoded (stripe library v1) or JSON body; fall back to the query.

    Cached on the request because the idempotency middleware reads it first.
    """
    if _PARAMS in request:
        return request[_PARAMS]
    params: dict[str, Any] = {}
    if request.method in ("POST", "DELETE") and request.can_read_body:
        if request.content_type == "application/json":
            try:
                params = await request.json()
            except json.JSONDecodeError:
                raise StripeError("Invalid JSON body.") from None
            if not isinstance(params, dict):
                raise StripeError("Invalid JSON body.")
        else:
            params = _unflatten(await request.post())
    params = {**_unflatten(request.query), **params}
    request[_PARAMS] = params
    return params


async def admin_json(request: web.Request) -> Any:
    """The JSON body of an emulator admin call, {} when there is none."""
    if not request.can_read_body:
        return {}
    try:
        return await request.json()
    except json.JSONDecodeError:
        raise StripeError("Body must be JSON") from None


def pop_expand(params: dict[str, Any]) -> list[str]:
    expand = params.pop("expand", None) or []
    if isinstance(expand, str):
        expand = [expand]
    if isinstance(expand, dict):  # expand[0]=a with non-contiguous indexes
        expand = list(expand.values())
    return list(expand)
