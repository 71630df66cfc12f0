from wtforms import TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..forms import Form, MoneyField
from .handling import MAX_REASON, TOO_LONG


class ProposalForm(Form):
    cover_note = TextAreaField(
        "Cover note",
        description="Why you are a good fit, and how you would go about it.",
        validators=[
            DataRequired("Write a short cover note."),
            Length(min=20, max=5000, message="Between 20 and 5,000 characters."),
        ],
    )
    proposed_rate = MoneyField(
        "Your rate per hour",
        min_cents=300,
        max_cents=50_000,
        validators=[InputRequired("Enter the hourly rate you propose.")],
    )


class DeclineForm(Form):
    reason = TextAreaField(
        "Reason (optional)",
        description="The assistant sees this, on their proposals and in the email we send.",
        validators=[Length(max=MAX_REASON, message=TOO_LONG)],
    )
