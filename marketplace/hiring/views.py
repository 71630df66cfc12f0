"""Applying to a task (assistants) and reading proposals (the task's owner)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.access import assistant_required, owner_required
from ..db import get_session
from ..errors import Invalid
from ..forms import has_errors, show_error
from ..profiles.services import get_profile
from ..rate_limits import PROPOSAL_PER_ACCOUNT, PROPOSAL_PER_IP, limited
from ..tasks.services import visible_task
from . import handling, services
from .forms import DeclineForm, ProposalForm
from .models import ProposalStatus

bp = Blueprint("hiring", __name__)


def _apply_limited(message: str) -> str:
    session = get_session()
    task_id = (request.view_args or {})["task_id"]
    task = visible_task(session, current_user, task_id)
    again = services.can_apply_again(services.proposal_of(session, task_id, current_user.id))
    form = ProposalForm()
    form.cover_note.errors = [message]
    return render_template("hiring/apply.html", form=form, task=task, again=again)


@bp.route("/tasks/<int:task_id>/apply", methods=["GET", "POST"])
@assistant_required
@limited(PROPOSAL_PER_ACCOUNT, PROPOSAL_PER_IP, page=_apply_limited)
def apply(task_id: int):
    session = get_session()
    task = visible_task(session, current_user, task_id)  # the task page's rule, not a looser one
    profile = get_profile(session, current_user.id)
    if profile is None:
        flash("Fill in your profile before you apply, so owners can see who you are.", "info")
        return redirect(url_for("profiles.edit"))
    earlier = services.proposal_of(session, task_id, current_user.id)
    again = services.can_apply_again(earlier)
    if earlier is not None and not again and request.method == "GET":
        final = earlier.status == ProposalStatus.WITHDRAWN
        flash(services.WITHDRAWN_FOR_GOOD if final else services.ALREADY_APPLIED, "info")
        return redirect(url_for("tasks.show", task_id=task_id))
    form = ProposalForm()
    if not form.is_submitted():
        # Sending a withdrawn proposal again starts from what it said.
        resent = earlier if again else None
        form.proposed_rate.data = (
            resent.proposed_rate_cents if resent else profile.hourly_rate_cents
        )
        form.cover_note.data = resent.cover_note if resent else None
    if form.validate_on_submit():
        services.apply_to_task(
            session,
            current_user,
            task_id,
            cover_note=form.cover_note.data,
            proposed_rate_cents=form.proposed_rate.data,
        )
        session.commit()
        flash("Your proposal is sent. The owner will see it on their task.", "success")
        return redirect(url_for("hiring.mine"))
    status = 422 if has_errors(form) else 200
    return render_template("hiring/apply.html", form=form, task=task, again=again), status


@bp.get("/tasks/<int:task_id>/proposals")
@owner_required
def for_task(task_id: int):
    task, rows = services.proposals_for_task(get_session(), current_user, task_id)
    shortlisted = [row for row in rows if row.proposal.shortlisted_at is not None]
    only_shortlisted = request.args.get("show") == "shortlisted"
    return render_template(
        "hiring/task_proposals.html",
        task=task,
        rows=shortlisted if only_shortlisted else rows,
        counts={"all": len(rows), "shortlisted": len(shortlisted)},
        only_shortlisted=only_shortlisted,
    )


def _back_to_list(proposal):
    show = "shortlisted" if request.form.get("show") == "shortlisted" else None
    return redirect(url_for("hiring.for_task", task_id=proposal.task_id, show=show))


@bp.post("/proposals/<int:proposal_id>/shortlist")
@owner_required
def shortlist(proposal_id: int):
    session = get_session()
    on = request.form.get("on") == "1"
    proposal = handling.shortlist(session, current_user, proposal_id, on)
    session.commit()
    name = proposal.assistant.display_name
    flash(f"{name} is on your short list." if on else f"{name} is off your short list.", "info")
    return _back_to_list(proposal)


@bp.route("/proposals/<int:proposal_id>/decline", methods=["GET", "POST"])
@owner_required
def decline(proposal_id: int):
    session = get_session()
    proposal = handling.owned_proposal(session, current_user, proposal_id)
    form = DeclineForm()
    if form.validate_on_submit():
        handling.decline(session, current_user, proposal_id, form.reason.data)
        session.commit()
        flash(f"You declined {proposal.assistant.display_name}'s proposal; they are told.", "info")
        return _back_to_list(proposal)
    status = 422 if has_errors(form) else 200
    return render_template("hiring/decline.html", form=form, proposal=proposal), status


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@assistant_required
def edit(proposal_id: int):
    session = get_session()
    proposal = handling.authored_proposal(session, current_user, proposal_id)
    form = ProposalForm()
    if not form.is_submitted():
        form.cover_note.data = proposal.cover_note
        form.proposed_rate.data = proposal.proposed_rate_cents
    if form.validate_on_submit():
        try:
            handling.edit(
                session,
                current_user,
                proposal_id,
                cover_note=form.cover_note.data,
                rate_cents=form.proposed_rate.data,
            )
        except Invalid as exc:
            show_error(form, exc)
        else:
            session.commit()
            flash("Your proposal is updated. The owner sees that you edited it.", "success")
            return redirect(url_for("hiring.mine"))
    status = 422 if has_errors(form) else 200
    return render_template("hiring/edit.html", form=form, proposal=proposal), status


@bp.get("/proposals")
@assistant_required
def mine():
    proposals = services.my_proposals(get_session(), current_user)
    return render_template("hiring/mine.html", proposals=proposals)


@bp.post("/proposals/<int:proposal_id>/withdraw")
@assistant_required
def withdraw(proposal_id: int):
    session = get_session()
    proposal = services.withdraw_proposal(session, current_user, proposal_id)
    session.commit()
    flash(
        "Your proposal is withdrawn for good."
        if proposal.is_last_chance
        else "Your proposal is withdrawn. You can send it again once while the task is open.",
        "info",
    )
    return redirect(url_for("hiring.mine"))
