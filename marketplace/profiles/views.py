"""An assistant edits their own profile; anyone, logged in or not, reads public profiles."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.access import assistant_required
from ..db import get_session
from ..errors import Invalid
from ..forms import has_errors, timezone_choices
from ..matches.services import invitable_tasks
from ..reviews.services import profile_texts
from . import services
from .forms import ProfileForm

bp = Blueprint("profiles", __name__)


@bp.route("/profile", methods=["GET", "POST"])
@assistant_required
def edit():
    session = get_session()
    profile = services.get_profile(session, current_user.id)
    form = ProfileForm(obj=profile)
    if profile is not None and not form.is_submitted():
        form.hourly_rate.data = profile.hourly_rate_cents
        form.skills.data = [s.name for s in profile.skills]
    elif profile is None and not form.is_submitted():
        form.timezone.data = current_user.timezone
    if form.validate_on_submit():
        try:
            services.update_profile(session, current_user, form.to_input())
        except Invalid as exc:
            getattr(form, exc.field or "headline").errors.append(exc.message)
        else:
            session.commit()
            flash("Your profile is saved.", "success")
            return redirect(url_for("profiles.show", user_id=current_user.id))
    status = 422 if has_errors(form) else 200
    return (
        render_template("profiles/edit.html", form=form, zones=timezone_choices(), profile=profile),
        status,
    )


@bp.get("/assistants")
def directory():
    """Public: anyone may browse assistants' profiles, as on any marketplace."""
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1
    profiles = services.public_profiles(get_session(), page)
    return render_template("profiles/directory.html", profiles=profiles)


@bp.get("/assistants/<int:user_id>")
def show(user_id: int):
    """Public: the profile only (no email, nothing from proposals or contracts)."""
    session = get_session()
    profile = services.get_profile(session, user_id)
    if profile is None or (not profile.user.is_active and current_user.get_id() != str(user_id)):
        abort(404, description="No assistant profile here.")
    # An owner may invite from here to one of their open tasks; a visitor is asked to log in.
    invitable = (
        invitable_tasks(session, current_user, user_id)
        if current_user.is_authenticated and current_user.is_owner
        else []
    )
    return render_template(
        "profiles/show.html",
        profile=profile,
        invitable=invitable,
        reviews=profile_texts(session, user_id),
    )
