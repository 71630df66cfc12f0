"""Upgrading to milestones loses nothing: every fixed contract made before gets one milestone,
number 1, for its whole total and fee, in its own state, with its timestamps and transfer,
and its submissions belong to it; hourly contracts get none."""

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role, User
from marketplace.contracts.models import (
    Contract,
    ContractKind,
    ContractStatus,
    Milestone,
    MilestoneStatus,
    Submission,
)
from marketplace.migrate import alembic_config, upgrade_database
from marketplace.tasks.models import BudgetType, Category, Engagement, Task

LONG_AGO = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def _contract(session, owner, assistant, status, kind=ContractKind.FIXED, **values) -> int:
    task = Task(
        owner_id=owner.id,
        title=f"Books {status.value}",
        description="Monthly books.",
        category=Category.BOOKKEEPING,
        engagement=Engagement.ONE_OFF,
        estimated_hours=2,
        budget_type=BudgetType.FIXED,
        budget_cents=5000,
        timezone="UTC",
    )
    session.add(task)
    session.flush()
    hourly = kind == ContractKind.HOURLY
    contract = Contract(
        task_id=task.id,
        owner_id=owner.id,
        assistant_id=assistant.id,
        kind=kind,
        hours=2,
        rate_cents=2500,
        currency="USD",
        total_cents=0 if hourly else 5000,
        fee_cents=0 if hourly else 501,
        fee_bps=1000 if hourly else None,
        status=status,
        created_at=LONG_AGO,
        **values,
    )
    session.add(contract)
    session.flush()
    return contract.id


def test_each_fixed_contract_becomes_its_one_milestone(tmp_path):
    url = f"sqlite:///{tmp_path / 'milestones.sqlite3'}"
    upgrade_database(url)
    command.downgrade(alembic_config(url), "0034_task_openings")
    engine = create_engine(url)
    approved_at = LONG_AGO + timedelta(days=2)
    with Session(engine) as session:
        owner, assistant = (
            User(email=f"{r.value}@example.com", password_hash="x", role=r, display_name=r.value)
            for r in (Role.OWNER, Role.ASSISTANT)
        )
        session.add_all([owner, assistant])
        session.flush()
        ids = {
            "paid": _contract(
                session,
                owner,
                assistant,
                ContractStatus.PAID,
                submitted_at=LONG_AGO,
                approved_at=approved_at,
                paid_at=approved_at,
                transfer_id="tr_before",
            ),
            "submitted": _contract(
                session, owner, assistant, ContractStatus.SUBMITTED, submitted_at=LONG_AGO
            ),
            "awaiting": _contract(session, owner, assistant, ContractStatus.AWAITING_FUNDING),
            "refunded": _contract(session, owner, assistant, ContractStatus.REFUNDED),
            "hourly": _contract(
                session, owner, assistant, ContractStatus.ACTIVE, kind=ContractKind.HOURLY
            ),
        }
        # Submissions as the schema before milestones held them (no milestone column).
        for key, answer in (("paid", "'approved'"), ("submitted", "NULL")):
            session.execute(
                text(
                    "INSERT INTO submissions (contract_id, number, note, submitted_at,"
                    " release_due_at, answer, answered_at, auto_released) VALUES"
                    f" (:c, 1, 'Done.', :at, :due, {answer},"
                    f" {':answered' if answer != 'NULL' else 'NULL'}, 0)"
                ),
                {
                    "c": ids[key],
                    "at": LONG_AGO.isoformat(),
                    "due": (LONG_AGO + timedelta(days=14)).isoformat(),
                    "answered": approved_at.isoformat(),
                },
            )
        session.commit()
    upgrade_database(url)
    with Session(engine) as session:
        rows = {m.contract_id: m for m in session.scalars(select(Milestone))}
        assert set(rows) == {ids[k] for k in ("paid", "submitted", "awaiting", "refunded")}
        paid = rows[ids["paid"]]
        assert (paid.number, paid.title, paid.amount_cents, paid.fee_cents) == (
            1,
            "Books paid",
            5000,
            501,
        )
        assert (paid.status, paid.transfer_id, paid.approved_at, paid.paid_at) == (
            MilestoneStatus.PAID,
            "tr_before",
            approved_at,
            approved_at,
        )
        assert rows[ids["submitted"]].status == MilestoneStatus.SUBMITTED
        assert rows[ids["awaiting"]].status == MilestoneStatus.AWAITING_FUNDING
        assert rows[ids["refunded"]].status == MilestoneStatus.REFUNDED
        assert all(m.created_at == LONG_AGO for m in rows.values())
        belongs = {s.contract_id: s.milestone_id for s in session.scalars(select(Submission))}
        assert belongs == {
            ids["paid"]: rows[ids["paid"]].id,
            ids["submitted"]: rows[ids["submitted"]].id,
        }
    # And back: the downgrade drops the milestones and keeps the submissions.
    command.downgrade(alembic_config(url), "0034_task_openings")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM submissions")) == 2
    engine.dispose()
