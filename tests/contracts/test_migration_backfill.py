"""Upgrading keeps the history of fixed contracts submitted before submissions existed: each
gets a submission 1 (no note), approved ones answered at their approval, and one still waiting
gets the whole release window from the upgrade, so nothing is released the moment it runs."""

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role, User
from marketplace.contracts.models import Contract, ContractStatus, Submission, SubmissionAnswer
from marketplace.migrate import alembic_config, upgrade_database
from marketplace.tasks.models import BudgetType, Category, Engagement, Task

LONG_AGO = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def _contract(session, owner, assistant, status, **moments) -> int:
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
    contract = Contract(
        task_id=task.id,
        owner_id=owner.id,
        assistant_id=assistant.id,
        hours=2,
        rate_cents=2500,
        currency="USD",
        total_cents=5000,
        fee_cents=500,
        status=status,
        **moments,
    )
    session.add(contract)
    session.flush()
    return contract.id


def test_contracts_submitted_before_the_upgrade_keep_their_history(tmp_path):
    url = f"sqlite:///{tmp_path / 'backfill.sqlite3'}"
    upgrade_database(url)
    engine = create_engine(url)
    with Session(engine) as session:
        owner, assistant = (
            User(email=f"{r.value}@example.com", password_hash="x", role=r, display_name=r.value)
            for r in (Role.OWNER, Role.ASSISTANT)
        )
        session.add_all([owner, assistant])
        session.flush()
        waiting = _contract(
            session, owner, assistant, ContractStatus.SUBMITTED, submitted_at=LONG_AGO
        )
        paid = _contract(
            session,
            owner,
            assistant,
            ContractStatus.PAID,
            submitted_at=LONG_AGO,
            approved_at=LONG_AGO + timedelta(days=2),
        )
        funded = _contract(session, owner, assistant, ContractStatus.FUNDED)
        session.commit()
    command.downgrade(alembic_config(url), "0017_hourly_contracts")
    before = datetime.now(UTC)
    upgrade_database(url)
    with Session(engine) as session:
        rows = {s.contract_id: s for s in session.scalars(select(Submission))}
        assert set(rows) == {waiting, paid}  # the funded one was never submitted
        assert (rows[paid].number, rows[paid].note, rows[paid].answer) == (
            1,
            "",
            SubmissionAnswer.APPROVED,
        )
        assert rows[paid].answered_at == LONG_AGO + timedelta(days=2)
        assert rows[waiting].answer is None and rows[waiting].submitted_at == LONG_AGO
        assert rows[waiting].release_due_at >= before + timedelta(days=14)
        assert funded not in rows
    engine.dispose()
