"""Who an API request acts for: the personal access token in its ``Authorization`` header.

Only the bearer token counts. A session cookie sent along is ignored (``api_user`` never
reads Flask-Login's ``current_user``), so a page of another site cannot make a logged-in
browser call the API, and the API needs no CSRF token. Reads need any live token; anything
else needs a read-and-write one.
"""

from __future__ import annotations

from flask import g, request
from flask_smorest import Blueprint

from ..accounts.models import User
from ..db import SAFE_METHODS, get_session, lock_for_writing
from ..errors import PermissionDenied, Unauthorized
from ..extensions import csrf
from ..rate_limits import API_PER_TOKEN, limit_every_request
from . import tokens
from .models import ApiToken

PREFIX = "/api/v1"
NO_TOKEN = (
    "Send a personal access token as “Authorization: Bearer dlg_…”. Create one on your "
    "settings page, under API tokens."
)
BAD_TOKEN = (
    "This token is not valid: it is mistyped, expired or revoked, or its account is "
    "suspended. Create a new one on your settings page."
)
READ_ONLY = "This token can only read. Create a read-and-write token to make changes."


def api_blueprint(name: str, description: str) -> Blueprint:
    """A blueprint of /api/v1 views: token required, no CSRF, counted per token."""
    bp = Blueprint(f"api_{name}", __name__, url_prefix=PREFIX, description=description)
    bp.before_request(_authenticate)
    csrf.exempt(bp)
    limit_every_request(bp, API_PER_TOKEN)
    return bp


def bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    return secret if scheme.lower() == "bearer" and secret else None


def request_token() -> ApiToken | None:
    """The live token the request carries, looked up once per request: the rate limits'
    keys (``rate_limits.account``), counted before the view, ask for it too."""
    if "api_token_found" not in g:
        secret = bearer_secret()
        found = tokens.token_for_secret(get_session(), secret) if secret else None
        g.api_token_found = found
    return g.api_token_found


def _authenticate() -> None:
    if bearer_secret() is None:
        raise Unauthorized(NO_TOKEN)
    session = get_session()
    token = request_token()
    if token is None:
        raise Unauthorized(BAD_TOKEN)
    writes = request.method not in SAFE_METHODS
    if writes and not token.can_write:
        raise PermissionDenied(READ_ONLY)
    if tokens.touch(session, token):
        # Its own commit, before the view: the view's failure must not lose it, nor may it
        # hold the view's transaction open.
        session.commit()
        if writes:
            lock_for_writing(session)
    g.api_token = token


def api_token() -> ApiToken:
    return g.api_token


def api_user() -> User:
    return g.api_token.user
