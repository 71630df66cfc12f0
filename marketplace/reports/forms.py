from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import Form, choices
from ..messages.services import MAX_REASON_LENGTH
from .models import PROFILE_REASONS


class ReportPersonForm(Form):
    reason = SelectField(
        "What is wrong?",
        choices=choices([("", "Choose…"), *PROFILE_REASONS]),
        validators=[DataRequired("Choose what is wrong from the list.")],
        validate_choice=False,  # the service refuses what is not on the list, in its words
    )
    details = TextAreaField(
        "Anything we should know (optional)",
        validators=[
            Optional(),
            Length(
                max=MAX_REASON_LENGTH, message=f"Keep it under {MAX_REASON_LENGTH:,} characters."
            ),
        ],
    )
    # The task page it was sent from, to go back to it.
    task_id = HiddenField()
