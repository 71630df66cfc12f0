"""aiohttp middlewares: Stripe-shaped errors, test-key auth, idempotency keys."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from dataclasses import dataclass

from aiohttp import web
from localstripe.errors import UserError

from ._http import StripeError, random_id, read_params
from .webhooks import API_VERSION

log = logging.getLogger("devtools.stripe_emulator")

IDEMPOTENCY_TTL = 24 * 3600  # Stripe keeps keys for at least 24 hours


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/v1/")


@web.middleware
async def error_middleware(request: web.Request, handler):
    try:
        response = await handler(request)
    except StripeError as exc:
        response = exc.response()
    except UserError as exc:  # localstripe's errors already have Stripe's shape
        response = exc.to_response()
    except web.HTTPException as exc:
        if not _is_api(request) or exc.status < 400:
            raise
        response = StripeError(
            f"Unrecognized request URL ({request.method}: {request.path}). "
            "The Delegate Stripe emulator does not implement this endpoint.",
            status=exc.status,
        ).response()
    except Exception:
        log.exception("emulator bug on %s %s", request.method, request.path)
        response = StripeError(
            "An unexpected error occurred in the emulator.", status=500, type="api_error"
        ).response()
    if _is_api(request):
        response.headers.setdefault("Request-Id", random_id("req_", 14))
        response.headers["Stripe-Version"] = request.headers.get("Stripe-Version", API_VERSION)
    return response


def api_key_of(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme == "Bearer":
        return value.strip()
    if scheme == "Basic":
        try:
            return base64.b64decode(value).decode().split(":")[0]
        except ValueError:
            return None
    return None


@web.middleware
async def auth_middleware(request: web.Request, handler):
    if _is_api(request):
        key = api_key_of(request)
        if not key or not key.startswith(("sk_", "rk_")):
            raise StripeError(
                "You did not provide an API key (expected 'Authorization: Bearer sk_test_...').",
                status=401,
            )
        if not key.startswith(("sk_test_", "rk_test_")):
            # A live key pointed at the emulator is a configuration bug.
            raise StripeError(
                "The Delegate Stripe emulator only accepts test-mode keys (sk_test_...).",
                status=401,
            )
    return await handler(request)


@dataclass
class _Stored:
    fingerprint: str
    created: float
    status: int | None = None  # None while the first request is in flight
    body: bytes = b""
    content_type: str = "application/json"


class IdempotencyStore:
    """Stripe semantics: same key + same request -> the saved response (even an
    error); same key + different parameters -> 400 idempotency_error; a key
    whose first request is still running -> 409 idempotency_error."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], _Stored] = {}

    def _prune(self, now: float) -> None:
        # The stripe library sends a fresh key with every POST: forget old ones.
        if len(self.entries) % 1000 == 999:
            for scope in [s for s, e in self.entries.items() if now - e.created > IDEMPOTENCY_TTL]:
                del self.entries[scope]

    def middleware(self):
        @web.middleware
        async def idempotency_middleware(request: web.Request, handler):
            key = request.headers.get("Idempotency-Key")
            if request.method not in ("POST", "DELETE") or not _is_api(request) or not key:
                return await handler(request)
            if len(key) > 255:
                raise StripeError(
                    "Idempotency-Key must be at most 255 characters long.", param="Idempotency-Key"
                )
            params = await read_params(request)
            params = {k: v for k, v in params.items() if k != "expand"}
            fingerprint = hashlib.sha256(
                json.dumps(
                    [request.method, request.path, params], sort_keys=True, default=str
                ).encode()
            ).hexdigest()
            scope = (api_key_of(request) or "", key)
            now = time.time()
            stored = self.entries.get(scope)
            if stored and now - stored.created > IDEMPOTENCY_TTL:
                stored = None
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    raise StripeError(
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    )
                if stored.status is None:
                    raise StripeError(
                        "There is currently another in-progress request using this "
                        f"Idempotent Key (that probably means you submitted twice, and the "
                        f"other request is still going through): {key}. Please try again later.",
                        status=409,
                        type="idempotency_error",
                    )
                resp = web.Response(
                    body=stored.body, status=stored.status, content_type=stored.content_type
                )
                resp.headers["Idempotent-Replayed"] = "true"
                resp.headers["Idempotency-Key"] = key
                return resp
            entry = _Stored(fingerprint=fingerprint, created=now)
            self._prune(now)
            self.entries[scope] = entry
            try:
                response = await error_middleware(request, handler)
            except BaseException:
                self.entries.pop(scope, None)
                raise
            # Stripe saves every result of a request that started executing, errors
            # included, except auth failures, rate limits and concurrent conflicts.
            if response.status in (401, 409, 429) or not isinstance(response, web.Response):
                self.entries.pop(scope, None)
            else:
                entry.status = response.status
                entry.body = response.body if isinstance(response.body, bytes) else b""
                entry.content_type = response.content_type
            response.headers["Idempotency-Key"] = key
            return response

        return idempotency_middleware
