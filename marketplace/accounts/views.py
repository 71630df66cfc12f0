"""Sign up, log in, log out, and the front page that sends each role where it works."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..db import get_session
from ..errors import Conflict
from ..extensions import limiter, login_manager
from ..forms import has_errors, timezone_choices
from ..profiles.services import public_profiles
from ..tasks.search import JobQuery, Sort, search_jobs
from . import services
from .forms import LoginForm, SignUpForm
from .models import Role, User

bp = Blueprint("accounts", __name__)
HOME_LIST_SIZE = 6  # jobs and assistants shown to visitors on the front page


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return get_session().get(User, int(user_id)) if user_id.isdigit() else None


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def home_for(user: User) -> str:
    return url_for("tasks.dashboard") if user.is_owner else url_for("tasks.browse")


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    # Visitors see the marketplace itself: open jobs and assistants, before any sign-up.
    session = get_session()
    jobs = search_jobs(session, JobQuery(sort=Sort.NEWEST, page_size=HOME_LIST_SIZE))
    assistants = public_profiles(session, size=HOME_LIST_SIZE)
    return render_template("index.html", jobs=jobs, assistants=assistants)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
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
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        user = services.authenticate(session, form.email.data, form.password.data)
        if user is not None:
            session.commit()  # a rehashed password is saved
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        # Same words whether the email exists or the password is wrong.
        flash("Email or password is incorrect.", "error")
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.index"))


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so a crafted link cannot bounce a user to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
