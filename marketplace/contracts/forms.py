from wtforms import DateField, IntegerField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..forms import Form, choices
from ..tasks.models import MAX_OPENINGS
from .models import NOTE_MAX, ContractKind
from .services import MAX_HOURS


class HireForm(Form):
    kind = RadioField(
        "How you pay",
        choices=choices(
            [
                (ContractKind.HOURLY.value, "By the hour, billed weekly for the time logged"),
                (ContractKind.FIXED.value, "A fixed number of hours, paid up front"),
            ]
        ),
        # Left out (a page from before hourly contracts): the task's own way, see the view.
        validators=[Optional()],
    )
    # Fixed: the hours agreed; hourly: the weekly limit (services.hire checks the range).
    hours = IntegerField(
        "Hours agreed",
        validators=[
            InputRequired("Enter the hours you agree on."),
            NumberRange(1, MAX_HOURS, f"Between 1 and {MAX_HOURS} hours."),
        ],
    )
    ends_on = DateField(
        "Ends on (optional, hourly)",
        validators=[Optional()],
        description="The last day time may be logged. Leave empty for ongoing work.",
    )
    openings = IntegerField(
        "Assistants wanted on this task",
        description="Hiring stays open on the task until you have this many assistants.",
        # Left out (a page from before): the task's number stays as it is.
        validators=[Optional(), NumberRange(1, MAX_OPENINGS, f"Between 1 and {MAX_OPENINGS}.")],
    )


class SubmitWorkForm(Form):
    """The assistant's delivery: what was delivered (submissions.submit checks it too)."""

    note = TextAreaField(
        "What you delivered",
        description="Where to find it and what to check: links are made clickable.",
        validators=[
            InputRequired("Say what you delivered, so the owner knows what to check."),
            Length(max=NOTE_MAX, message=f"Keep it under {NOTE_MAX:,} characters."),
        ],
    )


class AnswerForm(Form):
    """The owner's answer to the submission their page showed (``submission``: its number)."""

    submission = IntegerField(validators=[Optional()])
    changes = TextAreaField(
        "What should change",
        validators=[Length(max=NOTE_MAX, message=f"Keep it under {NOTE_MAX:,} characters.")],
    )
