"""Form fields shared by several domains: money in cents, IANA time zones, skill lists."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache
from zoneinfo import available_timezones

from wtforms import StringField, ValidationError
from wtforms.fields.choices import SelectChoice

from .errors import Invalid
from .skills.services import parse_skill_list


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
        text = re.sub(r"[\s,$€£]", "", valuelist[0])
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError("Enter an amount such as 25 or 25.50.") from exc
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise ValueError("Enter an amount with at most two decimals.")
        cents = int(amount * 100)
        if cents < self.min_cents:
            raise ValueError(f"The amount must be at least {self.min_cents / 100:.2f}.")
        if self.max_cents is not None and cents > self.max_cents:
            raise ValueError(f"The amount can be at most {self.max_cents / 100:,.2f}.")
        self.data = cents


class SkillListField(StringField):
    """Comma-separated skills, cleaned and de-duplicated by their normalised key."""

    def _value(self) -> str:
        if isinstance(self.data, list):
            return ", ".join(self.data)
        return super()._value()

    def process_formdata(self, valuelist):
        self.data = []
        if valuelist:
            try:
                self.data = parse_skill_list(valuelist[0])
            except Invalid as exc:
                raise ValueError(exc.message) from exc


def has_errors(form) -> bool:
    """True when any field has an error, including ones a service added after validation."""
    return any(field.errors for field in form)
