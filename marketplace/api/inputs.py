"""Run the site's own forms on what an API client sent, so both refuse the same input.

The schema (``api.schemas``) has checked types; the form then checks every rule the HTML form
checks (lengths, amounts, hours, time zones, control characters) and reports each bad field.
API names that differ from the form's (money is ``*_cents`` in the API, typed as an amount
in the form) are mapped both ways, also for the fields a service names in its refusals.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date

from werkzeug.datastructures import MultiDict

from ..errors import FieldErrors, Invalid, NotFound, PermissionDenied


def _as_text(value, money: bool) -> str:
    if money:  # the form reads an amount: 1250 cents is "12.50"
        whole, cents = divmod(abs(value), 100)
        return f"{'-' if value < 0 else ''}{whole}.{cents:02d}"
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def form_data(values: Mapping, renames: Mapping[str, str]) -> MultiDict:
    data: MultiDict = MultiDict()
    for name, value in values.items():
        if value is None:
            continue
        data[renames.get(name, name)] = _as_text(value, money=name.endswith("_cents"))
    return data


def checked(form_class, values: Mapping, renames: Mapping[str, str] | None = None):
    """The form, validated on ``values``; FieldErrors (API names) when it refuses them."""
    renames = renames or {}
    form = form_class(formdata=form_data(values, renames), meta={"csrf": False})
    if form.validate():
        return form
    back = {form_name: api_name for api_name, form_name in renames.items()}
    errors = [
        {"field": back.get(name, name), "location": "json", "detail": " ".join(messages)}
        for name, messages in form.errors.items()
        if messages
    ]
    raise FieldErrors(errors or [{"field": "body", "detail": "This input is not valid."}])


@contextmanager
def api_field_names(renames: Mapping[str, str]) -> Iterator[None]:
    """A service's refusal names the form's field; the client knows the API's name."""
    back = {form_name: api_name for api_name, form_name in renames.items()}
    try:
        yield
    except Invalid as exc:
        if exc.field in back:
            exc.field = back[exc.field]
        raise


@contextmanager
def hidden_from_strangers(message: str) -> Iterator[None]:
    """Somebody else's object is reported missing (404), as if it never existed: an API
    client walking ids learns nothing. The HTML pages answer 403 for some of these."""
    try:
        yield
    except PermissionDenied:
        raise NotFound(message) from None
