"""Sign up, log in, log out, and the front page that sends each role where it works."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..db import get_session
from ..errors import Conflict
from ..extensions import limiter
from ..forms import has_errors, timezone_choices
from . import auth, login_limits, services
from .forms import LoginForm, SignUpForm
from .landing import landing_page
from .models import Role, User

bp = Blueprint("accounts", __name__)

IP_LIMIT_MESSAGE = (
    "Too many attempts from your network in a short time. Wait a minute and try again."
)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def home_for(user: User) -> str:
    return url_for("tasks.dashboard") if user.is_owner else url_for("tasks.browse")


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return render_template("index.html")


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message=IP_LIMIT_MESSAGE)
def signup():
    form = SignUpForm(role=request.args.get("role"))
    if form.validate_on_submit():
        session = get_session()
        try:
            user = services.sign_up(
                session,
                email=form.email.data,
                password=form.password.data,
                role=Role(form.role.data),
                display_name=form.display_name.data,
                timezone=form.timezone.data,
            )
        except Conflict as exc:
            form.email.errors.append(exc.message)
        else:
            session.commit()
            login_user(user)
            flash("Welcome to Delegate!", "success")
            if user.is_assistant:
                return redirect(url_for("profiles.edit"))
            return redirect(url_for("tasks.new"))
    status = 422 if has_errors(form) else 200
    return render_template("accounts/signup.html", form=form, zones=timezone_choices()), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message=IP_LIMIT_MESSAGE)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        limit = auth.account_limit()
        key = login_limits.account_key(
            services.normalise_email(form.email.data), current_app.config["SECRET_KEY"]
        )
        attempt = login_limits.record_attempt(session, key, limit)
        session.commit()  # visible to every other worker before it is counted
        lockout = login_limits.check(session, attempt, limit)
        if lockout is not None:
            session.commit()
            form.email.errors = [*form.email.errors, lockout.message]
            page = render_template("accounts/login.html", form=form)
            return page, 429, {"Retry-After": str(lockout.retry_after_seconds)}
        user = services.authenticate(session, form.email.data, form.password.data)
        if user is not None:
            login_limits.succeeded(session, key)
            session.commit()  # and a rehashed password is saved
            login_user(user)
            return redirect(landing_page(request.args.get("next")) or home_for(user))
        # Same words whether the email exists or the password is wrong.
        flash("Email or password is incorrect.", "error")
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()  # revokes this browser's session row (accounts.auth)
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.index"))
