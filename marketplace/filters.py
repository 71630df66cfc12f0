"""Template filters: money in cents, times in the viewer's own time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def format_money(cents: int | None, currency: str = "USD") -> str:
    if cents is None:
        return "—"
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    whole, part = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    amount = f"{whole:,}" if part == 0 else f"{whole:,}.{part:02d}"
    return f"{sign}{symbol}{amount}"


def viewer_timezone() -> ZoneInfo:
    name = getattr(current_user, "timezone", None) if current_user else None
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def format_localtime(moment: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    if moment is None:
        return ""
    zone = viewer_timezone()
    local = moment.astimezone(zone)
    return f"{local.strftime(fmt)} {local.tzname()}"


def init_app(app: Flask) -> None:
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_localtime, "localtime")
