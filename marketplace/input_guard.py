"""Refuse control characters in the address of any request, before a view sees them.

Form bodies are checked field by field by ``marketplace.forms.Form`` (a message on the field,
what was typed kept); this covers what no form reads: query strings and path parts, such as
``/jobs?sort=%00``, ``/login?next=%00`` or ``/login?next=/%0d%0a...``. PostgreSQL cannot
store or even compare NUL, and a line break in a value that ends up in a header (a redirect's
Location) makes Werkzeug refuse the response: without this, both end in a 500. Nobody types a
control character into an address bar or a one-line search box.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from .text import describe, forbidden_character

# Ids are INTEGER columns: PostgreSQL's are 32-bit, SQLite refuses more than 64 bits.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number no id can be (``/tasks/99999999999999999999``)
    matches no route (404), instead of reaching the database and failing there (a 500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def _first_control(values) -> str | None:
    for value in values:
        char = forbidden_character(value, line_breaks=False)
        if char is not None:
            return char
    return None


def _offending_parameter() -> tuple[str, str] | None:
    for key, values in request.args.lists():
        char = _first_control([key, *values])
        if char is not None:
            shown = "".join(c for c in key if forbidden_character(c, line_breaks=False) is None)
            return shown, char
    for key, value in (request.view_args or {}).items():
        char = _first_control([value]) if isinstance(value, str) else None
        if char is not None:
            return key, char
    return None


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def _refuse_control_characters_in_address():
        found = _offending_parameter()
        if found is not None:
            name, char = found
            what = (
                "a NUL character (%00)"
                if char == "\x00"
                else f"the control character {describe(char)}"
            )
            abort(400, description=f"The address has {what} in “{name}”; remove it.")
