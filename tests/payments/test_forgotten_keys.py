"""A retry after Stripe forgot the idempotency key (it keeps one 24 hours) moves no money twice.

Stripe did the charge, transfer or refund but its answer never reached us (and no webhook
came); the real retry path (the weekly runner, the operator's retry) asks again a day later.
The gateway finds the first object by the key stamped in its metadata instead of making a
second one; within the key's lifetime the key alone answers, with no extra request. Through
the real stripe library and the emulator, whose clock moves with the suite's."""

from __future__ import annotations

from datetime import timedelta

import pytest
import stripe

from marketplace.contracts.models import MilestoneStatus
from marketplace.db import utcnow
from marketplace.operator.models import Resolution, ResolutionStatus
from marketplace.payments import gateway as gateway_module
from marketplace.payments.gateway import StripeGateway
from marketplace.payments.models import EntryKind as K
from marketplace.timesheets.models import TimesheetStatus
from tests.contracts.helpers import approve, submit
from tests.contracts.test_milestone_funding import fund, hired_in_parts, milestone
from tests.operator.test_disputes import resolve, scene, stripe_says
from tests.payments.helpers import (
    connect_payouts,
    contract,
    funded_contract,
    ledger,
    proposal_scene,
)
from tests.payments.test_reconcile import reconcile
from tests.timesheets.helpers import sheet_of
from tests.timesheets.test_weekly_billing import CLOSED, WEEK, run, week_worked

JUST_IN_TIME = timedelta(hours=23, minutes=59)  # Stripe still has the key
A_DAY_LATER = timedelta(hours=25)  # Stripe has forgotten it
LATER = pytest.mark.parametrize("later", [JUST_IN_TIME, A_DAY_LATER], ids=["23h59", "25h"])
# 6 h 30 min at $25/h, fee 10%: what the auto-approved week moves.
WEEK_ROWS = [(K.CHARGE, 16250), (K.FEE, 1625), (K.TRANSFER, 14625)]


@pytest.fixture
def lose_answers(monkeypatch):
    """``lose_answers("create_transfer")``: from then on Stripe does that call but its answer
    never reaches us (a timeout on the way back). Returns a switch to turn it off."""
    lost = {"on": True}

    def lose(method: str):
        real = getattr(StripeGateway, method)

        def call_then_lose_the_answer(self, *args, **kwargs):
            answer = real(self, *args, **kwargs)
            if lost["on"]:
                raise stripe.APIConnectionError("Timed out reading Stripe's answer")
            return answer

        monkeypatch.setattr(StripeGateway, method, call_then_lose_the_answer)
        return lost

    return lose


@pytest.fixture
def lookups(monkeypatch):
    """The keys the gateway looked for at Stripe (one list request each)."""
    seen: list[str] = []
    real = gateway_module._stamped

    def spy(objects, key):
        seen.append(key)
        return real(objects, key)

    monkeypatch.setattr(gateway_module, "_stamped", spy)
    return seen


def week_intents(relay, sheet_id: int) -> list:
    intents = relay.client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return [i for i in intents if i.metadata.to_dict().get("timesheet_id") == str(sheet_id)]


def auto_approved_week(app, client, other_client, db_session, relay, time_machine, lose, call):
    """A week approved by the clock at CLOSED + 5 days, whose ``call`` to Stripe loses its
    answer; returns (contract id, the moment of that call)."""
    _owner, _assistant, contract_id = week_worked(
        client, other_client, db_session, relay, time_machine
    )
    time_machine.move_to(CLOSED, tick=False)
    run(app, db_session)
    lost = lose(call)
    approved = CLOSED + timedelta(days=5)
    time_machine.move_to(approved, tick=False)
    assert run(app, db_session).auto_approved == 1
    lost["on"] = False
    return contract_id, approved


@LATER
def test_a_weeks_charge_retried_after_its_answer_was_lost_charges_once(
    app, client, other_client, db_session, stripe_relay, time_machine, lose_answers, lookups, later
):
    contract_id, charged = auto_approved_week(
        app, client, other_client, db_session, stripe_relay, time_machine, lose_answers,
        "charge_off_session",
    )  # fmt: skip
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.status == TimesheetStatus.APPROVED  # we do not know Stripe charged it
    assert len(week_intents(stripe_relay, sheet.id)) == 1

    time_machine.move_to(charged + later, tick=False)
    report = run(app, db_session)  # the runner's next pass charges the week again

    assert (report.charged, report.paid_out) == (1, 1)
    sheet = sheet_of(db_session, contract_id, WEEK)
    [intent] = week_intents(stripe_relay, sheet.id)
    assert (intent.amount, intent.status) == (16250, "succeeded")
    assert sheet.status == TimesheetStatus.PAID and sheet.payment_intent_id == intent.id
    assert ledger(db_session, contract_id) == WEEK_ROWS
    assert lookups == ([] if later == JUST_IN_TIME else [f"timesheet-{sheet.id}-charge"])


