"""Hiring from a proposal and following a contract through its states."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..accounts.access import assistant_required, owner_required
from ..config import settings
from ..db import get_session
from ..errors import Invalid
from ..filters import CURRENCY_SYMBOLS, format_money
from ..forms import has_errors
from ..hiring.services import owned_proposal
from ..payments import flows, milestone_funding
from ..payments import runner as payment_runner
from ..payments.cards import saved_card
from ..payments.gateway import get_gateway
from ..payments.models import PayoutAccount
from ..reviews import services as reviews
from ..reviews.forms import ReviewForm
from ..tasks.models import Engagement
from . import milestones, services, submissions
from .forms import AnswerForm, HireForm, SubmitWorkForm
from .models import ContractKind, ContractStatus

bp = Blueprint("contracts", __name__)
CONFIRM_POLLS = 40  # the page looks again every 3 s, for two minutes, while Stripe confirms


def _fee_bps() -> int:
    return settings().platform_fee_bps


@bp.route("/proposals/<int:proposal_id>/hire", methods=["GET", "POST"])
@owner_required
def hire(proposal_id: int):
    session = get_session()
    proposal = owned_proposal(session, current_user, proposal_id)
    form = HireForm()
    if not form.is_submitted():
        form.hours.data = request.args.get("hours", type=int) or proposal.task.weekly_hours or 1
        form.openings.data = proposal.task.openings
    if not form.kind.data:
        # Ongoing work is hired by the hour; a one-off by default for its hours.
        form.kind.data = (
            ContractKind.HOURLY.value
            if proposal.task.engagement == Engagement.RECURRING
            else ContractKind.FIXED.value
        )
    changed, full, milestone_error = None, False, None
    action = request.form.get("action")
    if action == "more" and len(form.milestones) < form.milestones.max_entries:
        form.milestones.append_entry()
    if form.validate_on_submit() and action not in ("quote", "more"):
        quoted = request.form.get("quoted_total_cents", type=int)
        kind = ContractKind(form.kind.data)
        try:
            contract = services.hire(
                session,
                current_user,
                proposal_id,
                form.hours.data,
                _fee_bps(),
                quoted,
                kind,
                form.ends_on.data,
                form.openings.data,
                form.milestone_parts(),
            )
        except services.PriceChanged as exc:
            changed = exc.message
        except (Invalid, services.TaskFull) as exc:  # e.g. more hours than a week allows
            if exc.field == "milestones":
                milestone_error = exc.message
            by_name = {"ends_on": form.ends_on, "openings": form.openings}
            field = by_name.get(exc.field or "hours", form.hours)
            if exc.field != "milestones":
                field.errors = [*field.errors, exc.message]
            full = isinstance(exc, services.TaskFull)
        else:
            session.commit()
            flash(
                "Hourly contract started: the assistant logs time, you review each week."
                if contract.is_hourly
                else "Contract created. Fund it to let the work start.",
                "success",
            )
            return redirect(url_for("contracts.show", contract_id=contract.id))
    if form.kind.data == ContractKind.HOURLY.value:
        form.hours.label.text = "Weekly limit (hours)"
    hours = form.hours.data if isinstance(form.hours.data, int) and form.hours.data > 0 else 1
    price = services.quote(proposal, min(hours, services.MAX_HOURS), _fee_bps())
    status = 409 if changed or full else 422 if has_errors(form) or milestone_error else 200
    return render_template(
        "contracts/hire.html",
        form=form,
        proposal=proposal,
        price=price,
        changed=changed,
        milestone_error=milestone_error,
        fee_bps=_fee_bps(),
        hourly=form.kind.data == ContractKind.HOURLY.value,
        max_hours=services.MAX_HOURS,
        currency_symbol=CURRENCY_SYMBOLS.get(price.currency, price.currency + " "),
    ), status


@bp.post("/tasks/<int:task_id>/accept-invitation")
@assistant_required
def accept_invitation(task_id: int):
    session = get_session()
    contract = services.accept_invitation(session, current_user, task_id, _fee_bps())
    session.commit()
    flash("You accepted. The owner has been asked to fund the contract.", "success")
    return redirect(url_for("contracts.show", contract_id=contract.id))


@bp.get("/contracts")
@login_required
def index():
    return render_template(
        "contracts/index.html", contracts=services.contracts_of(get_session(), current_user)
    )


@bp.get("/contracts/<int:contract_id>")
@login_required
def show(contract_id: int):
    session = get_session()
    return _page(services.contract_for(session, current_user, contract_id))


def _page(contract, status: int = 200, submit_form=None, answer_form=None):
    """The contract page; with a form sent back with a mistake in it, that form's words."""
    session = get_session()
    payout_account = session.get(PayoutAccount, contract.assistant_id)
    returned = request.args.get("checkout")
    # Funded a milestone at a time: the one the owner is asked to pay for now, if any.
    due = milestone_funding.to_fund(session, contract)
    if contract.funded_per_milestone:
        paying = due.checkout_session_id if due else None
    elif contract.status == ContractStatus.AWAITING_FUNDING:
        paying = contract.checkout_session_id
    else:
        paying = None
    # Back from a paid Checkout Session that is still this contract's: Stripe's webhook is
    # seconds away, so an older "card declined" and the Pay button would only mislead.
    confirming = (
        returned == "done" and paying is not None and request.args.get("session_id") == paying
    )
    poll = request.args.get("poll", 0, type=int)
    history = [] if contract.is_hourly else submissions.history(session, contract)
    parts = [] if contract.is_hourly else milestones.of(session, contract.id)
    return render_template(
        "contracts/show.html",
        contract=contract,
        saved_card=saved_card(session, contract.owner_id) if contract.is_hourly else None,
        party=contract.party(current_user),
        payout_ready=bool(payout_account and payout_account.payouts_enabled),
        review=reviews.state_for(session, current_user, contract, reviews.configured_window()),
        review_form=ReviewForm(formdata=None),
        submissions=history,
        milestones=parts,
        current_milestone=next((m for m in parts if m.status in milestones.UNRELEASED), None),
        due=due,
        payment_error=due.last_payment_error if due else contract.last_payment_error,
        released=any(m.status in milestones.RELEASED for m in parts),
        waiting=next((s for s in history if s.waiting), None),
        release_days=f"{settings().auto_release_days:g}",
        submit_form=submit_form or SubmitWorkForm(formdata=None),
        answer_form=answer_form or AnswerForm(formdata=None),
        returned=returned,
        confirming=confirming,
        next_poll=(
            url_for(
                "contracts.show",
                contract_id=contract.id,
                checkout="done",
                session_id=paying,
                poll=poll + 1,
            )
            if confirming and poll < CONFIRM_POLLS
            else None
        ),
    ), status


