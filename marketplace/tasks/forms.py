from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import (
    CURRENCIES,
    Form,
    MoneyField,
    SkillListField,
    choices,
    one_line,
    validate_timezone,
)
from .models import CATEGORY_LABELS, MAX_OPENINGS, BudgetType, Category, Engagement
from .services import TaskInput

CATEGORY_PAIRS = [(c.value, label) for c, label in CATEGORY_LABELS.items()]


class TaskForm(Form):
    title = StringField(
        "Title",
        description="What needs doing, e.g. “Weekly bookkeeping in QuickBooks”.",
        filters=[one_line],
        validators=[DataRequired("Give the task a title."), Length(max=120)],
    )
    description = TextAreaField(
        "Description",
        validators=[
            DataRequired("Describe the task."),
            Length(max=10_000, message="Keep the description under 10,000 characters."),
        ],
    )
    skills = SkillListField(
        "Skills needed",
        description="Comma-separated, e.g. QuickBooks, invoicing.",
        validators=[DataRequired("List at least one skill.")],
    )
    category = SelectField("Category", choices=choices(CATEGORY_PAIRS))
    engagement = RadioField(
        "Kind of work",
        choices=choices(
            [
                (Engagement.ONE_OFF.value, "One-off"),
                (Engagement.RECURRING.value, "Recurring (weekly)"),
            ]
        ),
        default=Engagement.ONE_OFF.value,
    )
    estimated_hours = IntegerField(
        "Estimated hours (one-off)",
        validators=[Optional(), NumberRange(1, 500, "Between 1 and 500 hours.")],
    )
    hours_per_week = IntegerField(
        "Hours per week (recurring)",
        validators=[Optional(), NumberRange(1, 60, "Between 1 and 60 hours a week.")],
    )
    budget_type = RadioField(
        "Budget",
        choices=choices(
            [
                (BudgetType.FIXED.value, "Fixed price for the whole task"),
                (BudgetType.HOURLY.value, "Paid by the hour, up to a maximum rate"),
            ]
        ),
        default=BudgetType.FIXED.value,
    )
    budget = MoneyField("Fixed budget", min_cents=500, max_cents=10_000_000)
    max_hourly_rate = MoneyField("Maximum hourly rate", min_cents=300, max_cents=50_000)
    currency = SelectField("Currency", choices=CURRENCIES, default="USD")
    timezone = StringField("Your time zone", validators=[DataRequired(), validate_timezone])
    overlap_hours = IntegerField(
        "Hours of overlap you need each working day",
        default=0,
        validators=[InputRequired(), NumberRange(0, 12, "Between 0 and 12 hours.")],
    )
    deadline = DateField("Deadline (optional)", validators=[Optional()])
    openings = IntegerField(
        "Assistants wanted",
        description="How many assistants you want on this task, e.g. 2 for customer emails. "
        "It stays listed until you have hired that many.",
        default=1,
        # Left empty (or a form from before this field): one assistant.
        validators=[
            Optional(),
            NumberRange(1, MAX_OPENINGS, f"Between 1 and {MAX_OPENINGS} assistants."),
        ],
    )

    def to_input(self) -> TaskInput:
        return TaskInput(
            title=self.title.data,
            description=self.description.data,
            skills=self.skills.data,
            category=Category(self.category.data),
            engagement=Engagement(self.engagement.data),
            estimated_hours=self.estimated_hours.data,
            hours_per_week=self.hours_per_week.data,
            budget_type=BudgetType(self.budget_type.data),
            budget_cents=self.budget.data,
            max_hourly_rate_cents=self.max_hourly_rate.data,
            currency=self.currency.data,
            timezone=self.timezone.data,
            overlap_hours=self.overlap_hours.data,
            deadline=self.deadline.data,
            openings=self.openings.data or 1,
        )
