from wtforms import EmailField, HiddenField, PasswordField, RadioField, StringField, ValidationError
from wtforms.validators import DataRequired, Length

from ..errors import Invalid
from ..forms import Form, choices, one_line, validate_timezone
from .addresses import normalise_email
from .models import Role
from .passwords import MAX_LENGTH, password_problem

_NEW_PASSWORD_HINT = "At least 10 characters. A few unrelated words make a good one."


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def valid_address(form, field) -> None:
    try:
        normalise_email(field.data or "")
    except Invalid as exc:
        raise ValidationError(exc.message) from exc


class SignUpForm(Form):
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
        "Your name",
        filters=[one_line],
        validators=[DataRequired("Tell us your name."), Length(max=80)],
    )
    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[DataRequired("Enter your email."), Length(max=254), valid_address],
    )
    password = PasswordField(
        "Password",
        description=_NEW_PASSWORD_HINT,
        validators=[DataRequired("Choose a password.")],
    )
    timezone = StringField(
        "Your time zone", default="UTC", validators=[DataRequired(), validate_timezone]
    )

    def validate_password(self, field) -> None:
        problem = password_problem(
            field.data or "", email=self.email.data or "", name=self.display_name.data or ""
        )
        if problem:
            raise ValidationError(problem)


class LoginForm(Form):
    email = EmailField(
        "Email", filters=[_strip], validators=[DataRequired("Enter your email."), Length(max=254)]
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=200)]
    )


class ResendForm(Form):
    email = HiddenField(filters=[_strip], validators=[DataRequired(), Length(max=254)])


class ConfirmForm(Form):
    password = PasswordField(
        "The password you chose when signing up",
        validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)],
    )


class ForgotPasswordForm(Form):
    email = EmailField(
        "Your account's email",
        filters=[_strip],
        validators=[DataRequired("Enter your email."), Length(max=254), valid_address],
    )


class NewPasswordForm(Form):
    """Checked by accounts.services.check_new_password, which knows whose password it is."""

    password = PasswordField(
        "New password",
        description=_NEW_PASSWORD_HINT,
        validators=[DataRequired("Choose a password."), Length(max=MAX_LENGTH)],
    )


class NameForm(Form):
    display_name = StringField(
        "Your name",
        filters=[one_line],
        validators=[DataRequired("Tell us your name."), Length(max=80)],
    )


class PasswordChangeForm(Form):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=MAX_LENGTH)],
    )
    new_password = PasswordField(
        "New password",
        description=_NEW_PASSWORD_HINT,
        validators=[DataRequired("Choose a new password."), Length(max=MAX_LENGTH)],
    )


class EmailChangeForm(Form):
    email = EmailField(
        "New email address",
        filters=[_strip],
        validators=[DataRequired("Enter the new address."), Length(max=254), valid_address],
    )
    password = PasswordField(
        "Your password",
        validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)],
    )


class ButtonForm(Form):
    """A form that is only a button: its CSRF token is what it checks."""


class DeleteAccountForm(Form):
    password = PasswordField(
        "Your password",
        validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)],
    )
    confirm = StringField(
        "Type DELETE to confirm",
        filters=[_strip],
        validators=[DataRequired("Type DELETE to confirm."), Length(max=20)],
    )


class TimezoneForm(Form):
    timezone = StringField(
        "Your time zone",
        filters=[_strip],
        validators=[DataRequired("Choose your time zone."), validate_timezone],
    )
