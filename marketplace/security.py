"""Security headers on every response.

A small ``after_request`` hook rather than flask-talisman: the headers here are fixed strings
built once from the settings, plus one per-view relaxation. Talisman would also force HTTPS
and rewrite SESSION_COOKIE_SECURE/SAMESITE in ``app.config`` on every request (TLS ends at
the proxy here, and those are settings), and it keeps a single ``app`` on the extension
object, which breaks with the several apps the tests build.

- ``frame-ancestors 'none'`` + ``X-Frame-Options: DENY``: no page can be framed, so the
  one-click "Approve and release payment" form cannot be click-jacked.
- No ``'unsafe-inline'``: pages carry no inline script or style; all of it is in /static.
- ``form-action``: our own forms, plus Stripe, because Pay and "Set up payouts" answer with a
  303 to Stripe Checkout / Connect onboarding and browsers check form-action on redirects.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask.wrappers import Response

from .config import settings

# Where Pay and "Set up payouts" send the browser when STRIPE_API_BASE is Stripe's own.
STRIPE_REDIRECT_ORIGINS = ("https://checkout.stripe.com", "https://connect.stripe.com")

_RELAXED_STYLES = "_csp_inline_styles"


def allow_inline_styles(view: Callable) -> Callable:
    """For a developer page that shows email HTML (inline styles by necessity) in a
    sandboxed ``srcdoc`` iframe, which inherits the page's policy. Scripts stay forbidden."""
    setattr(view, _RELAXED_STYLES, True)
    return view


def form_action_origins(stripe_api_base: str | None) -> list[str]:
    if not stripe_api_base:
        return list(STRIPE_REDIRECT_ORIGINS)
    parts = urlsplit(stripe_api_base)
    # The emulator serves its hosted pages from its API address; real Stripe does not.
    if parts.hostname and parts.hostname.endswith("stripe.com"):
        return list(STRIPE_REDIRECT_ORIGINS)
    return [f"{parts.scheme}://{parts.netloc}"]


@lru_cache(maxsize=32)
def content_security_policy(stripe_api_base: str | None, *, inline_styles: bool = False) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", *(["'unsafe-inline'"] if inline_styles else [])],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *form_action_origins(stripe_api_base)],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def init_app(app: Flask) -> None:
    static_headers = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        # Tokens live in some paths (unsubscribe, later password reset): never send a path
        # or a query to another site.
        "Referrer-Policy": "same-origin",
    }

    @app.after_request
    def _security_headers(response: Response) -> Response:
        view = current_app.view_functions.get(request.endpoint or "")
        relaxed = bool(getattr(view, _RELAXED_STYLES, False))
        policy = content_security_policy(settings(app).stripe_api_base, inline_styles=relaxed)
        response.headers.setdefault("Content-Security-Policy", policy)
        for name, value in static_headers.items():
            response.headers.setdefault(name, value)
        return response
