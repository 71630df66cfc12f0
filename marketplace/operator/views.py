"""The operator console: plain Flask views behind one check.

Anyone who is not a logged-in operator gets the same 404 as for a page that never existed,
on every /operator URL and method (the console's existence is not advertised), before CSRF
or anything else is looked at. Pages are GETs that only read; every action is a POST with a
CSRF token and a reason, and writes its audit row in the same transaction.
"""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import User
from ..contracts import milestones
from ..contracts.models import MONEY_HELD, Contract
from ..db import get_session, utcnow
from ..errors import Conflict, DomainError, Invalid, NotFound
from ..payments import card_disputes
from ..payments.gateway import get_gateway
from ..payments.models import CardDispute, PayoutAccount
from ..reports import services as reports
from ..reviews import services as reviews
from ..tasks.models import Task
from ..timesheets import disputes, runner
from ..timesheets.models import DisputeSettlement, SettlementOutcome, SettlementStatus, Timesheet
from ..timesheets.services import timesheets_of
from . import card_disputes as dispute_handling
from . import milestone_disputes, search, services
from .models import Outcome, Resolution, ResolutionStatus

URL_PREFIX = "/operator"
bp = Blueprint("operator", __name__, url_prefix=URL_PREFIX)


def is_operator() -> bool:
    return bool(current_user.is_authenticated and current_user.is_operator)


def guard() -> None:
    """Registered on the app ahead of CSRF (see ``init_app``)."""
    path = request.path
    if (path == URL_PREFIX or path.startswith(URL_PREFIX + "/")) and not is_operator():
        abort(404)


def init_app(app) -> None:
    app.register_blueprint(bp)
    # First of the app's before_request functions: a stranger's POST gets the 404, not
    # "form expired" from the CSRF check (which would tell them something is here).
    app.before_request_funcs.setdefault(None, []).insert(0, guard)


def _q() -> str:
    return search.clean(request.args.get("q"))


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


# Pages ---------------------------------------------------------------------------------------
@bp.get("/")
def home():
    session = get_session()
    settling = list(
        session.scalars(
            select(Resolution)
            .where(Resolution.status == ResolutionStatus.SETTLING)
            .order_by(Resolution.id)
        )
    )
    return render_template(
        "operator/home.html",
        reports=reports.open_queue(session),
        settling=settling,
        disputed_weeks=disputes.weeks_to_settle(session),
        paid_disputes=card_disputes.open_after_payout(session),
        audit=search.audit_log(session, 1).items[:10],
    )


@bp.get("/users")
def users():
    q = _q()
    return render_template(
        "operator/users.html", q=q, results=search.users(get_session(), q, _page())
    )


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    session = get_session()
    person = session.get(User, user_id)
    if person is None:
        raise NotFound("No such account.")
    return render_template(
        "operator/user.html",
        person=person,
        tasks=list(
            session.scalars(
                select(Task).where(Task.owner_id == user_id).order_by(Task.id.desc()).limit(50)
            )
        ),
        contracts=services.live_contracts_of(session, user_id),
        reviews_written=reviews.written_by(session, user_id),
        reviews_received=reviews.received_by(session, user_id, visible_only=False),
        now=utcnow(),
        audit=search.audit_log(session, 1, ("user", user_id)).items,
    )


@bp.get("/tasks")
def tasks():
    q = _q()
    return render_template(
        "operator/tasks.html", q=q, results=search.tasks(get_session(), q, _page())
    )


@bp.get("/contracts")
def contracts():
    q = _q()
    return render_template(
        "operator/contracts.html", q=q, results=search.contracts(get_session(), q, _page())
    )


@bp.get("/contracts/<int:contract_id>")
def contract(contract_id: int):
    session = get_session()
    found = session.get(Contract, contract_id)
    if found is None:
        raise NotFound("No such contract.")
    account = session.get(PayoutAccount, found.assistant_id)
    history = search.contract_history(session, found)
    return render_template(
        "operator/contract.html",
        contract=found,
        history=history,
        card_disputes=card_disputes.of_contract(session, found.id),
        disputed_after_payout=found.status not in MONEY_HELD,
        held=milestones.held_cents(session, found),
        resolvable=found.status in MONEY_HELD
        and found.payment_intent_id is not None
        and found.resolution_started_at is None,
        disputable_milestones=milestone_disputes.disputable(session, found),
        payout_ready=bool(account and account.payouts_enabled),
        weeks=timesheets_of(session, found) if found.is_hourly else [],
        disputed_weeks=disputes.weeks_to_settle(session, found.id) if found.is_hourly else [],
        form=request.form,
    )


