"""The audit form (one row per catalogue item, a few rows to type in) and the intake."""

from __future__ import annotations

from functools import cache

from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import (
    CURRENCIES,
    Form,
    MoneyField,
    SkillListField,
    choices,
    one_line,
    validate_timezone,
)
from ..tasks.forms import CATEGORY_PAIRS
from .catalogue import CATALOGUE
from .models import Period

PERIODS = choices([(Period.WEEK.value, "a week"), (Period.MONTH.value, "a month")])
HOURS = NumberRange(1, 300, "Between 1 and 300 hours.")


class AuditBase(Form):
    hourly_worth = MoneyField(
        "What an hour of your time is worth",
        description="What you would bill a client for an hour, or your revenue per hour "
        "worked (leave blank and fill the two boxes below to have it worked out).",
        min_cents=100,
        max_cents=10_000_000,
    )
    revenue_per_month = MoneyField("Revenue a month", min_cents=100, max_cents=1_000_000_000)
    hours_worked_per_month = IntegerField(
        "Hours you work a month",
        validators=[Optional(), NumberRange(1, 744, "Between 1 and 744 hours.")],
    )
    currency = SelectField("Currency", choices=CURRENCIES, default="USD")
    timezone = StringField("Your time zone", validators=[DataRequired(), validate_timezone])

    def catalogue_rows(self):
        return [(c, self[f"hours_{c.key}"], self[f"period_{c.key}"]) for c in CATALOGUE]

    def custom_rows(self):
        return [
            {
                name: self[f"custom_{name}_{n}"]
                for name in ("label", "category", "skills", "hours", "period", "judgement")
            }
            for n in range(self.custom_count)
        ]

    def worth_cents(self) -> int | None:
        if self.hourly_worth.data:
            return self.hourly_worth.data
        revenue, hours = self.revenue_per_month.data, self.hours_worked_per_month.data
        if revenue and hours:
            return max(1, (2 * revenue + hours) // (2 * hours))  # rounded half up
        return None


@cache
def audit_form_class(custom_count: int) -> type[AuditBase]:
    fields = {"custom_count": custom_count}
    for c in CATALOGUE:
        fields[f"hours_{c.key}"] = IntegerField(c.label, validators=[Optional(), HOURS])
        fields[f"period_{c.key}"] = SelectField("per", choices=PERIODS, default="week")
    for n in range(custom_count):
        fields[f"custom_label_{n}"] = StringField(
            "Something else", filters=[one_line], validators=[Optional(), Length(max=120)]
        )
        fields[f"custom_category_{n}"] = SelectField(
            "Kind of work", choices=choices(CATEGORY_PAIRS), default="other"
        )
        fields[f"custom_skills_{n}"] = SkillListField("Skills it takes")
        fields[f"custom_hours_{n}"] = IntegerField("Hours", validators=[Optional(), HOURS])
        fields[f"custom_period_{n}"] = SelectField("per", choices=PERIODS, default="week")
        fields[f"custom_judgement_{n}"] = BooleanField("Needs my own judgement")
    return type(f"AuditForm{custom_count}", (AuditBase,), fields)


class IntakeBase(Form):
    cadence = RadioField(
        "How often",
        choices=choices(
            [("recurring", "Every week (recurring)"), ("one_off", "Once (a one-off project)")]
        ),
        default="recurring",
    )
    one_off_hours = IntegerField(
        "Estimated hours (one-off)",
        validators=[Optional(), NumberRange(1, 500, "Between 1 and 500 hours.")],
    )

    def item_fields(self, item_id: int):
        return {name: self[f"{name}_{item_id}"] for name in ("outcome", "tools", "done", "steps")}


def intake_form_class(item_ids: tuple[int, ...]) -> type[IntakeBase]:
    fields = {}
    for i in item_ids:
        fields[f"outcome_{i}"] = TextAreaField(
            "The outcome you want",
            validators=[DataRequired("Say what you want out of it."), Length(max=2000)],
        )
        fields[f"tools_{i}"] = StringField(
            "Tools and accounts the assistant needs",
            description="Name them (Gmail, QuickBooks…). Share the logins through a password "
            "manager once you hire, never in the task text.",
            validators=[Length(max=500)],
        )
        fields[f"done_{i}"] = TextAreaField(
            "What “done” looks like",
            validators=[DataRequired("Say how you will know it is done."), Length(max=2000)],
        )
        fields[f"steps_{i}"] = TextAreaField(
            "Checklist (one step a line)", validators=[Length(max=3000)]
        )
    return type("IntakeForm", (IntakeBase,), fields)
