"""/api/v1 contract state changes: funding, submitting, approving, asking for changes and
cancelling a fixed contract; pausing, resuming and ending an hourly one.

The contracts, submissions, payments and timesheets services decide, as on the site, and
their forms check the notes. Stripe is never waited on inside the request's transaction:
the state change commits first (approve and cancel), or an attempt number is committed
before Stripe is asked for its payment page (checkout); the idempotency keys are built from
our ids, so a retry (or the reconcile command) finds what an interrupted request made.
"""

from __future__ import annotations

from ..contracts import services as contracts
from ..contracts import submissions
from ..contracts.forms import AnswerForm, SubmitWorkForm
from ..db import get_session
from ..payments import flows, milestone_funding
from ..payments import runner as payment_runner
from ..payments.gateway import get_gateway
from ..payments.views import checkout_urls
from ..timesheets import services as timesheets
from . import inputs
from .auth import api_blueprint, api_user
from .schemas import AnswerIn, ChangesIn, CheckoutOut, ContractOut, SubmitIn

bp = api_blueprint("contracts", "Fund, deliver, approve, cancel, pause and end contracts.")


@bp.post("/contracts/<int:contract_id>/checkout")
@bp.response(200, CheckoutOut)
def checkout(contract_id: int):
    """Start funding a fixed contract (owners): the Stripe Checkout page to open. A page
    still open is given again; the contract is funded when Stripe confirms the payment."""
    return {
        "url": flows.checkout(get_session(), api_user(), contract_id, checkout_urls(contract_id))
    }


@bp.post("/contracts/<int:contract_id>/milestones/<int:number>/checkout")
@bp.response(200, CheckoutOut)
def milestone_checkout(contract_id: int, number: int):
    """Fund one milestone of a contract paid for a milestone at a time (owners): the Stripe
    Checkout page to open. Milestone 1 is paid at hire, each next one once the one before is
    approved; the milestone is funded when Stripe confirms the payment."""
    urls = checkout_urls(contract_id)
    return {"url": milestone_funding.checkout(get_session(), api_user(), contract_id, number, urls)}


@bp.post("/contracts/<int:contract_id>/submit")
@bp.arguments(SubmitIn)
@bp.response(200, ContractOut)
def submit(data: dict, contract_id: int):
    """Deliver the work of a funded fixed contract (assistants), saying what was delivered;
    the owner approves it or asks for changes."""
    session = get_session()
    user = api_user()
    contract = contracts.contract_for(session, user, contract_id)
    submissions.check_can_submit(contract, user)
    form = inputs.checked(SubmitWorkForm, data)
    submissions.submit(session, user, contract_id, form.note.data)
    session.commit()
    return contracts.contract_for(session, user, contract_id)


@bp.post("/contracts/<int:contract_id>/approve")
@bp.arguments(AnswerIn)
@bp.response(200, ContractOut)
def approve(data: dict, contract_id: int):
    """Approve the submitted work (owners): the assistant is paid out. ``submission`` is
    the number you read; a newer one is a 409."""
    session = get_session()
    contract = submissions.approve(session, api_user(), contract_id, data.get("submission"))
    session.commit()  # the approval stands even if the transfer has to wait
    payment_runner.pay_out_now(session, get_gateway(), contract.id)
    session.commit()
    return contracts.contract_for(session, api_user(), contract_id)


@bp.post("/contracts/<int:contract_id>/request-changes")
@bp.arguments(ChangesIn)
@bp.response(200, ContractOut)
def request_changes(data: dict, contract_id: int):
    """Send the submitted work back with what should change (owners)."""
    session = get_session()
    user = api_user()
    contract = contracts.contract_for(session, user, contract_id)
    number = data.get("submission")
    submissions.check_can_answer(session, contract, user, number)
    form = inputs.checked(AnswerForm, {"changes": data["changes"]})
    submissions.request_changes(session, user, contract_id, number, form.changes.data)
    session.commit()
    return contracts.contract_for(session, user, contract_id)


@bp.post("/contracts/<int:contract_id>/cancel")
@bp.response(200, ContractOut)
def cancel(contract_id: int):
    """Cancel a fixed contract before the work is submitted (owners); what was paid is
    refunded in full."""
    return flows.cancel(get_session(), api_user(), contract_id)


@bp.post("/contracts/<int:contract_id>/pause")
@bp.response(200, ContractOut)
def pause(contract_id: int):
    """Pause an active hourly contract (owners): no new time can be logged."""
    return _change(timesheets.pause, contract_id)


@bp.post("/contracts/<int:contract_id>/resume")
@bp.response(200, ContractOut)
def resume(contract_id: int):
    """Resume a paused hourly contract (owners)."""
    return _change(timesheets.resume, contract_id)


@bp.post("/contracts/<int:contract_id>/end")
@bp.response(200, ContractOut)
def end(contract_id: int):
    """End an hourly contract (either side); time already logged is still reviewed and paid."""
    return _change(timesheets.end, contract_id)


def _change(change, contract_id: int):
    session = get_session()
    contract = change(session, api_user(), contract_id)
    session.commit()
    return contract
