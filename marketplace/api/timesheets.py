"""/api/v1 timesheets of hourly contracts: the weeks and their entries; the assistant logs,
edits and deletes time in the week running; the owner approves a closed week or disputes
entries with a reason. The time form's checks and the timesheet services' rules, as on the
site; the approved week is charged by the settle job after the commit, never in the request.
"""

from __future__ import annotations

from ..contracts import services as contracts
from ..db import get_session
from ..errors import NotFound
from ..jobs import enqueue_after_commit
from ..timesheets import services
from ..timesheets.forms import TimeForm
from ..timesheets.models import TimesheetStatus
from . import inputs, paging
from .auth import api_blueprint, api_user
from .schemas import (
    PageArgs,
    ReviewIn,
    TimeEntryIn,
    TimeEntryOut,
    TimesheetPage,
    TimesheetWithEntries,
)

bp = api_blueprint("timesheets", "Log time on hourly contracts and review the weeks.")
NO_TIMESHEETS = "This contract has no timesheets."


def _hourly_contract(contract_id: int):
    contract = contracts.contract_for(get_session(), api_user(), contract_id)
    if not contract.is_hourly:
        raise NotFound(NO_TIMESHEETS)
    return contract


@bp.get("/contracts/<int:contract_id>/timesheets")
@bp.arguments(PageArgs, location="query")
@bp.response(200, TimesheetPage)
def weeks(args: dict, contract_id: int):
    """The weeks of one of your hourly contracts, newest first."""
    sheets = services.timesheets_of(get_session(), _hourly_contract(contract_id))
    return paging.page(sheets, paging.position(args.get("cursor")), args["limit"])


@bp.get("/timesheets/<int:timesheet_id>")
@bp.response(200, TimesheetWithEntries)
def week(timesheet_id: int):
    """One week with its entries (a disputed entry has its reason)."""
    return services.timesheet_for(get_session(), api_user(), timesheet_id)


@bp.post("/contracts/<int:contract_id>/time-entries")
@bp.arguments(TimeEntryIn)
@bp.response(201, TimeEntryOut)
def log_time(data: dict, contract_id: int):
    """Log time worked on a day of the week running (assistants), in your time zone."""
    _hourly_contract(contract_id)  # a stranger's 404 before the input is judged
    form = inputs.checked(TimeForm, data)
    session = get_session()
    entry = services.log_time(session, api_user(), contract_id, form.entry())
    session.commit()
    return entry


@bp.put("/time-entries/<int:entry_id>")
@bp.arguments(TimeEntryIn)
@bp.response(200, TimeEntryOut)
def edit_entry(data: dict, entry_id: int):
    """Replace one of your entries while its week is running (assistants)."""
    form = inputs.checked(TimeForm, data)
    session = get_session()
    entry = services.edit_entry(session, api_user(), entry_id, form.entry())
    session.commit()
    return entry


@bp.delete("/time-entries/<int:entry_id>")
@bp.response(204)
def delete_entry(entry_id: int):
    """Delete one of your entries while its week is running (assistants)."""
    session = get_session()
    services.delete_entry(session, api_user(), entry_id)
    session.commit()


@bp.post("/timesheets/<int:timesheet_id>/review")
@bp.arguments(ReviewIn)
@bp.response(200, TimesheetWithEntries)
def review(data: dict, timesheet_id: int):
    """Approve a closed week (owners), minus the entries you dispute, each with a reason.
    The approved time is charged to your saved card in the background."""
    disputes = {d["entry_id"]: d["reason"] for d in data["disputes"]}
    # The service names the page's field for a reason ("reason-<entry id>"); the client sent
    # a list, so it is told which item of it is at fault.
    renames = {
        f"disputes.{i}.reason": f"reason-{d['entry_id']}" for i, d in enumerate(data["disputes"])
    }
    session = get_session()
    with inputs.api_field_names(renames):
        sheet = services.review(session, api_user(), timesheet_id, disputes)
    if sheet.status == TimesheetStatus.APPROVED:
        enqueue_after_commit(session, "timesheets.settle", sheet.id)
    session.commit()
    return services.timesheet_for(session, api_user(), timesheet_id)
