from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Email, Length

from ..forms import choices, validate_timezone
from .models import Role


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SignUpForm(FlaskForm):
    role = RadioField(
        "I want to",
        choices=choices(
            [
                (Role.OWNER.value, "Delegate work (business owner)"),
                (Role.ASSISTANT.value, "Find work (virtual assistant)"),
            ]
        ),
        validators=[DataRequired("Choose whether you delegate work or find work.")],
    )
    display_name = StringField(
        "Your name", validators=[DataRequired("Tell us your name."), Length(max=80)]
    )
    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[
            DataRequired("Enter your email."),
            Length(max=254),
            Email("Enter a valid email address.", check_deliverability=False),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Choose a password."),
            Length(min=10, max=200, message="Use 10 to 200 characters."),
        ],
    )
    timezone = StringField(
        "Your time zone", default="UTC", validators=[DataRequired(), validate_timezone]
    )


class LoginForm(FlaskForm):
    email = EmailField(
        "Email", filters=[_strip], validators=[DataRequired("Enter your email."), Length(max=254)]
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=200)]
    )
