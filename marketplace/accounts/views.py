"""Sign up, log in, log out, password reset, and the front page that sends each role where
it works."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask import session as browser_session
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup

from ..config import settings
from ..db import get_session
from ..errors import Invalid
from ..forms import has_errors, timezone_choices
from ..microcache import Microcache, render_without_tokens
from ..profiles.services import best_profiles, listed_profile_count
from ..rate_limits import (
    ACCOUNT_EMAIL_PER_ADDRESS,
    ACCOUNT_EMAIL_PER_IP,
    LOG_IN_PER_IP,
    SIGN_UP_PER_IP,
    limited,
)
from ..tasks.search import JobQuery, Sort, search_jobs
from . import auth, login_limits, reset, services, tokens
from .addresses import lookup_key
from .forms import (
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    ResendForm,
    SignUpForm,
)
from .landing import landing_page
from .models import Role, User

bp = Blueprint("accounts", __name__)
HOME_LIST_SIZE = 6  # jobs and assistants shown to visitors on the front page


def home_for(user: User) -> str:
    return url_for("tasks.dashboard") if user.is_owner else url_for("tasks.browse")


# The same for every visitor: rendered once per expiry (or write) in each worker, not for
# each of them. Kept without the page around it, whose flashed messages are one browser's.
_front_page = Microcache(
    "front page",
    tables={"tasks", "task_skills", "users", "assistant_profiles", "assistant_skills", "skills"},
    max_entries=1,
)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    # Visitors see the marketplace itself: open jobs and assistants, before any sign-up.
    body = _front_page.get_or_make("front", _render_front_page)
    return render_template("index.html", body=body)


def _render_front_page() -> Markup:
    session = get_session()
    jobs = search_jobs(session, JobQuery(sort=Sort.NEWEST, page_size=HOME_LIST_SIZE))
    assistants = best_profiles(session, HOME_LIST_SIZE)
    return render_without_tokens(
        "_index_body.html",
        jobs=jobs,
        assistants=assistants,
        assistant_count=listed_profile_count(session),
    )


def _signup_limited(message: str) -> str:
    form = SignUpForm()
    form.email.errors = [message]
    return render_template("accounts/signup.html", form=form, zones=timezone_choices())


@bp.route("/signup", methods=["GET", "POST"])
@limited(SIGN_UP_PER_IP, ACCOUNT_EMAIL_PER_ADDRESS, page=_signup_limited)
def signup():
    form = SignUpForm(role=request.args.get("role"))
    if form.validate_on_submit():
        session = get_session()
        try:
            outcome = services.sign_up(
                session,
                email=form.email.data,
                password=form.password.data,
                role=Role(form.role.data),
                display_name=form.display_name.data,
                timezone=form.timezone.data,
                secret_key=settings().secret_key,
            )
        except Invalid as exc:
            getattr(form, exc.field or "email").errors.append(exc.message)
        else:
            session.commit()
            # The same for a new address and a known one: the email says which it was.
            browser_session[_SIGNUP] = {"email": outcome.email, "check": outcome.browser_check}
            return redirect(url_for("accounts.signup_sent"))
    status = 422 if has_errors(form) else 200
    return render_template("accounts/signup.html", form=form, zones=timezone_choices()), status


_SIGNUP = "signup"
# Where a sign-up that started on another page (the planner) continues once confirmed.
AFTER_SIGNUP = "after_signup"


@bp.get("/signup/sent")
def signup_sent():
    pending = browser_session.get(_SIGNUP)
    if not pending:
        return redirect(url_for("accounts.signup"))
    form = ResendForm(email=pending["email"])
    return render_template("accounts/signup_sent.html", email=pending["email"], form=form)


@bp.post("/signup/resend")
@limited(ACCOUNT_EMAIL_PER_IP, ACCOUNT_EMAIL_PER_ADDRESS)
def resend_confirmation():
    form = ResendForm()
    if not form.validate_on_submit():
        return redirect(url_for("accounts.signup"))
    session = get_session()
    email = services.resend_confirmation(session, form.email.data)
    session.commit()
    if email is None:
        return redirect(url_for("accounts.signup"))
    pending = browser_session.get(_SIGNUP) or {}
    browser_session[_SIGNUP] = {**pending, "email": email, "check": pending.get("check", "")}
    flash(f"We sent the link again to {email}.", "info")
    return redirect(url_for("accounts.signup_sent"))


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
@limited(LOG_IN_PER_IP)
def confirm_signup(token: str):
    """Following the link in the browser that signed up confirms at once; anywhere else (a
    phone, a mail scanner that opens links) asks for the password first, so a link that
    reaches someone else's hands, or a sign-up somebody made with your address, logs nobody
    in."""
    session = get_session()
    secret_key = settings().secret_key
    try:
        user = services.pending_sign_up_for(session, secret_key, token)
    except tokens.LinkInvalid as exc:
        return render_template("accounts/confirm_invalid.html", message=exc.message), 400
    form = ConfirmForm()
    same_browser = _is_signing_up_browser(user, secret_key)
    if same_browser or form.validate_on_submit():
        if same_browser or services.password_matches(user, form.password.data):
            try:
                services.confirm_sign_up(session, user)
            except tokens.LinkInvalid as exc:
                return render_template("accounts/confirm_invalid.html", message=exc.message), 400
            session.commit()
            browser_session.pop(_SIGNUP, None)
            login_user(user)
            flash("Your email address is confirmed. Welcome to Delegate!", "success")
            if user.is_assistant:
                return redirect(url_for("profiles.edit"))
            # An owner who was turning their plan into tasks goes back to it.
            after = landing_page(browser_session.pop(AFTER_SIGNUP, None))
            return redirect(after or url_for("tasks.new"))
        form.password.errors.append("That is not the password of this sign-up.")
    status = 422 if has_errors(form) else 200
    return render_template("accounts/confirm.html", form=form, user=user, token=token), status


def _is_signing_up_browser(user: User, secret_key: str) -> bool:
    check = (browser_session.get(_SIGNUP) or {}).get("check", "")
    return tokens.is_signing_up_browser(secret_key, user, check)


@bp.errorhandler(services.EmailNotConfirmed)
def _email_not_confirmed(exc: services.EmailNotConfirmed):
    """Log-in with the right password for a sign-up nobody confirmed yet."""
    get_session().rollback()
    form = LoginForm()
    return render_template(
        "accounts/login.html", form=form, unconfirmed=exc, resend=ResendForm(email=exc.email)
    ), exc.status_code


@bp.errorhandler(services.AccountSuspended)
def _account_suspended(exc: services.AccountSuspended):
    """Log-in with the right password for an account an operator suspended."""
    get_session().rollback()
    form = LoginForm()
    form.email.errors = [exc.message]
    return render_template("accounts/login.html", form=form), exc.status_code


def _login_limited(message: str) -> str:
    form = LoginForm()
    form.email.errors = [message]
    return render_template("accounts/login.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limited(LOG_IN_PER_IP, page=_login_limited)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        limit = auth.account_limit()
        # The lookup key is the account's identity however the address is typed.
        secret = settings().secret_key
        key = login_limits.account_key(lookup_key(form.email.data), secret)
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


_RESET_SENT = "reset_sent"


def _forgot_limited(message: str) -> str:
    form = ForgotPasswordForm()
    form.email.errors = [message]
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limited(ACCOUNT_EMAIL_PER_IP, ACCOUNT_EMAIL_PER_ADDRESS, page=_forgot_limited)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        session = get_session()
        email = reset.request_reset(session, form.email.data)
        session.commit()
        # The same redirect and page for every address: only the mailbox learns more.
        browser_session[_RESET_SENT] = email
        return redirect(url_for("accounts.reset_sent"))
    status = 422 if has_errors(form) else 200
    return render_template("accounts/forgot_password.html", form=form), status


@bp.get("/password/forgot/sent")
def reset_sent():
    email = browser_session.get(_RESET_SENT)
    if not email:
        return redirect(url_for("accounts.forgot_password"))
    minutes = int(tokens.RESET_LINK_MAX_AGE.total_seconds() // 60)
    return render_template("accounts/reset_sent.html", email=email, minutes=minutes)


def reset_link_refused(exc: tokens.LinkInvalid):
    page = render_template(
        "accounts/link_invalid.html",
        message=exc.message,
        retry_url=url_for("accounts.forgot_password"),
        retry_label="Ask for a new link",
    )
    return page, exc.status_code


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limited(LOG_IN_PER_IP)
def reset_password(token: str):
    """Opening the link only shows the form (mail scanners open links); the password posted
    sets it. Afterwards every session of the account is over, this browser's too, and the
    person logs in with the new password, as OWASP advises: the password manager saves it,
    and no new log-in path skips the log-in page's checks."""
    session = get_session()
    secret = settings().secret_key
    viewer = current_user.id if current_user.is_authenticated else None
    try:
        user = reset.account_for_reset(session, secret, token, viewer_id=viewer)
    except tokens.LinkInvalid as exc:
        return reset_link_refused(exc)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            reset.reset_password(session, secret, user, form.password.data)
        except tokens.LinkInvalid as exc:
            session.rollback()
            return reset_link_refused(exc)
        except Invalid as exc:
            session.rollback()
            form.password.errors.append(exc.message)
        else:
            session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash(
                "Your password is changed and every device was logged out. "
                "Log in with your new password.",
                "success",
            )
            return redirect(url_for("accounts.login"))
    status = 422 if has_errors(form) else 200
    return render_template("accounts/reset_password.html", form=form, user=user), status
