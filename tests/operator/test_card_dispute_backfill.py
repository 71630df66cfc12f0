"""Upgrading to the card-dispute records (migration 0040) keeps every dispute of a fixed
contract heard before: each is copied in as open, its amount unknown (the event's amount was
never stored); an hourly contract's, held on its week instead, is not."""

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role, User
from marketplace.contracts.models import ContractKind, ContractStatus
from marketplace.migrate import alembic_config, upgrade_database
from marketplace.payments.models import StripeEvent
from tests.contracts.test_milestone_backfill import _contract

HEARD = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_disputes_heard_before_the_table_are_copied_in_open_with_no_amount(tmp_path):
    url = f"sqlite:///{tmp_path / 'card_disputes.sqlite3'}"
    upgrade_database(url)
    command.downgrade(alembic_config(url), "0039_settlement_payout_hold")
    engine = create_engine(url)
    with Session(engine) as session:
        owner, assistant = (
            User(email=f"{r.value}@example.com", password_hash="x", role=r, display_name=r.value)
            for r in (Role.OWNER, Role.ASSISTANT)
        )
        session.add_all([owner, assistant])
        session.flush()
        fixed = _contract(
            session, owner, assistant, ContractStatus.PAID, payment_intent_id="pi_fixed"
        )
        hourly = _contract(
            session, owner, assistant, ContractStatus.ACTIVE, kind=ContractKind.HOURLY
        )
        session.add_all(
            [
                StripeEvent(
                    id="evt_1", type="charge.dispute.created", contract_id=fixed, received_at=HEARD
                ),
                StripeEvent(id="evt_2", type="charge.refunded", contract_id=fixed),
                StripeEvent(id="evt_3", type="charge.dispute.created", contract_id=hourly),
            ]
        )
        session.commit()

    upgrade_database(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT contract_id, payment_intent_id, amount_cents, currency,"
                " stripe_dispute_id, outcome, handled_at, opened_at FROM card_disputes"
            )
        ).all()
    engine.dispose()
    assert len(rows) == 1, rows  # the fixed contract's dispute, not the refund nor the week's
    (row,) = rows
    assert row[:7] == (fixed, "pi_fixed", None, "USD", None, None, None)
    assert str(row[7]).startswith("2026-11-20 09:30")  # when it was heard


def test_the_console_says_a_copied_disputes_amount_was_not_recorded(
    client, other_client, db_session, stripe_relay
):
    from marketplace.payments.models import CardDispute
    from tests.operator.test_disputes import scene

    _, _, _, contract_id = scene(client, other_client, db_session, stripe_relay)
    # A row as the migration copies it: no Stripe id, no amount.
    db_session.add(
        CardDispute(contract_id=contract_id, currency="USD", opened_at=HEARD, amount_cents=None)
    )
    db_session.flush()
    page = client.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    section = page.split('id="card-disputes"', 1)[1].split("</section>", 1)[0]
    assert "Amount not recorded (see Stripe)" in section and " disputed<" not in section, section
