"""Template filters: money in cents, times in the viewer's own time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from .db import utcnow

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


def zone_city(zone: str) -> str | None:
    """ "America/Los_Angeles" -> "Los Angeles"; None for zones that name no place ("UTC")."""
    if "/" not in zone or zone.startswith("Etc/"):
        return None
    return zone.rsplit("/", 1)[1].replace("_", " ")


def utc_offset(zone: ZoneInfo, at: datetime) -> str:
    """ "UTC+8", "UTC-5", "UTC+5:30", "UTC+0": the offset in force at that moment."""
    offset = at.astimezone(zone).utcoffset()
    assert offset is not None, "a time in a ZoneInfo zone has an offset"
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(zone: str | ZoneInfo, at: datetime | None = None) -> str:
    """An unambiguous name for a time zone: "Manila (UTC+8)", "Bogota (UTC-5)", "UTC".

    Abbreviations are not: Asia/Manila's "PST" is also America/Los_Angeles's, and zones with
    no abbreviation print "-05". The offset is the one in force `at` (default: now), so a time
    in July reads "Los Angeles (UTC-7)" and one in December "Los Angeles (UTC-8)".
    """
    key = zone if isinstance(zone, str) else zone.key
    try:
        info = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    except (KeyError, ValueError):
        return key
    offset = utc_offset(info, at or utcnow())
    city = zone_city(key)
    if city is None:
        return "UTC" if offset == "UTC+0" else offset
    return f"{city} ({offset})"


def format_localtime(moment: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """A moment in the viewer's zone with its label: "01 Dec 2026, 14:00 Manila (UTC+8)"."""
    if moment is None:
        return ""
    zone = viewer_timezone()
    return f"{moment.astimezone(zone).strftime(fmt)} {zone_label(zone, moment)}"


def format_in_zone(moment: datetime | None, zone: str, fmt: str = "%a %d %b, %H:%M") -> str:
    """A moment where `zone` is, with its label: the other party's time beside one's own."""
    if moment is None:
        return ""
    try:
        info = ZoneInfo(zone)
    except (KeyError, ValueError):
        info = ZoneInfo("UTC")
    return f"{moment.astimezone(info).strftime(fmt)} {zone_label(info, moment)}"


def init_app(app: Flask) -> None:
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_localtime, "localtime")
    app.add_template_filter(zone_label, "zone")
    app.add_template_filter(format_in_zone, "in_zone")
