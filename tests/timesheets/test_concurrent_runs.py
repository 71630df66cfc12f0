"""Two workers running the weekly clock at the same moment, on committed data in separate
connections: the week closes once, is approved once, charged once and paid out once."""

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from marketplace.db import get_session
from marketplace.payments.models import EntryKind, LedgerEntry, PayoutAccount
from marketplace.timesheets.models import Timesheet, TimesheetStatus
from marketplace.timesheets.runner import run_due
from tests.conftest import Client
from tests.stripe_support import StripeRelay
from tests.timesheets.helpers import hire_hourly, hourly_scene, log
from tests.timesheets.test_weekly_billing import CLOSED, save_card


def test_two_workers_running_the_clock_at_once_charge_the_week_once(
    committed_stripe_app, stripe_emulator, time_machine
):
    app = committed_stripe_app
    relay = StripeRelay(stripe_emulator)
    time_machine.move_to(datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    with app.app_context():
        session = get_session()
        owner, assistant, proposal = hourly_scene(session)
        session.commit()
        assistant_id = assistant.id
        owner_client, va_client = Client(app.test_client()), Client(app.test_client())
        owner_client.login_as(owner)
        va_client.login_as(assistant)
    contract_id = hire_hourly(owner_client, proposal)
    save_card(owner_client, relay)
    va_client.post("/payouts/connect")
    with app.app_context():
        relay.onboard(get_session().get(PayoutAccount, assistant_id).stripe_account_id)
    relay.deliver(owner_client)
    time_machine.move_to(datetime(2026, 12, 9, 12, 0, tzinfo=UTC))
    assert log(va_client, contract_id, "2026-12-08", 4).status_code == 302

    # Past the close and the whole review window: one run closes, approves and charges.
    time_machine.move_to(CLOSED + timedelta(days=5, minutes=1))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                session = get_session()
                barrier.wait()
                run_due(session)
                session.commit()
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors

    with app.app_context():
        session = get_session()
        [sheet] = session.scalars(select(Timesheet).where(Timesheet.contract_id == contract_id))
        assert sheet.status == TimesheetStatus.PAID and sheet.amount_cents == 10000
        counts = dict(
            session.execute(
                select(LedgerEntry.kind, func.count())
                .where(LedgerEntry.contract_id == contract_id)
                .group_by(LedgerEntry.kind)
            ).all()
        )
        assert counts == {EntryKind.CHARGE: 1, EntryKind.FEE: 1, EntryKind.TRANSFER: 1}
    intents = relay.client.v1.payment_intents.list(params={"limit": 100}).data
    charged = [
        i for i in intents if (i.metadata or {}).to_dict().get("timesheet_id") == str(sheet.id)
    ]
    assert [(i.amount, i.status) for i in charged] == [(10000, "succeeded")]
    assert len(relay.transfers(contract_id)) == 1
