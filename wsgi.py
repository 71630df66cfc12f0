"""The app's start: gunicorn (``gunicorn wsgi:app``) and every ``flask --app wsgi`` command.

Starting is where instance/secret_key is made (when SECRET_KEY is unset), and where a bad
setting ends the process with the sentence naming it rather than a traceback.
"""

from pathlib import Path

from marketplace import create_app, instance_path
from marketplace.config import SettingsError, ensure_secret_key

try:
    ensure_secret_key(Path(instance_path()))
    app = create_app()
except SettingsError as error:
    raise SystemExit(f"Delegate cannot start: {error}") from None
