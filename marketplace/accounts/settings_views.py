"""The settings page: one page per person, one form per thing to change, each posting to its
own URL (so a message lands on the form it is about). The email preferences keep their own
page, linked from here."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..api import tokens as api_tokens
from ..api.forms import TokenForm
from ..api.models import TokenScope
from ..config import settings
from ..db import get_session, today_in
from ..errors import Conflict, Invalid
from ..forms import show_error, timezone_choices
from ..jobs import enqueue_after_commit
from ..rate_limits import (
    ACCOUNT_EMAIL_PER_ADDRESS,
    EMAIL_CHANGE_PER_ACCOUNT,
    LOG_IN_PER_IP,
    limited,
)
from . import account_settings, deletion, export, tokens
from .forms import (
    ButtonForm,
    DeleteAccountForm,
    EmailChangeForm,
    NameForm,
    PasswordChangeForm,
    TimezoneForm,
)

bp = Blueprint("settings", __name__)


def _page(status: int = 200, **forms):
    user = current_user
    forms = {
        "name_form": NameForm(formdata=None, display_name=user.display_name),
        "password_form": PasswordChangeForm(formdata=None),
        "email_form": EmailChangeForm(formdata=None),
        "button_form": ButtonForm(formdata=None),
        "timezone_form": TimezoneForm(formdata=None, timezone=user.timezone),
        "token_form": TokenForm(formdata=None),
        "new_token": None,
        **forms,
    }
    tokens = api_tokens.live_tokens(get_session(), user)
    return (
        render_template(
            "accounts/settings.html", api_tokens=tokens, zones=timezone_choices(), **forms
        ),
        status,
    )


def _refused(form, exc: Invalid, fields: dict[str, str], key: str):
    """Re-show the page with the service's reason on the field it is about."""
    get_session().rollback()
    getattr(form, fields.get(exc.field or "", next(iter(fields.values())))).errors.append(
        exc.message
    )
    return _page(422, **{key: form})


@bp.get("/settings")
@login_required
def page():
    return _page()


@bp.get("/settings/export")
@login_required
def export_data():
    """Everything of the person's, as a JSON file (accounts.export says what and why)."""
    data = export.export_for(get_session(), current_user)
    day = today_in(current_user.timezone).isoformat()
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="delegate-data-{day}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/settings/name")
@login_required
def change_name():
    form = NameForm()
    if not form.validate_on_submit():
        return _page(422, name_form=form)
    session = get_session()
    try:
        account_settings.change_name(session, current_user, form.display_name.data)
    except Invalid as exc:
        return _refused(form, exc, {"display_name": "display_name"}, "name_form")
    session.commit()
    flash("Your name is saved.", "success")
    return redirect(url_for("settings.page"))


@bp.post("/settings/timezone")
@login_required
def change_timezone():
    form = TimezoneForm()
    if not form.validate_on_submit():
        return _page(422, timezone_form=form)
    session = get_session()
    user = current_user._get_current_object()
    if account_settings.change_timezone(session, user, form.timezone.data):
        if user.is_assistant:
            # Working hours moved with the zone: overlap with every task changes.
            enqueue_after_commit(session, "matches.match_assistant", user.id)
        session.commit()
    flash(f"Times are now shown in {form.timezone.data}.", "success")
    return redirect(url_for("settings.page"))


def _password_limited(message: str) -> str:
    form = PasswordChangeForm()
    form.current_password.errors = [message]
    return _page(429, password_form=form)[0]


@bp.post("/settings/password")
@login_required
@limited(LOG_IN_PER_IP, page=_password_limited)
def change_password():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _page(422, password_form=form)
    session = get_session()
    user = current_user._get_current_object()
    try:
        account_settings.change_password(
            session, user, form.current_password.data, form.new_password.data
        )
    except Invalid as exc:
        fields = {"current_password": "current_password", "password": "new_password"}
        return _refused(form, exc, fields, "password_form")
    session.commit()
    # Every session of the account ended with the change; this browser gets a new one.
    login_user(user)
    flash("Your password is changed. Every other device was logged out.", "success")
    return redirect(url_for("settings.page"))


def _address_limited(message: str) -> str:
    form = EmailChangeForm()
    form.email.errors = [message]
    return _page(429, email_form=form)[0]


