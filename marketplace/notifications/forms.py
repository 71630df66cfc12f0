"""The email preferences form."""

from __future__ import annotations

from wtforms import IntegerField, RadioField
from wtforms.validators import InputRequired, NumberRange

from ..forms import Form, choices
from .models import Frequency

FREQUENCY_CHOICES = choices(
    [
        (Frequency.INSTANT.value, "Right away"),
        (Frequency.DAILY.value, "One daily digest"),
        (Frequency.OFF.value, "No email"),
    ]
)


class PreferencesForm(Form):
    frequency = RadioField("Email me", choices=FREQUENCY_CHOICES, validators=[InputRequired()])
    min_match_percent = IntegerField(
        "Only tell me about jobs that match at least (%)",
        validators=[InputRequired(message="Enter a number from 0 to 100."), NumberRange(0, 100)],
        description="Assistants only: new jobs below this match score are not emailed.",
    )
