from flask_wtf.file import MultipleFileField
from werkzeug.datastructures import FileStorage
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation

from ..forms import Form
from .attachments import Upload
from .file_types import ACCEPT_ATTRIBUTE
from .services import EMPTY, MAX_LENGTH, MAX_REASON_LENGTH


class MessageForm(Form):
    body = TextAreaField(
        "Your message",
        validators=[
            Length(max=MAX_LENGTH, message=f"A message can be at most {MAX_LENGTH:,} characters."),
        ],
    )
    # Kinds, sizes and counts are checked by the service (attachments.check_uploads).
    files = MultipleFileField("Attach files", render_kw={"accept": ACCEPT_ATTRIBUTE})

    def validate_body(self, field) -> None:
        if not (field.data or "").strip() and not self.chosen_files():
            raise StopValidation(EMPTY)

    def chosen_files(self) -> list[Upload]:
        # A file input left empty still sends one part, with no file name.
        return [
            Upload(f.filename, f.stream)
            for f in self.files.data or ()
            if isinstance(f, FileStorage) and f.filename
        ]


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
