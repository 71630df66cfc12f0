from wtforms import IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..forms import CURRENCIES, Form, MoneyField, SkillListField, one_line, validate_timezone
from .services import ProfileInput


class ProfileForm(Form):
    headline = StringField(
        "Headline",
        description="One line owners see first, e.g. “Bookkeeper for Etsy and Shopify shops”.",
        filters=[one_line],
        validators=[DataRequired("Write a headline."), Length(max=120)],
    )
    bio = TextAreaField(
        "About you", validators=[Length(max=5000, message="Keep it under 5,000 characters.")]
    )
    skills = SkillListField(
        "Skills",
        description="Comma-separated, e.g. QuickBooks, inbox management, Canva.",
        validators=[DataRequired("List at least one skill.")],
    )
    hourly_rate = MoneyField(
        "Hourly rate",
        min_cents=300,
        max_cents=50_000,
        validators=[InputRequired("Enter your hourly rate.")],
    )
    currency = SelectField("Currency", choices=CURRENCIES, default="USD")
    timezone = StringField(
        "Time zone",
        description="Your one time zone: your working hours are in it, and Delegate shows you "
        "every time in it (the same setting as on your settings page).",
        validators=[DataRequired(), validate_timezone],
    )
    work_start = TimeField("Working hours from", validators=[InputRequired("Enter a start time.")])
    work_end = TimeField("to", validators=[InputRequired("Enter an end time.")])
    hours_per_week = IntegerField(
        "Hours available per week",
        validators=[
            InputRequired("Enter the hours you can take on each week."),
            NumberRange(1, 80, "Between 1 and 80 hours a week."),
        ],
    )

    def to_input(self) -> ProfileInput:
        return ProfileInput(
            headline=self.headline.data,
            bio=self.bio.data or "",
            skills=self.skills.data,
            hourly_rate_cents=self.hourly_rate.data,
            currency=self.currency.data,
            timezone=self.timezone.data,
            work_start=self.work_start.data,
            work_end=self.work_end.data,
            hours_per_week=self.hours_per_week.data,
        )