@bp.get("/timesheets/<int:timesheet_id>")
def timesheet(timesheet_id: int, status: int = 200):
    """One week of an hourly contract: its disputed entries to settle, and the decisions."""
    session = get_session()
    sheet = session.get(Timesheet, timesheet_id)
    if sheet is None:
        raise NotFound("No such timesheet.")
    undecided = disputes.undecided(sheet)
    return render_template(
        "operator/timesheet.html",
        sheet=sheet,
        contract=sheet.contract,
        undecided=undecided,
        undecided_minutes=sum(e.minutes for e in undecided),
        settlements=disputes.settlements_of(session, sheet.id),
        audit=search.audit_log(session, 1, ("timesheet", sheet.id)).items,
    ), status


@bp.get("/payments")
def payments():
    q = _q()
    return render_template(
        "operator/payments.html", q=q, results=search.payments(get_session(), q, _page())
    )


@bp.get("/reports")
def report_queue(status: int = 200):
    """Open reports of messages and people, oldest first, each with its actions."""
    return render_template("operator/reports.html", items=reports.open_queue(get_session())), status


@bp.get("/audit")
def audit():
    return render_template("operator/audit.html", results=search.audit_log(get_session(), _page()))


# Actions -------------------------------------------------------------------------------------
def _back_to_user(user_id: int):
    return redirect(url_for("operator.user", user_id=user_id), code=303)


@bp.post("/users/<int:user_id>/suspend")
def suspend(user_id: int):
    session = get_session()
    services.suspend(session, current_user, user_id, request.form.get("reason", ""))
    session.commit()
    flash("Suspended: the account is logged out everywhere and its contracts are frozen.", "info")
    return _back_to_user(user_id)


@bp.post("/users/<int:user_id>/reinstate")
def reinstate(user_id: int):
    session = get_session()
    services.reinstate(session, current_user, user_id, request.form.get("reason", ""))
    session.commit()
    flash("Reinstated: the account can log in again.", "success")
    return _back_to_user(user_id)


@bp.post("/contracts/<int:contract_id>/resolve")
def resolve(contract_id: int):
    return _resolve(contract_id, services.resolve)


@bp.post("/contracts/<int:contract_id>/milestones/<int:number>/resolve")
def resolve_milestone(contract_id: int, number: int):
    """A dispute on one milestone of a contract paid a milestone at a time."""
    return _resolve(contract_id, partial(milestone_disputes.resolve, number=number))


def _resolve(contract_id: int, decide):
    session = get_session()
    form = request.form
    try:
        outcome = Outcome(form.get("outcome", ""))
    except ValueError:
        outcome = None
    try:
        if outcome is None:
            raise Invalid("Choose what happens to the money.", "outcome")
        refund_cents = services.parse_cents(form.get("refund")) if outcome == Outcome.REFUND else 0
        resolution = decide(
            session,
            current_user,
            contract_id,
            outcome=outcome,
            refund_cents=refund_cents,
            note=form.get("note", ""),
            reason=form.get("reason", ""),
        )
    except Invalid as exc:
        session.rollback()
        return _contract_page_with_error(contract_id, exc)
    session.commit()  # decided and claimed, with its audit row, before Stripe is called
    return _settle(session, resolution.id, contract_id)


@bp.post("/resolutions/<int:resolution_id>/retry")
def retry(resolution_id: int):
    session = get_session()
    gateway = get_gateway()
    rid = services.retry(
        session, gateway, current_user, resolution_id, request.form.get("reason", "")
    )
    contract_id = session.get_one(Resolution, rid).contract_id
    session.commit()
    return _settle(session, rid, contract_id, gateway)


@bp.post("/timesheets/<int:timesheet_id>/settle")
def settle_timesheet(timesheet_id: int):
    session = get_session()
    form = request.form
    try:
        outcome = SettlementOutcome(form.get("outcome", ""))
    except ValueError:
        outcome = None
    try:
        if outcome is None:
            raise Invalid("Choose: pay the assistant, or uphold the dispute.", "outcome")
        entry = form.get("entry", "all")
        if entry != "all" and not entry.isdigit():
            raise Invalid("Choose a disputed entry, or the week's disputed time.", "entry")
        pay = outcome == SettlementOutcome.PAY
        settlement = disputes.decide(
            session,
            current_user,
            timesheet_id,
            None if entry == "all" else int(entry),
            outcome,
            disputes.parse_minutes(form.get("hours"), form.get("minutes")) if pay else 0,
            form.get("note", ""),
            form.get("reason", ""),
        )
    except Invalid as exc:
        session.rollback()
        flash(exc.message, "error")
        return timesheet(timesheet_id, exc.status_code)
    session.commit()  # decided and claimed, with its audit row, before Stripe is called
    return _settle_dispute(session, settlement.id, timesheet_id)