@bp.post("/settings/address")
@login_required
@limited(LOG_IN_PER_IP, EMAIL_CHANGE_PER_ACCOUNT, ACCOUNT_EMAIL_PER_ADDRESS, page=_address_limited)
def change_email():
    form = EmailChangeForm()
    if not form.validate_on_submit():
        return _page(422, email_form=form)
    session = get_session()
    try:
        new = account_settings.request_email_change(
            session, current_user, form.email.data, form.password.data
        )
    except Invalid as exc:
        return _refused(form, exc, {"email": "email", "password": "password"}, "email_form")
    session.commit()
    flash(
        f"We sent a link to {new}: follow it to confirm the new address. Until then you log "
        f"in with {current_user.email}, which we told of the change.",
        "info",
    )
    return redirect(url_for("settings.page"))


@bp.post("/settings/address/cancel")
@login_required
def cancel_email_change():
    form = ButtonForm()
    if form.validate_on_submit():
        session = get_session()
        account_settings.cancel_email_change(session, current_user)
        session.commit()
        flash("The change of address is cancelled: its link no longer works.", "info")
    return redirect(url_for("settings.page"))


def _link_refused(exc: tokens.LinkInvalid):
    page = render_template(
        "accounts/link_invalid.html",
        message=exc.message,
        retry_url=url_for("settings.page"),
        retry_label="Your settings",
    )
    return page, exc.status_code


@bp.route("/settings/address/confirm/<token>", methods=["GET", "POST"])
@limited(LOG_IN_PER_IP)
def confirm_email(token: str):
    """Opening the link asks for a click (mail scanners open links); the click moves the
    account. No log-in is needed: the link proves the new mailbox, and only somebody who knew
    the password could have asked for it."""
    session = get_session()
    viewer = current_user.id if current_user.is_authenticated else None
    try:
        user = account_settings.account_for_email_link(
            session, settings().secret_key, token, viewer_id=viewer
        )
    except tokens.LinkInvalid as exc:
        return _link_refused(exc)
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            new = account_settings.confirm_email_change(session, user)
        except tokens.LinkInvalid as exc:
            session.rollback()
            return _link_refused(exc)
        session.commit()
        flash(f"Your email address is now {new}. Log in with it from now on.", "success")
        return redirect(url_for("settings.page" if viewer else "accounts.login"))
    return render_template("accounts/confirm_email.html", form=form, user=user, token=token)


def _deletion_page(form: DeleteAccountForm, status: int = 200):
    blockers = deletion.blockers(get_session(), current_user)
    page = render_template(
        "accounts/delete_account.html",
        form=form,
        blockers=blockers,
        confirm_word=deletion.CONFIRM_WORD,
    )
    return page, status


def _deletion_limited(message: str) -> str:
    form = DeleteAccountForm()
    form.password.errors = [message]
    return _deletion_page(form, 429)[0]


@bp.get("/settings/delete")
@login_required
def delete_account_page():
    return _deletion_page(DeleteAccountForm(formdata=None))


@bp.post("/settings/delete")
@login_required
@limited(LOG_IN_PER_IP, page=_deletion_limited)
def delete_account():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return _deletion_page(form, 422)
    session = get_session()
    try:
        deletion.delete_account(
            session, current_user._get_current_object(), form.password.data, form.confirm.data
        )
    except Invalid as exc:
        session.rollback()
        show_error(form, exc)
        return _deletion_page(form, 422)
    except Conflict as exc:
        session.rollback()
        flash(exc.message, "error")
        return _deletion_page(form, 409)
    session.commit()
    logout_user()
    flash("Your account is deleted. Thank you for having worked with Delegate.", "info")
    return redirect(url_for("accounts.index"))


@bp.post("/settings/tokens")
@login_required
def create_token():
    """The new token's secret is on this response's page and nowhere else, ever: it is not
    stored (only its hash), and the page is not a redirect target a reload could show again."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(422, token_form=form)
    session = get_session()
    try:
        expires_at = api_tokens.expiry_for(form.lifetime_days, form.expires_on.data)
        new = api_tokens.create_token(
            session, current_user, form.name.data, TokenScope(form.scope.data), expires_at
        )
    except Invalid as exc:
        fields = {"name": "name", "expires_in": "expires_in", "expires_on": "expires_on"}
        return _refused(form, exc, fields, "token_form")
    session.commit()
    page, status = _page(201, new_token=new)
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    form = ButtonForm()
    if form.validate_on_submit():
        session = get_session()
        api_tokens.revoke_token(session, current_user, token_id)
        session.commit()
        flash("The token is revoked: it no longer works.", "info")
    return redirect(url_for("settings.page"))
