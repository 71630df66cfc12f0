"""The talent-search filters, read from the query string and validated like any form."""

from __future__ import annotations

from datetime import time

from wtforms import IntegerField, SelectField, StringField, TimeField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from ..forms import CURRENCIES, Form, MoneyField, SkillListField, choices, validate_timezone
from ..tasks.models import Task
from .search import Sort, TalentQuery, WorkingDay

MAX_SKILLS = 5
RATINGS = choices([("", "Any"), ("3", "3 ★ and up"), ("4", "4 ★ and up"), ("4.5", "4.5 ★ and up")])


class TalentFilterForm(Form):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("Search", validators=[Optional(), Length(max=200)])
    skills = SkillListField("Skills (all of them)", description="Comma-separated")
    currency = SelectField("Currency", choices=CURRENCIES, default="USD")
    min_rate = MoneyField("Rate from (per hour)", min_cents=0, max_cents=50_000)
    max_rate = MoneyField("to", min_cents=0, max_cents=50_000)
    min_hours = IntegerField(
        "Hours a week at least",
        validators=[Optional(), NumberRange(1, 80, "Between 1 and 80 hours a week.")],
    )
    min_rating = SelectField("Rating", choices=RATINGS, default="")
    min_overlap = IntegerField(
        "Shared hours a day at least",
        validators=[Optional(), NumberRange(0, 12, "Between 0 and 12 hours a day.")],
    )
    timezone = StringField("Your time zone", validators=[Optional(), validate_timezone])
    work_start = TimeField("Your hours from", default=time(9, 0), validators=[Optional()])
    work_end = TimeField("to", default=time(17, 0), validators=[Optional()])
    # Checked by validate_task, whose message is about the viewer's own tasks.
    task = SelectField("Fit for your task", default="", validate_choice=False)
    sort = SelectField(
        "Sort by",
        choices=choices(
            [
                (Sort.BEST.value, "Best match"),
                (Sort.RATING.value, "Rating"),
                (Sort.RATE.value, "Rate, lowest first"),
                (Sort.HOURS.value, "Most hours a week"),
            ]
        ),
        default=Sort.BEST.value,
    )
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(1, 10_000)])

    def __init__(self, *args, tasks: list[Task], **kwargs):
        super().__init__(*args, **kwargs)
        self.open_tasks = {str(t.id): t for t in tasks}
        titles = [(key, task.title) for key, task in self.open_tasks.items()]
        self.task.choices = [("", "No task chosen"), *titles]

    def validate_skills(self, field) -> None:
        if len(field.data or []) > MAX_SKILLS:
            raise ValidationError(f"Filter by at most {MAX_SKILLS} skills.")

    def validate_max_rate(self, field) -> None:
        low = self.min_rate.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError("The highest rate must not be below the lowest.")

    def validate_work_end(self, field) -> None:
        if field.data is not None and field.data == self.work_start.data:
            raise ValidationError("Your hours must start and end at different times.")

    def validate_min_overlap(self, field) -> None:
        if field.data is None:
            return
        if not self.timezone.data or self.work_start.data is None or self.work_end.data is None:
            raise ValidationError("Give your time zone and working hours to compare them.")

    def validate_task(self, field) -> None:
        # Only the viewer's own open tasks are choices: any other id (closed, a stranger's)
        # gets the same answer, which says nothing about that task.
        if field.data and field.data not in self.open_tasks:
            raise ValidationError("Choose one of your open tasks.")

    def to_query(self) -> TalentQuery:
        day = None
        if self.min_overlap.data is not None:
            day = WorkingDay(self.timezone.data, self.work_start.data, self.work_end.data)
        return TalentQuery(
            text=self.q.data or "",
            skills=tuple(self.skills.data or ()),
            currency=self.currency.data,
            min_rate_cents=self.min_rate.data,
            max_rate_cents=self.max_rate.data,
            min_hours_per_week=self.min_hours.data,
            min_rating=float(self.min_rating.data) if self.min_rating.data else None,
            owner_day=day,
            min_overlap_hours=self.min_overlap.data,
            task=self.open_tasks.get(self.task.data or ""),
            sort=Sort(self.sort.data),
            page=self.page.data or 1,
        )
