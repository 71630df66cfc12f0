"""Abuse limits on the forms that send email or reach other people, and the page that says so.

Counted by flask-limiter (``extensions.limiter``): in Redis when ``REDIS_URL`` or
``RATELIMIT_STORAGE_URI`` is set, so every gunicorn worker and host shares one count; in each
process's memory otherwise, and while Redis is down (config.py says how). Each ``Rule`` says
which setting holds its "N per period" and who is counted:

- anonymous forms per client IP (``client_ip``: ProxyFix's address when PROXY_FIX_X_FOR is set);
- logged-in actions per account (``account``) and, higher, per IP (one office, many people);
- API requests per token (``api_token``: a hash of the bearer header, so a request is
  counted before its token is even looked up, and a flood of bad tokens from one IP is
  counted per IP);
- forms that email an address typed into them also per address (``typed_address``, an HMAC of
  its lookup key: no address is stored in Redis), across every such form, so one mailbox
  cannot be flooded from many IPs. Counted for every address alike, registered or not, so a
  refusal says nothing about which addresses have accounts.

Per-account counts that must hold even without Redis live in the database instead: failed
log-ins (accounts/login_limits.py), messages (messages/services.py), tasks and invitations.

Past a limit: 429 with ``Retry-After``; JSON for JSON clients (``errors.wants_json``) with the
reason; otherwise the form's own page again, with the message on a field and what was typed
still in it, or, where there is no form to show, a page in the site's layout saying what was
limited and when to try again.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, g, render_template, request
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many

from .config import settings
from .errors import DomainError, error_response, is_api_request, wants_json
from .extensions import limiter

TITLE = "Please wait"


def client_ip() -> str:
    return f"ip:{get_remote_address()}"


def account() -> str:
    """The logged-in person (the routes check log-in before the limit), else the IP. On the
    API, the person whose token the request carries: the same count as on the site."""
    if is_api_request():
        from .api.auth import request_token

        token = request_token()
        return f"user:{token.user_id}" if token is not None else client_ip()
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return client_ip()


def api_token() -> str:
    """The bearer token the request carries (its digest: no secret is stored in Redis)."""
    from .accounts.sessions import secret_digest

    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return client_ip()
    return "api-token:" + secret_digest(secret.strip())


def _typed() -> str:
    return (request.form.get("email") or "").strip()


def typed_address() -> str:
    """The address typed into the form, however it is spelled."""
    from .accounts.addresses import lookup_key

    secret = settings().secret_key.encode()
    return "address:" + hmac.new(secret, lookup_key(_typed()).encode(), hashlib.sha256).hexdigest()


def no_address_typed() -> bool:
    return not _typed()  # nothing to count: the form refuses it anyway


@dataclass(frozen=True)
class Rule:
    setting: str  # the config key holding flask-limiter's "N per period; M per period"
    key: Callable[[], str]
    reason: str  # what was limited, in words: "Too many sign-ups from your network"
    scope: str | None = None  # a counter shared by several routes; None: one per route
    exempt_when: Callable[[], bool] | None = None  # requests the rule does not count


SIGN_UP_PER_IP = Rule("SIGNUP_RATE_LIMIT", client_ip, "Too many sign-ups from your network")
LOG_IN_PER_IP = Rule(
    "LOGIN_RATE_LIMIT", client_ip, "Too many attempts from your network in a short time"
)
ACCOUNT_EMAIL_PER_IP = Rule(
    "ACCOUNT_EMAIL_RATE_LIMIT",
    client_ip,
    "Too many requests for account emails from your network",
    scope="account-email-ip",
)
ACCOUNT_EMAIL_PER_ADDRESS = Rule(
    "ACCOUNT_EMAIL_ADDRESS_LIMIT",
    typed_address,
    "Too many emails were asked for this address",
    scope="account-email-address",
    exempt_when=no_address_typed,
)
EMAIL_CHANGE_PER_ACCOUNT = Rule(
    "EMAIL_CHANGE_RATE_LIMIT", account, "Too many changes of address asked for"
)
MESSAGE_PER_IP = Rule(
    "MESSAGE_IP_RATE_LIMIT", client_ip, "Too many messages sent from your network"
)
PROPOSAL_PER_ACCOUNT = Rule("PROPOSAL_RATE_LIMIT", account, "You have sent too many proposals")
PROPOSAL_PER_IP = Rule(
    "PROPOSAL_IP_RATE_LIMIT", client_ip, "Too many proposals sent from your network"
)
# Reports of messages and of people share one count: each reaches an operator's queue.
REPORT_PER_ACCOUNT = Rule(
    "REPORT_RATE_LIMIT", account, "You have sent too many reports in a short time", scope="reports"
)
API_PER_TOKEN = Rule("API_RATE_LIMIT", api_token, "Too many API requests with this token")

# Renders the form's page again (status and headers are added) with the message on a field.
FormPage = Callable[[str], str]


def limited(*rules: Rule, page: FormPage | None = None) -> Callable:
    """Limit a view's POSTs by every rule; put it below ``login_required``/role checks, so
    an account is known. ``page`` re-renders the view's form (see ``FormPage``)."""

    def decorate(view: Callable) -> Callable:
        for rule in reversed(rules):
            view = _limit(rule, page)(view)
        return view

    return decorate


