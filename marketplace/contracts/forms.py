from wtforms import DateField, IntegerField, RadioField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..forms import Form, choices
from .models import ContractKind
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
