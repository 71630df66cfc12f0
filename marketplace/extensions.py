"""Flask extensions, created unbound here and bound in create_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to continue."
login_manager.login_message_category = "info"
# Only explicit per-route limits (log-in, sign-up); no global default that tests would trip.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
