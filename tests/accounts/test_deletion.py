"""Deleting my account: refused while money is open (saying what to settle), and once done
nothing of me is left to log in with, to find or to read, while the money records stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.accounts.services import authenticate
from marketplace.contracts import services as contracts
from marketplace.contracts.models import (
    Contract,
    ContractKind,
    ContractStatus,
    Milestone,
    MilestoneStatus,
)
from marketplace.db import utcnow
from marketplace.hiring.models import Proposal, ProposalStatus
from marketplace.hiring.services import apply_to_task
from marketplace.messages.models import Message
from marketplace.payments.models import LedgerEntry
from marketplace.tasks.models import Task, TaskStatus
from marketplace.timesheets.models import TimeEntry, Timesheet, TimesheetStatus
from tests.factories import PASSWORD, make_assistant, make_owner, make_task
from tests.messages import files
from tests.messages.attachment_helpers import attachments_of, send_files
from tests.messages.helpers import open_as_owner, send
from tests.reviews.helpers import FEE_BPS, funded, hired, paid_scene


def delete(client, password=PASSWORD, confirm="DELETE"):
    return client.post("/settings/delete", {"password": password, "confirm": confirm})


def test_an_owner_with_nothing_open_deletes_the_account_and_the_money_records_stay(
    client, other_client, db_session
):
    scene = paid_scene(db_session, title="Quarterly bookkeeping")
    owner, va = scene.owner, scene.assistant
    owner.email, owner.display_name = "maria@example.com", "Maria Lopez"
    open_task = make_task(db_session, owner, title="Chase unpaid invoices every Friday")
    ledger_before = db_session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.contract_id == scene.contract.id)
    )
    db_session.commit()
    cid = open_as_owner(client, owner, scene.contract.task, va)
    assert send(client, cid, "My office door code is 4521").status_code == 302
    send_files(client, cid, "The lease", (files.pdf(), "lease.pdf"))
    lease_id = attachments_of(db_session, cid)[0].id

    page = client.get("/settings/delete").get_data(as_text=True)
    assert "cannot be deleted yet" not in page
    response = delete(client)

    assert response.status_code == 302 and response.location.endswith("/")
    assert "Your account is deleted" in client.get("/").get_data(as_text=True)
    assert client.get("/settings").status_code == 302, "this browser is logged out"
    db_session.expire_all()
    gone = db_session.get(User, owner.id)
    assert gone.deleted_at is not None and gone.display_name == "Deleted account"
    assert "maria" not in gone.email and "Maria" not in gone.display_name
    assert authenticate(db_session, "maria@example.com", PASSWORD) is None
    # The address is free: somebody may sign up with it again.
    make_owner(db_session, email="maria@example.com")
    db_session.flush()
    assert db_session.get(Task, open_task.id).status == TaskStatus.CLOSED
    assert "door code" not in db_session.scalar(select(Message.body).where(Message.id > 0))
    # The contract and every ledger row of it are kept, under the anonymised account.
    kept = db_session.get(Contract, scene.contract.id)
    assert kept.status == ContractStatus.PAID and kept.owner_id == owner.id
    assert ledger_before == db_session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.contract_id == kept.id)
    )
    # The assistant still has their contract, and sees who it was with as a deleted account.
    other_client.login_as(va)
    contract_page = other_client.get(f"/contracts/{kept.id}").get_data(as_text=True)
    assert "Deleted account" in contract_page and "Maria" not in contract_page
    assert "Chase unpaid invoices" not in other_client.get("/jobs").get_data(as_text=True)
    # The conversation stays for the assistant, without her words or her file.
    assert attachments_of(db_session, cid) == []
    assert other_client.get(f"/messages/files/{lease_id}").status_code == 404
    assert "door code" not in other_client.get(f"/messages/{cid}").get_data(as_text=True)


def test_open_contracts_block_deletion_and_the_page_says_which_and_why(client, db_session):
    owner = make_owner(db_session)
    contract = funded(db_session, hired(db_session, owner, title="Weekly newsletter"))
    other = contract.assistant.display_name
    db_session.commit()
    client.login_as(owner)

    page = client.get("/settings/delete").get_data(as_text=True)
    assert "cannot be deleted yet" in page
    assert f"“Weekly newsletter” with {other} is funded" in page
    assert f'href="/contracts/{contract.id}"' in page

    response = delete(client)
    assert response.status_code == 409
    assert "Settle the contracts listed above first" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(User, owner.id).deleted_at is None
    assert client.get("/settings").status_code == 200, "still logged in, nothing changed"


def test_a_wrong_password_or_a_missing_confirmation_deletes_nothing(client, db_session):
    owner = make_owner(db_session)
    db_session.commit()
    client.login_as(owner)

    wrong = delete(client, password="not my password")
    unconfirmed = delete(client, confirm="yes")

    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.get_data(as_text=True)
    assert unconfirmed.status_code == 422
    assert "Type DELETE to confirm." in unconfirmed.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(User, owner.id).deleted_at is None


def test_a_deleted_assistant_leaves_every_list_and_their_open_proposals_are_withdrawn(
    client, other_client, db_session
):
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Shopify order follow-ups")
    va = make_assistant(
        db_session, display_name="Joy Nguyen", headline="Shopify order wrangler", skills=["Shopify"]
    )
    proposal = apply_to_task(
        db_session, va, task.id, cover_note="I answer order emails.", proposed_rate_cents=2200
    )
    db_session.commit()
    client.login_as(va)

    assert delete(client).status_code == 302

    db_session.expire_all()
    assert db_session.get(Proposal, proposal.id).status == ProposalStatus.WITHDRAWN
    other_client.login_as(owner)
    assert other_client.get(f"/assistants/{va.id}").status_code == 404
    other_client.logout()
    home = other_client.get("/").get_data(as_text=True)
    assert "Shopify order wrangler" not in home and "Joy Nguyen" not in home


def test_an_hourly_week_not_yet_paid_blocks_deletion_until_it_is(client, db_session):
    owner = make_owner(db_session)
    va = make_assistant(db_session)
    task = make_task(db_session, owner, title="Inbox, ten hours a week")
    proposal = apply_to_task(
        db_session, va, task.id, cover_note="Inbox zero.", proposed_rate_cents=2500
    )
    price = contracts.quote(proposal, 10, FEE_BPS)
    contract = contracts.hire(
        db_session, owner, proposal.id, 10, FEE_BPS, price.total_cents, kind=ContractKind.HOURLY
    )
    contract.status, contract.ended_at = ContractStatus.ENDED, utcnow()
    week_start = (utcnow() - timedelta(days=utcnow().weekday() + 7)).date()
    sheet = Timesheet(
        contract_id=contract.id,
        week_start=week_start,
        status=TimesheetStatus.IN_REVIEW,
        closes_at=utcnow() - timedelta(days=1),
    )
    db_session.add(sheet)
    db_session.flush()
    db_session.add(TimeEntry(timesheet_id=sheet.id, work_date=week_start, minutes=90, memo="Inbox"))
    db_session.commit()
    client.login_as(va)

    page = client.get("/settings/delete").get_data(as_text=True)
    assert f"has the week of {week_start:%d %B %Y} still to be reviewed, paid or paid out" in page
    assert delete(client).status_code == 409

    sheet.status = TimesheetStatus.PAID
    db_session.commit()
    assert delete(client).status_code == 302


def test_a_milestone_refund_stripe_has_not_confirmed_blocks_deletion_until_it_has(
    client, db_session
):
    """A contract paid per milestone ended (one milestone paid out, the next cancelled): the
    cancelled milestone's payment is still on its way back, so the account stays."""
    owner = make_owner(db_session)
    contract = hired(db_session, owner, title="Shop launch in two parts")
    (milestone,) = db_session.scalars(select(Milestone).where(Milestone.contract_id == contract.id))
    contract.status, contract.ended_at = ContractStatus.ENDED, utcnow()
    milestone.status, milestone.payment_intent_id = MilestoneStatus.CANCELLED, "pi_on_its_way"
    db_session.commit()
    client.login_as(owner)

    page = client.get("/settings/delete").get_data(as_text=True)
    assert "“Shop launch in two parts”" in page
    assert "refund that Stripe has not yet confirmed" in page
    assert delete(client).status_code == 409

    milestone.status = MilestoneStatus.REFUNDED  # Stripe confirmed it
    db_session.commit()
    assert "cannot be deleted yet" not in client.get("/settings/delete").get_data(as_text=True)
    assert delete(client).status_code in (302, 303)
    db_session.expire_all()
    assert db_session.get(User, owner.id).deleted_at is not None