@bp.post("/contracts/<int:contract_id>/submit")
@login_required
def submit(contract_id: int):
    session = get_session()
    contract = services.contract_for(session, current_user, contract_id)  # a stranger's 404
    form = SubmitWorkForm()
    if form.validate():
        try:
            submissions.submit(session, current_user, contract_id, form.note.data)
        except Invalid as exc:
            session.rollback()
            form.note.errors.append(exc.message)
        else:
            session.commit()
            flash(
                "Submitted. The owner has been asked to approve it or to ask for changes.",
                "success",
            )
            return redirect(url_for("contracts.show", contract_id=contract_id))
    else:
        # Already submitted, frozen or not the assistant: that says more than the form.
        submissions.check_can_submit(contract, current_user)
    return _page(contract, 422, submit_form=form)


def _shown_submission() -> int | None:
    """The submission the owner's page showed (a stale page's answer is a Conflict)."""
    return request.form.get("submission", type=int)


@bp.post("/contracts/<int:contract_id>/approve")
@login_required
def approve(contract_id: int):
    session = get_session()
    contract = submissions.approve(session, current_user, contract_id, _shown_submission())
    session.commit()  # the approval stands even if the transfer has to wait
    if payment_runner.pay_out_now(session, get_gateway(), contract.id):
        flash("Approved. The assistant's payment is on its way.", "success")
    elif contract.payout_hold:
        flash(f"Approved. The payout is on hold: {contract.payout_hold}", "info")
    elif _payouts_enabled(session, contract.assistant_id):
        flash(
            "Approved. Stripe did not take the payout just now; it is sent again shortly.", "info"
        )
    else:
        flash(
            "Approved. The payout is sent as soon as the assistant's Stripe account is ready.",
            "info",
        )
    session.commit()
    return redirect(url_for("contracts.show", contract_id=contract_id))


def _payouts_enabled(session, assistant_id: int) -> bool:
    account = session.get(PayoutAccount, assistant_id)
    return bool(account and account.payouts_enabled)


@bp.post("/contracts/<int:contract_id>/request-changes")
@login_required
def request_changes(contract_id: int):
    session = get_session()
    contract = services.contract_for(session, current_user, contract_id)  # a stranger's 404
    form = AnswerForm()
    number = _shown_submission()
    if form.validate():
        try:
            submissions.request_changes(
                session, current_user, contract_id, number, form.changes.data
            )
        except Invalid as exc:
            session.rollback()
            form.changes.errors.append(exc.message)
        else:
            session.commit()
            flash(
                f"Sent back to {contract.assistant.display_name} with your note. "
                "They can submit again when the changes are made.",
                "success",
            )
            return redirect(url_for("contracts.show", contract_id=contract_id))
    else:
        submissions.check_can_answer(session, contract, current_user, number)
    return _page(contract, 422, answer_form=form)


@bp.post("/contracts/<int:contract_id>/cancel")
@login_required
def cancel(contract_id: int):
    session = get_session()
    contract = flows.cancel(session, current_user, contract_id)
    if contract.funded_per_milestone:
        refunding = milestone_funding.being_refunded(session, contract)
        flash(
            f"Cancelled. {format_money(refunding, contract.currency)} paid for milestones not "
            "yet released is being refunded; released milestones stay paid."
            if refunding
            else "Cancelled. Nothing more is charged.",
            "info",
        )
    elif contract.payment_intent_id:
        flash("Cancelled. Your payment is being refunded in full.", "info")
    else:
        flash("Cancelled. Nothing was charged.", "info")
    return redirect(url_for("contracts.show", contract_id=contract_id))
