"""Refuse NUL bytes in the address of any request, before a view sees them.

Form bodies are checked field by field by ``marketplace.forms.Form`` (a message on the field,
what was typed kept); this covers what no form reads: query strings and path parts, such as
``/jobs?sort=%00`` or ``/login?next=%00``. PostgreSQL cannot store or even compare NUL, so
without this such a request could end in a 500.
"""

from __future__ import annotations

from flask import Flask, abort, request


def _first_nul_parameter() -> str | None:
    for key, values in request.args.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return key.replace("\x00", "\\0")
    for key, value in (request.view_args or {}).items():
        if isinstance(value, str) and "\x00" in value:
            return key
    return None


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_in_address():
        name = _first_nul_parameter()
        if name is not None:
            abort(400, description=f"The address has a NUL character (%00) in “{name}”; remove it.")
