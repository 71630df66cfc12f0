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
# Keyed by the client's IP: request.remote_addr, which ProxyFix sets when PROXY_FIX_X_FOR is.
# Storage and its in-memory fallback (a Redis outage must not make log-in a 500) come from
# the RATELIMIT_* settings.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
