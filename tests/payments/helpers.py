"""Setting the scene for money tests: an owner, a task, an assistant and their proposal."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.contracts.models import Contract
from marketplace.hiring.services import apply_to_task
from marketplace.payments.models import EntryKind, LedgerEntry, PayoutAccount
from tests.factories import make_assistant, make_owner, make_task


def proposal_scene(session, rate_cents: int = 2500):
    owner = make_owner(session)
    task = make_task(session, owner)
    assistant = make_assistant(session, email=f"va-{owner.id}@example.com")
    proposal = apply_to_task(
        session,
        assistant,
        task.id,
        cover_note="I have done exactly this for five bakeries.",
        proposed_rate_cents=rate_cents,
    )
    session.flush()
    return owner, assistant, proposal


QUOTED = re.compile(r'name="quoted_total_cents" value="(\d+)"')


def quoted_total(client, proposal_id: int, hours: int) -> str:
    """The total the hire page shows (and sends back) for these hours."""
    page = client.get(f"/proposals/{proposal_id}/hire?hours={hours}").get_data(as_text=True)
    match = QUOTED.search(page)
    assert match, page
    return match.group(1)


def hire_response(client, proposal_id: int, hours: int):
    """What the owner does: open the hire page for these hours, then hire at the price shown."""
    return client.post(
        f"/proposals/{proposal_id}/hire",
        {
            "hours": str(hours),
            "quoted_total_cents": quoted_total(client, proposal_id, hours),
            "action": "hire",
        },
    )


def hire(client, proposal, hours: int = 10) -> int:
    response = hire_response(client, proposal.id, hours)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/contracts/(\d+)", response.location).group(1))


def checkout_url(client, contract_id: int) -> str:
    response = client.post(f"/contracts/{contract_id}/checkout")
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.location


def contract(session, contract_id: int) -> Contract:
    session.expire_all()
    return session.get(Contract, contract_id)


def ledger(session, contract_id: int) -> list[tuple[EntryKind, int]]:
    session.expire_all()
    rows = session.scalars(
        select(LedgerEntry).where(LedgerEntry.contract_id == contract_id).order_by(LedgerEntry.id)
    )
    return [(row.kind, row.amount_cents) for row in rows]


def funded_contract(client, relay, session, proposal, hours: int = 10) -> int:
    contract_id = hire(client, proposal, hours)
    status, headers, _ = relay.pay(checkout_url(client, contract_id))
    assert status == 303
    relay.deliver(client)
    return contract_id


def connect_payouts(client, relay, session, assistant) -> str:
    client.login_as(assistant)
    response = client.post("/payouts/connect")
    assert response.status_code == 303
    session.expire_all()
    account_id = session.get(PayoutAccount, assistant.id).stripe_account_id
    relay.onboard(account_id)
    relay.deliver(client)
    return account_id
