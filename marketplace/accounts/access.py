"""Role checks for views: the wrong role gets a 403, not a redirect loop."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .models import Role


def role_required(role: Role) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role != role:
                abort(403, description=f"This page is for {role.value}s only.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


owner_required = role_required(Role.OWNER)
assistant_required = role_required(Role.ASSISTANT)
