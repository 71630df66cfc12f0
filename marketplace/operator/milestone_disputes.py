"""Settling a dispute on one milestone of a contract paid a milestone at a time.

Each such milestone has its own payment (``payments.milestone_funding``), so only the
disputed one is settled: the milestone funded and not released, its money released in full,
refunded in full, or split. It goes through the same two steps as a whole contract's
settlement (``services.resolve_subject``, then ``services.settle``), its Stripe keys naming the
milestone; once recorded, the milestone is closed and the contract goes on with the next
one, or ends if it was the last.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..contracts import milestones
from ..contracts import services as contracts
from ..contracts.models import (
    MONEY_HELD,
    Contract,
    ContractStatus,
    Milestone,
    MilestoneStatus,
    Submission,
    SubmissionAnswer,
)
from ..db import utcnow
from ..errors import Conflict, NotFound
from ..payments import ledger
from ..payments import services as payments
from ..payments.models import EntryKind
from ..reviews import services as reviews
from . import services
from .models import Outcome, Resolution

SUBJECT = "milestone"
# Funded and not released: the owner's money for it is held, and nobody has had it yet.
DISPUTABLE = (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED)


def disputable(session: Session, contract: Contract) -> list[Milestone]:
    """The milestones an operator can settle now (the console offers each)."""
    if not contract.funded_per_milestone or contract.resolution_started_at is not None:
        return []
    return [
        m
        for m in milestones.of(session, contract.id)
        if m.status in DISPUTABLE and m.payment_intent_id is not None
    ]


def subject(milestone: Milestone) -> services.DisputeSubject:
    label = f"Milestone {milestone.number}"
    return services.DisputeSubject(
        SUBJECT, milestone.id, milestone.contract_id, milestone.amount_cents, label
    )


def resolve(
    session: Session,
    operator: User,
    contract_id: int,
    number: int,
    outcome: Outcome,
    refund_cents: int,
    note: str,
    reason: str,
) -> Resolution:
    """Decide the dispute on milestone ``number`` and claim its contract for the settlement
    (``services.resolve_subject``: one operator at a time, committed before Stripe)."""
    contract = contracts.lock(session, contract_id)
    milestone = next((m for m in milestones.of(session, contract.id) if m.number == number), None)
    if not contract.funded_per_milestone or milestone is None:
        raise NotFound(f"This contract has no milestone {number} paid on its own.")
    if milestone.status not in DISPUTABLE or milestone.payment_intent_id is None:
        raise Conflict(
            f"Milestone {number} is {milestone.status.label.lower()}: there is no held money "
            "to settle."
        )
    held = (milestone.amount_cents, milestone.fee_cents)
    return services.resolve_subject(
        session, operator, contract, subject(milestone), held, outcome, refund_cents, note, reason
    )


def of(session: Session, resolution: Resolution) -> Milestone | None:
    """The milestone a resolution settles, if it settles one."""
    if resolution.subject_type != SUBJECT:
        return None
    return session.get_one(Milestone, resolution.subject_id)


def key_suffix(milestone: Milestone, resolution_id: int) -> str:
    """Of the refund and transfer keys (``contract-{id}-refund-{suffix}``): one milestone's."""
    return f"milestone-{milestone.number}-resolution-{resolution_id}"


def record_refund(
    session: Session, contract: Contract, milestone: Milestone, refund_id: str, cents: int
) -> None:
    """The operator's refund of (part of) this milestone's payment, in the ledger, and the
    fee's share of it given up: the bookkeeping of any refund of a milestone's payment."""
    ledger.record(session, contract, EntryKind.REFUND, cents, refund_id)
    payments.reverse_fee_share(
        session,
        contract,
        payment_intent_id=milestone.payment_intent_id,
        paid_cents=milestone.amount_cents,
        fee_cents=milestone.fee_cents,
        refunded_cents=cents,
    )


def finish(
    session: Session, contract: Contract, milestone: Milestone, resolution: Resolution
) -> None:
    """Stripe did what was decided: the milestone is closed (paid, if any of it went to the
    assistant; refunded otherwise), a submission of it waiting for the owner is answered by
    the settlement, and the contract goes on with its next milestone or ends."""
    now = utcnow()
    paid = bool(resolution.transfer_cents)
    _answer_waiting(session, milestone, resolution)
    milestones.move(
        session,
        milestone,
        DISPUTABLE,
        MilestoneStatus.PAID if paid else MilestoneStatus.REFUNDED,
        **(
            {"approved_at": now, "paid_at": now, "transfer_id": resolution.transfer_id}
            if paid
            else {"refund_id": milestone.refund_id or resolution.refund_id}
        ),
    )
    # Settled: the parties carry on with the contract again.
    contract.resolution_started_at = None
    if contract.payout_hold == services.SETTLING_HOLD:
        contract.payout_hold = None
    parts = milestones.of(session, contract.id)
    if any(m.status in milestones.UNRELEASED for m in parts):
        if contract.status != ContractStatus.FUNDED:
            contracts.transition(session, contract, MONEY_HELD, ContractStatus.FUNDED)
    elif any(m.status == MilestoneStatus.PAID for m in parts):
        contracts.transition(
            session,
            contract,
            MONEY_HELD,
            ContractStatus.PAID,
            approved_at=contract.approved_at or now,
            paid_at=now,
            transfer_id=resolution.transfer_id or contract.transfer_id,
        )
        contracts.finish_task(session, contract.task)
        reviews.contract_ended(session, contract)  # work was paid for: both may review it
    else:
        contracts.transition(
            session,
            contract,
            MONEY_HELD,
            ContractStatus.REFUNDED,
            refunded_at=now,
            refund_id=contract.refund_id or resolution.refund_id,
        )
        contracts.ended_without_payout(session, contract)
    session.flush()


def _answer_waiting(session: Session, milestone: Milestone, resolution: Resolution) -> None:
    """A submission of the milestone still waiting is answered by the settlement, so it is
    neither released by the clock later nor in the way of the next milestone's."""
    answer = (
        {"answer": SubmissionAnswer.APPROVED}
        if resolution.transfer_cents
        else {
            "answer": SubmissionAnswer.CHANGES_REQUESTED,
            "answer_note": f"Settled by Delegate's support: {resolution.note}",
        }
    )
    session.execute(
        update(Submission)
        .where(Submission.milestone_id == milestone.id, Submission.answer.is_(None))
        .values(answered_at=utcnow(), **answer)
        .execution_options(synchronize_session=False)
    )
