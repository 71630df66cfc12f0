from wtforms import RadioField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length

from ..forms import Form, choices
from .models import MAX_BODY

RATINGS = choices(
    [
        (5, "5 stars: excellent"),
        (4, "4 stars: good"),
        (3, "3 stars: all right"),
        (2, "2 stars: poor"),
        (1, "1 star: very poor"),
    ]
)
RATING_MESSAGE = "Choose a rating from 1 to 5 stars."


def _stars(value):
    """The rating as an int; anything else as None, for the one message below."""
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ReviewForm(Form):
    rating = RadioField(
        "Your rating",
        choices=RATINGS,
        coerce=_stars,
        validate_choice=False,
        validators=[InputRequired(RATING_MESSAGE), AnyOf([1, 2, 3, 4, 5], RATING_MESSAGE)],
    )
    body = TextAreaField(
        "In a few words, how did it go?",
        validators=[
            Length(max=MAX_BODY, message=f"Keep your review under {MAX_BODY:,} characters.")
        ],
    )
