"""A fixed contract funded on the emulator, its assistant able to be paid, at a known moment:
an owner in Los Angeles, so every time the owner is told is read in her zone."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from marketplace.contracts.models import Submission
from marketplace.notifications.models import Kind, Notification
from tests.payments.helpers import connect_payouts, funded_contract, proposal_scene

# Tuesday 1 December 2026, 09:00 in Los Angeles: 14 days on is Tuesday 15 December, 09:00.
START = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
NOTE = "Reconciled November: https://sheets.example.com/nov <b>see tab 2</b>"


def funded_scene(client, other_client, session, relay, time_machine):
    time_machine.move_to(START, tick=False)
    owner, assistant, proposal = proposal_scene(session)
    owner.timezone = "America/Los_Angeles"
    session.flush()
    client.login_as(owner)
    contract_id = funded_contract(client, relay, session, proposal)  # 10 h at $25: $250
    connect_payouts(other_client, relay, session, assistant)  # other_client is the assistant
    return owner, assistant, contract_id


def submit(client, contract_id: int, note: str = NOTE):
    return client.post(f"/contracts/{contract_id}/submit", {"note": note})


def submitted_scene(client, other_client, session, relay, time_machine):
    owner, assistant, contract_id = funded_scene(client, other_client, session, relay, time_machine)
    assert submit(other_client, contract_id).status_code == 302
    return owner, assistant, contract_id


def approve(client, contract_id: int, number: int):
    return client.post(f"/contracts/{contract_id}/approve", {"submission": str(number)})


def request_changes(client, contract_id: int, number: int, note: str):
    return client.post(
        f"/contracts/{contract_id}/request-changes", {"submission": str(number), "changes": note}
    )


def submissions_of(session, contract_id: int) -> list[Submission]:
    session.expire_all()
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.contract_id == contract_id)
            .order_by(Submission.number)
        )
    )


def kinds_for(session, user_id: int) -> list[Kind]:
    session.expire_all()
    return [
        n.kind
        for n in session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
    ]
