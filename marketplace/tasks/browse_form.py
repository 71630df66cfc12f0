"""The job-browse filters, read from the query string and validated like any form."""

from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from ..forms import Form, MoneyField, choices
from .forms import CATEGORY_PAIRS
from .models import Category, Engagement
from .search import JobQuery, Sort


class JobFilterForm(Form):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("Search", validators=[Optional(), Length(max=200)])
    skill = StringField("Skill", validators=[Optional(), Length(max=64)])
    category = SelectField(
        "Category", choices=choices([("", "Any category"), *CATEGORY_PAIRS]), default=""
    )
    engagement = SelectField(
        "Kind of work",
        choices=choices(
            [
                ("", "Any"),
                (Engagement.ONE_OFF.value, "One-off"),
                (Engagement.RECURRING.value, "Recurring"),
            ]
        ),
        default="",
    )
    min_rate = MoneyField("Pays at least (per hour)", min_cents=0, max_cents=50_000)
    min_budget = MoneyField("Fixed budget at least", min_cents=0, max_cents=10_000_000)
    max_hours = IntegerField(
        "Hours per week at most", validators=[Optional(), NumberRange(1, 500, "Between 1 and 500.")]
    )
    sort = SelectField(
        "Sort by",
        choices=choices(
            [
                (Sort.RELEVANCE.value, "Best match (newest without search words)"),
                (Sort.NEWEST.value, "Newest"),
                (Sort.PAY.value, "Highest pay per hour"),
                (Sort.DEADLINE.value, "Deadline soonest"),
            ]
        ),
        default=Sort.RELEVANCE.value,
    )
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(1, 10_000)])

    def to_query(self) -> JobQuery:
        return JobQuery(
            text=self.q.data or "",
            skill=self.skill.data or "",
            category=Category(self.category.data) if self.category.data else None,
            engagement=Engagement(self.engagement.data) if self.engagement.data else None,
            min_rate_cents=self.min_rate.data,
            min_budget_cents=self.min_budget.data,
            max_weekly_hours=self.max_hours.data,
            sort=Sort(self.sort.data),
            page=self.page.data or 1,
        )