@LATER
def test_a_weeks_payout_retried_after_its_answer_was_lost_transfers_once(
    app, client, other_client, db_session, stripe_relay, time_machine, lose_answers, lookups, later
):
    contract_id, paid = auto_approved_week(
        app, client, other_client, db_session, stripe_relay, time_machine, lose_answers,
        "create_transfer",
    )  # fmt: skip
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.status == TimesheetStatus.CHARGED  # the payout's answer was lost
    assert [t.amount for t in stripe_relay.transfers(contract_id)] == [14625]

    time_machine.move_to(paid + later, tick=False)
    assert run(app, db_session).paid_out == 1

    sheet = sheet_of(db_session, contract_id, WEEK)
    [transfer] = stripe_relay.transfers(contract_id)
    assert transfer.amount == 14625 and sheet.transfer_id == transfer.id
    assert sheet.status == TimesheetStatus.PAID
    assert ledger(db_session, contract_id) == WEEK_ROWS
    key = f"contract-{contract_id}-transfer-timesheet-{sheet.id}"
    assert lookups == ([] if later == JUST_IN_TIME else [key])


@LATER
def test_an_operators_partial_refund_retried_after_its_answer_was_lost_refunds_once(
    app, client, other_client, db_session, stripe_relay, time_machine, lose_answers, lookups, later
):
    decided = utcnow().replace(microsecond=0) + timedelta(minutes=1)
    time_machine.move_to(decided, tick=False)
    _owner, _assistant, _operator, contract_id = scene(
        client, other_client, db_session, stripe_relay
    )
    lost = lose_answers("create_refund")
    assert resolve(client, contract_id, "refund", "100.00").status_code == 303
    lost["on"] = False
    db_session.expire_all()
    resolution = db_session.query(Resolution).filter_by(contract_id=contract_id).one()
    assert resolution.status == ResolutionStatus.SETTLING and resolution.refund_id is None
    refunds, _ = stripe_says(contract_id, db_session, stripe_relay, app)
    assert [cents for _, cents in refunds] == [10000]  # Stripe did refund

    time_machine.move_to(decided + later, tick=False)
    retry = client.post(
        f"/operator/resolutions/{resolution.id}/retry", {"reason": "Stripe timed out"}
    )
    assert retry.status_code == 303

    refunds, transfers = stripe_says(contract_id, db_session, stripe_relay, app)
    assert [cents for _, cents in refunds] == [10000]
    assert [cents for _, cents in transfers] == [13500]
    db_session.expire_all()
    resolution = db_session.get_one(Resolution, resolution.id)
    assert resolution.status == ResolutionStatus.SETTLED
    assert resolution.refund_id == refunds[0][0]
    assert [row for row in ledger(db_session, contract_id) if row[0] == K.REFUND] == [
        (K.REFUND, 10000)
    ]
    assert contract(db_session, contract_id).refund_id == refunds[0][0]
    # The transfer's first attempt came as late: looked for once too (one list request).
    keys = [
        f"contract-{contract_id}-{kind}-resolution-{resolution.id}"
        for kind in ("refund", "transfer")
    ]
    assert lookups == ([] if later == JUST_IN_TIME else keys)


@LATER
def test_a_milestones_payout_retried_after_its_answer_was_lost_transfers_once(
    app, client, other_client, db_session, stripe_relay, time_machine, lose_answers, lookups, later
):
    _owner, assistant, contract_id = hired_in_parts(client, db_session, time_machine)
    fund(client, stripe_relay, contract_id)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    assert submit(other_client, contract_id, "The draft chart.").status_code == 302
    lost = lose_answers("create_transfer")
    assert approve(client, contract_id, 1).status_code == 302
    lost["on"] = False
    first = milestone(db_session, contract_id, 1)
    assert first.status == MilestoneStatus.APPROVED  # we do not know Stripe paid it out
    assert [t.amount for t in stripe_relay.transfers(contract_id)] == [13500]

    time_machine.move_to(first.approved_at + later, tick=False)
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output

    [transfer] = stripe_relay.transfers(contract_id)
    assert transfer.amount == 13500
    assert milestone(db_session, contract_id, 1).status == MilestoneStatus.PAID
    key = f"contract-{contract_id}-milestone-1-transfer"
    # Within a day of the approval the key alone answers; later the stamp is looked for.
    assert lookups == ([] if later == JUST_IN_TIME else [key])


@LATER
def test_a_cancelled_contracts_refund_retried_after_its_answer_was_lost_refunds_once(
    app, client, db_session, stripe_relay, time_machine, lose_answers, later
):
    cancelled = utcnow().replace(microsecond=0) + timedelta(minutes=1)
    time_machine.move_to(cancelled, tick=False)
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    lost = lose_answers("create_refund")
    assert client.post(f"/contracts/{contract_id}/cancel").status_code == 302
    lost["on"] = False
    assert contract(db_session, contract_id).refund_id is None  # the answer never came
    intent = contract(db_session, contract_id).payment_intent_id
    assert len(stripe_relay.client.v1.refunds.list(params={"payment_intent": intent}).data) == 1

    time_machine.move_to(cancelled + later, tick=False)
    reconcile(app)
    stripe_relay.deliver(client)

    refunds = stripe_relay.client.v1.refunds.list(params={"payment_intent": intent}).data
    assert [r.amount for r in refunds] == [25000]
    assert contract(db_session, contract_id).refund_id == refunds[0].id
    assert [row for row in ledger(db_session, contract_id) if row[0] == K.REFUND] == [
        (K.REFUND, 25000)
    ]
