"""The base form and the fields shared by several domains: money in cents, IANA time zones,
skill lists, one-line text."""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

from .errors import Invalid
from .skills.services import parse_skill_list
from .text import describe, forbidden_character, single_line


def refuse_forbidden_characters(form, field) -> None:
    """NUL and other control characters get a message on their field, whatever the field."""
    for raw in field.raw_data or ():
        char = forbidden_character(raw) if isinstance(raw, str) else None
        if char is not None:
            # The real cause; "not a valid number" and the like would only mislead.
            field.errors.clear()
            raise StopValidation(
                f"Remove the control character {describe(char)}: it cannot be saved."
            )


class Form(FlaskForm):
    """Every form of the app: each field refuses control characters before its own checks."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            field.validators = [refuse_forbidden_characters, *field.validators]
            return field


def one_line(value):
    """Filter for names and titles: they go into email headers and subjects."""
    return single_line(value) if isinstance(value, str) else value


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


CURRENCIES = choices(
    [("USD", "USD $"), ("EUR", "EUR €"), ("GBP", "GBP £"), ("CAD", "CAD $"), ("AUD", "AUD $")]
)


@cache
def timezone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def timezone_choices() -> list[str]:
    return sorted(name for name in timezone_names() if "/" in name or name == "UTC")


def validate_timezone(form, field) -> None:
    if (field.data or "").strip() not in timezone_names():
        raise ValidationError("Choose a time zone from the list, such as Europe/London.")
    field.data = field.data.strip()


class MoneyField(StringField):
    """Accepts "25", "25.50" or "$1,200" and yields integer cents."""

    def __init__(self, label=None, validators=None, min_cents=1, max_cents=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.min_cents = min_cents
        self.max_cents = max_cents

    def _value(self) -> str:
        if isinstance(self.data, int):
            whole, part = divmod(self.data, 100)
            return f"{whole}" if part == 0 else f"{whole}.{part:02d}"
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        self.data = amount_in_cents(valuelist[0], self.min_cents, self.max_cents)


def amount_in_cents(text: str, min_cents: int = 1, max_cents: int | None = None) -> int:
    """ "25", "25.50" or "$1,200" as integer cents; a ValueError saying what is wrong else."""
    text = re.sub(r"[\s,$€£]", "", text)
    # Plain digits only, counted before any arithmetic: "1e400", "NaN" or 30 digits must
    # get a message, not a decimal.InvalidOperation.
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise ValueError("Enter an amount such as 25 or 25.50.")
    sign, whole, fraction = match.group("sign"), match.group("whole"), match.group("fraction")
    whole, fraction = whole.lstrip("0"), (fraction or "").rstrip("0")
    if len(whole) > MAX_WHOLE_DIGITS:
        raise ValueError(_too_large(max_cents))
    if len(fraction) > 2:
        raise ValueError("Enter an amount with at most two decimals.")
    cents = int(whole or "0") * 100 + int(fraction.ljust(2, "0"))
    cents = -cents if sign == "-" else cents
    if cents < min_cents:
        raise ValueError(f"The amount must be at least {min_cents / 100:.2f}.")
    if max_cents is not None and cents > max_cents:
        raise ValueError(_too_large(max_cents))
    return cents


def _too_large(max_cents: int | None) -> str:
    if max_cents is None:
        return "Enter a smaller amount."
    return f"The amount can be at most {max_cents / 100:,.2f}."


# Twelve digits of whole units is far above any amount we accept and far below anything slow.
MAX_WHOLE_DIGITS = 12
_AMOUNT = re.compile(r"(?P<sign>[-+]?)(?=\.?[0-9])(?P<whole>[0-9]*)(?:\.(?P<fraction>[0-9]*))?")


class SkillListField(StringField):
    """Comma-separated skills, cleaned and de-duplicated by their normalised key."""

    _problem: str | None = None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]  # what was typed, also when it is being sent back to fix
        if isinstance(self.data, list):
            return ", ".join(self.data)
        return super()._value()

    def process_formdata(self, valuelist):
        self.data, self._problem = [], None
        if valuelist:
            try:
                self.data = parse_skill_list(valuelist[0])
            except Invalid as exc:
                # Reported by pre_validate, so "List at least one skill" cannot hide it.
                self._problem = exc.message

    def pre_validate(self, form) -> None:
        if self._problem:
            raise StopValidation(self._problem)


def show_error(form, exc) -> None:
    """A service's refusal (a DomainError) shown on the field it names, or above the form."""
    field = form._fields.get(exc.field or "")
    if field is None:
        form.form_errors.append(exc.message)
    else:
        field.errors = [*field.errors, exc.message]


def has_errors(form) -> bool:
    """True when any field has an error, including ones a service added after validation."""
    return any(field.errors for field in form)
