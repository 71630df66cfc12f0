"""The settings page's form for a new API token."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import Form, choices, one_line
from .models import TokenScope

LIFETIMES = choices(
    [("30", "30 days"), ("90", "90 days"), ("365", "A year"), ("date", "Until a date")]
)


class TokenForm(Form):
    name = StringField(
        "Name",
        description="What will use it, e.g. “Zapier” or “Bookkeeping sheet”.",
        filters=[one_line],
        validators=[DataRequired("Name the token after what will use it."), Length(max=80)],
    )
    scope = RadioField(
        "Access",
        choices=choices([(scope.value, scope.label) for scope in TokenScope]),
        default=TokenScope.READ.value,
    )
    expires_in = SelectField("Expires", choices=LIFETIMES, default="90")
    expires_on = DateField("Expiry date (when “Until a date”)", validators=[Optional()])

    @property
    def lifetime_days(self) -> int | None:
        return None if self.expires_in.data == "date" else int(self.expires_in.data)
