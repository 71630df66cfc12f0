"""A contract that has ended (paid out), and what its parties do and see about reviews.

The contract moves through the same compare-and-set transitions the payment services use;
Stripe's part of paying out is tested in tests/payments, and once here end to end
(test_review_requests.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.contracts import services as contracts
from marketplace.contracts.models import Contract, ContractStatus
from marketplace.db import utcnow
from marketplace.hiring.services import apply_to_task
from marketplace.reviews import services as reviews
from marketplace.reviews.models import Review
from marketplace.tasks.models import TaskStatus
from tests.factories import make_assistant, make_owner, make_task

FEE_BPS = 1000


@dataclass
class Scene:
    owner: User
    assistant: User
    contract: Contract


def hired(session, owner=None, assistant=None, **task_kw) -> Contract:
    owner = owner or make_owner(session)
    assistant = assistant or make_assistant(session)
    task = make_task(session, owner, **task_kw)
    proposal = apply_to_task(
        session, assistant, task.id, cover_note="I can do this.", proposed_rate_cents=2500
    )
    price = contracts.quote(proposal, 10, FEE_BPS)
    return contracts.hire(session, owner, proposal.id, 10, FEE_BPS, price.total_cents)


def funded(session, contract: Contract) -> Contract:
    return contracts.transition(
        session,
        contract,
        [ContractStatus.AWAITING_FUNDING],
        ContractStatus.FUNDED,
        funded_at=utcnow(),
    )


def pay_out(session, contract: Contract) -> Contract:
    """Submitted, approved and paid out, as payments.services.pay_out ends it."""
    contracts.transition(
        session, contract, [ContractStatus.FUNDED], ContractStatus.SUBMITTED, submitted_at=utcnow()
    )
    contracts.transition(
        session, contract, [ContractStatus.SUBMITTED], ContractStatus.APPROVED, approved_at=utcnow()
    )
    contract.task.status = TaskStatus.COMPLETED
    contracts.transition(
        session, contract, [ContractStatus.APPROVED], ContractStatus.PAID, paid_at=utcnow()
    )
    reviews.contract_ended(session, contract)
    session.flush()
    return contract


def paid_scene(session, owner=None, assistant=None, **task_kw) -> Scene:
    contract = pay_out(session, funded(session, hired(session, owner, assistant, **task_kw)))
    session.commit()
    return Scene(contract.owner, contract.assistant, contract)


def review(client, contract_id: int, rating, body: str = ""):
    return client.post(f"/contracts/{contract_id}/review", {"rating": str(rating), "body": body})


def page(client, contract_id: int) -> str:
    response = client.get(f"/contracts/{contract_id}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def reviews_section(html: str) -> str:
    match = re.search(r'<section class="card" id="reviews".*?</section>', html, re.S)
    assert match, "no reviews section on the page"
    return match.group(0)


def rows(session, contract_id: int) -> list[Review]:
    session.expire_all()
    return list(
        session.scalars(select(Review).where(Review.contract_id == contract_id).order_by(Review.id))
    )
