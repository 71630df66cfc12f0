"""Cursor pagination for every API list: an opaque cursor and a ``limit``.

The cursor is the position of the next item, base64-encoded so clients treat it as opaque
(it may become a keyset position later without breaking them). A cursor we did not give out
is a 422 on ``cursor``, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence

from ..errors import Invalid

MAX_POSITION = 1_000_000
_POSITION = re.compile(r"p([0-9]{1,7})")
BAD_CURSOR = "This cursor is not one we gave out: pass back a response's next_cursor."


def position(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii") + b"==").decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise Invalid(BAD_CURSOR, "cursor") from None
    match = _POSITION.fullmatch(text)
    if match is None or int(match[1]) > MAX_POSITION:
        raise Invalid(BAD_CURSOR, "cursor")
    return int(match[1])


def cursor_at(at: int) -> str:
    return base64.urlsafe_b64encode(f"p{at}".encode()).decode("ascii").rstrip("=")


def page(items: Sequence, start: int, limit: int) -> dict:
    """``items`` from ``start`` (all of them, or at least ``start + limit + 1``): this page
    and the cursor of the next, None on the last."""
    more = len(items) > start + limit
    return {
        "items": list(items[start : start + limit]),
        "next_cursor": next_cursor(start, limit, more),
    }


def next_cursor(start: int, limit: int, more: bool) -> str | None:
    return cursor_at(start + limit) if more else None
