from wtforms import (
    DateField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms import Form as SubForm
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..forms import Form, MoneyField, choices, one_line, refuse_forbidden_characters
from ..tasks.models import MAX_OPENINGS
from .milestones import Part
from .models import MAX_MILESTONES, MILESTONE_TITLE_MAX, NOTE_MAX, ContractKind
from .services import MAX_HOURS

MILESTONE_ROWS = 3  # rows shown at first; "Add a milestone" shows one more, up to ten


class MilestoneRow(SubForm):
    """One milestone on the hire form; a row left empty is not a milestone. (A sub-form:
    the hire form's CSRF token covers it.)"""

    title = StringField(
        "Milestone",
        filters=[one_line],
        validators=[
            refuse_forbidden_characters,
            Optional(),
            Length(max=MILESTONE_TITLE_MAX, message=f"At most {MILESTONE_TITLE_MAX} characters."),
        ],
    )
    amount = MoneyField("Amount", validators=[refuse_forbidden_characters, Optional()])
    due_on = DateField("Due on", validators=[refuse_forbidden_characters, Optional()])

    @property
    def filled(self) -> bool:
        return bool((self.title.data or "").strip() or self.amount.data)


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
    # Fixed only: the price split into parts (services.hire checks them against the total).
    milestones = FieldList(
        FormField(MilestoneRow), min_entries=MILESTONE_ROWS, max_entries=MAX_MILESTONES
    )

    def milestone_parts(self) -> list[Part]:
        """The rows filled in, in order, as the service takes them."""
        return [
            Part(row.title.data or "", row.amount.data or 0, row.due_on.data)
            for row in (entry.form for entry in self.milestones)
            if row.filled
        ]


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
