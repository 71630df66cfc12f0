from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import Form
from .services import MAX_LENGTH, MAX_REASON_LENGTH


class MessageForm(Form):
    body = TextAreaField(
        "Your message",
        validators=[
            DataRequired("Write a message before sending it."),
            Length(max=MAX_LENGTH, message=f"A message can be at most {MAX_LENGTH:,} characters."),
        ],
    )


class ReportForm(Form):
    reason = TextAreaField(
        "What is wrong with this message?",
        validators=[
            DataRequired("Say in a few words what is wrong with this message."),
            Length(
                max=MAX_REASON_LENGTH,
                message=f"Keep the reason under {MAX_REASON_LENGTH:,} characters.",
            ),
        ],
    )
