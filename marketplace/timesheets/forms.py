from wtforms import DateField, IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..forms import Form, one_line
from .services import MEMO_MAX, Entry


class TimeForm(Form):
    work_date = DateField("Day", validators=[InputRequired("Choose the day you worked.")])
    hours = IntegerField(
        "Hours", default=0, validators=[Optional(), NumberRange(0, 24, "0 to 24.")]
    )
    minutes = IntegerField(
        "Minutes", default=0, validators=[Optional(), NumberRange(0, 59, "0 to 59.")]
    )
    memo = StringField(
        "What you did",
        filters=[one_line],
        validators=[InputRequired("Say in a few words what you did.")],
        render_kw={"maxlength": MEMO_MAX},
    )

    def entry(self) -> Entry:
        return Entry(
            work_date=self.work_date.data,
            minutes=(self.hours.data or 0) * 60 + (self.minutes.data or 0),
            memo=self.memo.data or "",
        )