def limit_every_request(target, rule: Rule):
    """Count every request (any method) to ``target``, a view or a whole blueprint."""
    return _limit(rule, None, methods=None)(target)


def _limit(
    rule: Rule, page: FormPage | None, methods: tuple[str, ...] | None = ("POST",)
) -> Callable:
    def value() -> str:
        return getattr(settings(), rule.setting.lower())

    def breached(request_limit) -> None:
        g.rate_limit_breach = (request_limit, page)

    options: dict[str, Any] = dict(
        key_func=rule.key,
        methods=list(methods) if methods else None,
        error_message=rule.reason,
        on_breach=breached,
        exempt_when=rule.exempt_when,
    )
    if rule.scope:
        return limiter.shared_limit(value, rule.scope, **options)
    return limiter.limit(value, **options)


def wait_words(seconds: int) -> str:
    if seconds < 90:
        return "a few seconds" if seconds <= 5 else f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{math.ceil(minutes / 60)} hours"


def _retry_after(request_limit) -> int:
    try:
        reset_at = request_limit.reset_at
    except Exception:  # the storage went away between the count and now
        return 60
    # flask-limiter's windows run on the real clock (Redis's expiry), not on the app's
    # db.utcnow (which tests move), so the wait is measured on the real clock too.
    seconds = math.ceil(reset_at - time.time())  # noqa: TID251
    return min(max(1, seconds), request_limit.limit.get_expiry())


def too_many(exc: RateLimitExceeded):
    request_limit, page = g.pop("rate_limit_breach", (None, None))
    seconds = _retry_after(request_limit) if request_limit is not None else 60
    reason = exc.description
    message = f"{reason}. You can try again in {wait_words(seconds)}."
    headers = {"Retry-After": str(seconds)}
    if wants_json():
        extra = {"reason": reason, "retry_after": seconds}
        return error_response(429, TITLE, message, extra=extra, headers=headers)
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    if page is not None:
        try:
            return page(f"{message} What you typed is kept here."), 429, headers
        except DomainError as refused:  # the page itself is not theirs to see (404, 403)
            return error_response(refused.status_code, TITLE, refused.message)
    url_rule = request.url_rule
    methods = (url_rule.methods if url_rule else None) or ()
    back = request.full_path.rstrip("?") if "GET" in methods else None
    page_html = render_template(
        "rate_limited.html", title=TITLE, reason=reason, wait=wait_words(seconds), back=back
    )
    return page_html, 429, headers


RULES = (
    SIGN_UP_PER_IP,
    LOG_IN_PER_IP,
    ACCOUNT_EMAIL_PER_IP,
    ACCOUNT_EMAIL_PER_ADDRESS,
    EMAIL_CHANGE_PER_ACCOUNT,
    MESSAGE_PER_IP,
    PROPOSAL_PER_ACCOUNT,
    PROPOSAL_PER_IP,
    REPORT_PER_ACCOUNT,
    API_PER_TOKEN,
)


def init_app(app: Flask) -> None:
    for rule in RULES:  # a typo in a setting fails at start-up, not at somebody's sign-up
        try:
            parse_many(getattr(settings(app), rule.setting.lower()))
        except ValueError as exc:
            raise ValueError(f"{rule.setting}: {exc}") from exc
    # More specific than errors.py's HTTPException handler, so Flask picks this one.
    app.register_error_handler(RateLimitExceeded, too_many)
