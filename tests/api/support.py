"""API tests' helpers: a token made through the real service, and its header."""

from __future__ import annotations

from datetime import timedelta

from marketplace.api import tokens
from marketplace.api.models import TokenScope
from marketplace.db import utcnow


def token_for(session, user, scope: TokenScope = TokenScope.READ_WRITE, days: int = 30) -> str:
    new = tokens.create_token(session, user, "tests", scope, utcnow() + timedelta(days=days))
    session.commit()
    return new.secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def task_json(**kw) -> dict:
    """A valid one-off, fixed-price task as the API takes it."""
    data = {
        "title": "Weekly inbox clean-up",
        "description": "Triage my Gmail inbox every morning and draft replies to routine mail.",
        "skills": ["Gmail", "inbox management"],
        "category": "inbox_calendar",
        "engagement": "one_off",
        "estimated_hours": 6,
        "budget_type": "fixed",
        "budget_cents": 18000,
        "currency": "USD",
        "timezone": "America/New_York",
        "overlap_hours": 2,
    }
    data.update(kw)
    return data
