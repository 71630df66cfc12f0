from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from ..forms import Form
from .services import MAX_HOURS


class HireForm(Form):
    hours = IntegerField(
        "Hours agreed",
        validators=[
            InputRequired("Enter the hours you agree on."),
            NumberRange(1, MAX_HOURS, f"Between 1 and {MAX_HOURS} hours."),
        ],
    )
