"""Hourly contracts' pages: the weeks and the log-time form, one week's timesheet and its
review, the receipt, and pausing or ending the contract."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..contracts import services as contracts
from ..db import get_session, today_in
from ..errors import DomainError, NotFound
from ..forms import has_errors, show_error
from ..payments import cards
from ..payments.gateway import get_gateway
from . import billing, pay_pages, payment_events, services  # noqa: F401 (their webhooks, hooks)
from .forms import TimeForm
from .models import TimesheetStatus
from .weeks import format_minutes, week_end, week_start

bp = Blueprint("timesheets", __name__)


def _hourly_contract(contract_id: int):
    contract = contracts.contract_for(get_session(), current_user, contract_id)
    if not contract.is_hourly:
        raise NotFound("This contract has no timesheets.")
    return contract


@bp.app_template_filter("duration")
def _duration(minutes: int | None) -> str:
    return format_minutes(minutes or 0)


def _time_page(contract, form: TimeForm, status: int = 200, editing: int | None = None):
    session = get_session()
    sheets = services.timesheets_of(session, contract)
    zone = services.zone_of(contract.assistant)
    this_week = week_start(today_in(zone))
    current = next((s for s in sheets if s.week_start == this_week), None)
    return render_template(
        "timesheets/contract.html",
        contract=contract,
        party=contract.party(current_user),
        form=form,
        editing=editing,
        sheets=sheets,
        current=current,
        this_week=this_week,
        this_week_end=week_end(this_week),
        closes_at=services.week_closes_at(contract, this_week),
        owner_zone=services.zone_of(contract.owner),
        assistant_zone=zone,
        no_time=services.why_no_time(session, contract),
    ), status


@bp.get("/contracts/<int:contract_id>/time")
@login_required
def contract_time(contract_id: int):
    contract = _hourly_contract(contract_id)
    form = TimeForm()
    if not form.is_submitted():
        form.work_date.data = today_in(services.zone_of(contract.assistant))
    return _time_page(contract, form)


@bp.post("/contracts/<int:contract_id>/time")
@login_required
def log_time(contract_id: int):
    _hourly_contract(contract_id)  # a 404 for anyone but its parties, before the form is read
    form = TimeForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            services.log_time(session, current_user, contract_id, form.entry())
        except DomainError as exc:
            session.rollback()
            if exc.status_code in (403, 404):
                raise
            show_error(form, exc)
        else:
            session.commit()
            flash(f"Logged {format_minutes(form.entry().minutes)}.", "success")
            return redirect(url_for("timesheets.contract_time", contract_id=contract_id))
    return _time_page(_hourly_contract(contract_id), form, 422 if has_errors(form) else 409)


@bp.post("/time-entries/<int:entry_id>/edit")
@login_required
def edit_entry(entry_id: int):
    session = get_session()
    form = TimeForm()
    contract_id = request.form.get("contract_id", type=int) or abort(400)
    if form.validate_on_submit():
        try:
            services.edit_entry(session, current_user, entry_id, form.entry())
        except DomainError as exc:
            session.rollback()
            if exc.status_code in (403, 404):
                raise
            show_error(form, exc)
        else:
            session.commit()
            flash("Entry updated.", "success")
            return redirect(url_for("timesheets.contract_time", contract_id=contract_id))
    return _time_page(_hourly_contract(contract_id), form, 422, editing=entry_id)


@bp.post("/time-entries/<int:entry_id>/delete")
@login_required
def delete_entry(entry_id: int):
    session = get_session()
    contract = services.delete_entry(session, current_user, entry_id)
    session.commit()
    flash("Entry deleted.", "info")
    return redirect(url_for("timesheets.contract_time", contract_id=contract.id))


@bp.get("/timesheets/<int:timesheet_id>")
@login_required
def show(timesheet_id: int):
    sheet = services.timesheet_for(get_session(), current_user, timesheet_id)
    return _week_page(sheet)


def _week_page(sheet, errors: dict | None = None, status: int = 200):
    contract = sheet.contract
    # Settlements of the week's disputed time whose own payment the owner took back.
    held = {e.settlement.id: e.settlement for e in sheet.entries if e.settlement is not None}
    return render_template(
        "timesheets/show.html",
        sheet=sheet,
        contract=contract,
        party=contract.party(current_user),
        owner_zone=services.zone_of(contract.owner),
        assistant_zone=services.zone_of(contract.assistant),
        errors=errors or {},
        disputed=set(),
        settlements_held=[s for _, s in sorted(held.items()) if s.payout_hold],
    ), status


@bp.post("/timesheets/<int:timesheet_id>/review")
@login_required
def review(timesheet_id: int):
    session = get_session()
    sheet = services.timesheet_for(session, current_user, timesheet_id)
    # An entry is approved unless its box is unticked; an unticked one needs a reason.
    kept = set(request.form.getlist("approve", type=int))
    disputes = {
        e.id: (request.form.get(f"reason-{e.id}") or "").strip()
        for e in sheet.entries
        if e.id not in kept
    }
    try:
        sheet = services.review(session, current_user, timesheet_id, disputes)
    except DomainError as exc:
        session.rollback()
        if exc.status_code in (403, 404):
            raise
        sheet = services.timesheet_for(session, current_user, timesheet_id)
        return _week_page(sheet, {exc.field or "form": exc.message}, exc.status_code)
    session.commit()
    if sheet.status == TimesheetStatus.APPROVED:
        from ..jobs import enqueue_after_commit

        enqueue_after_commit(session, "timesheets.settle", sheet.id)
        session.commit()
        flash("Approved. Your card is charged for the approved time.", "success")
    else:
        flash("Done. Nothing is charged for this week.", "info")
    return redirect(url_for("timesheets.show", timesheet_id=timesheet_id))


@bp.post("/timesheets/<int:timesheet_id>/pay")
@login_required
def pay(timesheet_id: int):
    """After a failed charge: pay the week on Stripe's page (which saves that card)."""
    session = get_session()
    sheet = billing.start_paying_on_session(session, current_user, timesheet_id)
    session.commit()
    amount_cents, _fee, _net = sheet.billed  # a failed charge was of an approved week
    page = cards.payment_checkout_url(
        session,
        get_gateway(),
        current_user,
        amount_cents=amount_cents,
        currency=sheet.contract.currency,
        description=billing.description(sheet),
        idempotency_key=billing.checkout_key(sheet),
        metadata=billing.payment_metadata(sheet),
        return_to=url_for("timesheets.show", timesheet_id=sheet.id),
    )
    billing.remember_pay_page(session, sheet, page.id)
    session.commit()
    return redirect(page.url, code=303)


@bp.get("/timesheets/<int:timesheet_id>/receipt")
@login_required
def receipt(timesheet_id: int):
    sheet = services.timesheet_for(get_session(), current_user, timesheet_id)
    if sheet.status not in (TimesheetStatus.CHARGED, TimesheetStatus.PAID):
        raise NotFound("This week has not been paid; there is no receipt yet.")
    return render_template("timesheets/receipt.html", sheet=sheet, contract=sheet.contract)


# The owner pauses and resumes; either side ends. Each answers with what it means for time.
CONTRACT_ACTIONS = {
    "pause": (services.pause, "Paused. The assistant cannot log new time until you resume."),
    "resume": (services.resume, "Resumed. Time can be logged again."),
    "end": (
        services.end,
        "Contract ended. Time already logged still goes through review and payment.",
    ),
}


@bp.post("/contracts/<int:contract_id>/<any(pause, resume, end):action>")
@login_required
def contract_action(contract_id: int, action: str):
    change, done = CONTRACT_ACTIONS[action]
    session = get_session()
    change(session, current_user, contract_id)
    session.commit()
    flash(done, "info")
    return redirect(url_for("contracts.show", contract_id=contract_id))