@bp.post("/timesheet-settlements/<int:settlement_id>/retry")
def retry_timesheet_settlement(settlement_id: int):
    session = get_session()
    settlement = disputes.retry(
        session, current_user, settlement_id, request.form.get("reason", "")
    )
    timesheet_id = settlement.timesheet_id
    session.commit()
    return _settle_dispute(session, settlement_id, timesheet_id)


@bp.post("/card-disputes/<int:dispute_id>/handled")
def card_dispute_handled(dispute_id: int):
    """Mark a card dispute after the payout handled (won, lost, dismissed), with a note."""
    session = get_session()
    form = request.form
    try:
        dispute = dispute_handling.mark_handled(
            session,
            current_user,
            dispute_id,
            dispute_handling.parse_outcome(form.get("outcome")),
            form.get("note", ""),
            form.get("reason", ""),
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        found = session.get(CardDispute, dispute_id)
        if found is None:
            raise
        return _contract_page_with_error(found.contract_id, exc)
    contract_id = dispute.contract_id
    session.commit()
    flash("Marked handled: the dispute has left the console's queue.", "success")
    return redirect(url_for("operator.contract", contract_id=contract_id), code=303)


def _on_report(act, *args) -> object:
    """Run one report action (it closes the report by a compare-and-set) and commit it."""
    session = get_session()
    try:
        closed = act(session, current_user, *args, request.form.get("reason", ""))
    except Invalid as exc:
        session.rollback()
        flash(exc.message, "error")
        return report_queue(exc.status_code)
    session.commit()
    flash(
        f"Done: {closed} report{'s' if closed != 1 else ''} closed, the reporters told.", "success"
    )
    return redirect(url_for("operator.report_queue"), code=303)


@bp.post("/message-reports/<int:report_id>/dismiss")
def dismiss_message_report(report_id: int):
    return _on_report(reports.dismiss, reports.MESSAGE, report_id)


@bp.post("/message-reports/<int:report_id>/remove")
def remove_reported_message(report_id: int):
    return _on_report(reports.remove_message, report_id)


@bp.post("/message-reports/<int:report_id>/suspend")
def suspend_message_sender(report_id: int):
    return _on_report(reports.suspend_person, reports.MESSAGE, report_id)


@bp.post("/profile-reports/<int:report_id>/dismiss")
def dismiss_profile_report(report_id: int):
    return _on_report(reports.dismiss, reports.PROFILE, report_id)


@bp.post("/profile-reports/<int:report_id>/suspend")
def suspend_reported_person(report_id: int):
    return _on_report(reports.suspend_person, reports.PROFILE, report_id)


SETTLEMENT_FLASHES = {
    SettlementStatus.SETTLED: ("Settled. Both parties have been emailed your note.", "success"),
    SettlementStatus.CHARGED: (
        "The owner has paid and both parties have been emailed your note; the assistant's "
        "share waits: {error}",
        "info",
    ),
    SettlementStatus.CHARGE_FAILED: (
        "Decided, but the owner's card was declined: {error} They have been emailed to update "
        "their card; retry below once they have.",
        "error",
    ),
    SettlementStatus.CHARGING: ("Decided, but not charged yet: {error} Retry below.", "error"),
}


def _settle_dispute(session, settlement_id: int, timesheet_id: int):
    status = runner.settle_dispute(session, get_gateway(), settlement_id)
    settlement = session.get(DisputeSettlement, settlement_id)
    message, category = SETTLEMENT_FLASHES[status]
    flash(message.format(error=settlement.last_error or ""), category)
    return redirect(url_for("operator.timesheet", timesheet_id=timesheet_id), code=303)


def _settle(session, resolution_id: int, contract_id: int, gateway=None):
    resolution = services.settle(session, gateway or get_gateway(), resolution_id)
    session.commit()
    if resolution.status == ResolutionStatus.SETTLED:
        flash("Settled. Both parties have been emailed your note.", "success")
    else:
        flash(f"Decided, but not settled yet: {resolution.last_error} Retry below.", "error")
    return redirect(url_for("operator.contract", contract_id=contract_id), code=303)


def _contract_page_with_error(contract_id: int, exc: DomainError):
    flash(exc.message, "error")
    response = contract(contract_id)
    return response, exc.status_code
