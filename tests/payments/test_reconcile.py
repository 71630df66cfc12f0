"""Lost webhooks: the reconcile command asks Stripe and repairs our state."""

from marketplace.contracts.models import ContractStatus
from marketplace.payments.models import EntryKind, PayoutAccount
from tests.payments.helpers import checkout_url, contract, hire, ledger, proposal_scene


def reconcile(app) -> str:
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    return result.output


def test_reconcile_funds_refunds_and_pays_out_what_webhooks_missed(
    app, client, other_client, db_session, stripe_relay
):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    stripe_relay.pay(checkout_url(client, contract_id))
    # Every webhook is lost from here on: nothing is delivered.
    assert contract(db_session, contract_id).status == ContractStatus.AWAITING_FUNDING
    output = reconcile(app)
    assert f"funded [{contract_id}]" in output
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.FUNDED
    assert ledger(db_session, contract_id) == [(EntryKind.CHARGE, 25000), (EntryKind.FEE, 2500)]
    assert "funded []" in reconcile(app)  # running it again changes nothing

    other_client.login_as(assistant)
    other_client.post("/payouts/connect")
    db_session.expire_all()
    stripe_relay.onboard(db_session.get(PayoutAccount, assistant.id).stripe_account_id)
    other_client.post(
        f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
    )
    client.post(f"/contracts/{contract_id}/approve")
    assert (
        contract(db_session, contract_id).status == ContractStatus.APPROVED
    )  # account.updated lost
    assert f"paid out [{contract_id}]" in reconcile(app)
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    assert len(stripe_relay.transfers(contract_id)) == 1
    reconcile(app)
    assert len(stripe_relay.transfers(contract_id)) == 1


def test_reconcile_completes_a_refund_whose_webhook_was_lost(app, client, db_session, stripe_relay):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    stripe_relay.pay(checkout_url(client, contract_id))
    stripe_relay.deliver(client)
    client.post(f"/contracts/{contract_id}/cancel")
    assert contract(db_session, contract_id).status == ContractStatus.CANCELLED
    assert f"refunded [{contract_id}]" in reconcile(app)
    assert contract(db_session, contract_id).status == ContractStatus.REFUNDED
    assert ledger(db_session, contract_id)[-2:] == [
        (EntryKind.REFUND, 25000),
        (EntryKind.FEE_REVERSAL, 2500),
    ]
    stripe_relay.deliver(client)  # the lost charge.refunded finally arrives: no second row
    assert [k for k, _ in ledger(db_session, contract_id)].count(EntryKind.REFUND) == 1


def test_reconcile_finds_a_funded_contract_refunded_behind_our_back(
    app, client, db_session, stripe_relay, smtp_app, mailbox
):
    from marketplace.tasks.models import Task, TaskStatus
    from tests.payments.helpers import funded_contract

    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    intent = contract(db_session, contract_id).payment_intent_id
    # Refunded in Stripe's dashboard; the webhook never reaches us.
    stripe_relay.client.v1.refunds.create(params={"payment_intent": intent})
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED

    assert f"refunded [{contract_id}]" in reconcile(app)
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.REFUNDED
    assert ledger(db_session, contract_id)[-2:] == [
        (EntryKind.REFUND, 25000),
        (EntryKind.FEE_REVERSAL, 2500),
    ]
    assert db_session.get(Task, c.task_id).status == TaskStatus.OPEN
    title = proposal.task.title
    assert mailbox.to(assistant.email)[-1]["Subject"].strip() == f'Contract cancelled: "{title}"'
    assert "payment for" in mailbox.to(assistant.email)[-1].get_body(("plain",)).get_content()
    assert mailbox.to(owner.email)[-1]["Subject"].strip() == f'Refund of $250 for "{title}"'
    assert "refunded []" in reconcile(app)  # once only
    stripe_relay.deliver(client)  # the lost webhook turns up late: nothing is counted twice
    assert [k for k, _ in ledger(db_session, contract_id)].count(EntryKind.REFUND) == 1


def test_reconcile_holds_the_payout_of_a_submitted_contract_whose_charge_is_disputed(
    app, client, other_client, db_session, stripe_relay
):
    from tests.payments.helpers import connect_payouts, funded_contract
    from tests.stripe_support import http

    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    other_client.post(
        f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
    )
    charge_id = contract(db_session, contract_id).charge_id
    http("POST", f"{stripe_relay.base_url}/_emulator/charges/{charge_id}/dispute")
    # charge.dispute.created is lost: reconcile finds the dispute.
    assert f"payout held [{contract_id}]" in reconcile(app)
    assert "dispute" in contract(db_session, contract_id).payout_hold

    approved = client.post(f"/contracts/{contract_id}/approve", follow_redirects=True)
    assert "The payout is on hold" in approved.get_data(as_text=True)
    assert contract(db_session, contract_id).status == ContractStatus.APPROVED
    reconcile(app)
    assert stripe_relay.transfers(contract_id) == []  # never paid out while disputed


def test_a_dispute_webhook_holds_the_payout(client, other_client, db_session, stripe_relay):
    from tests.payments.helpers import connect_payouts, funded_contract
    from tests.stripe_support import http

    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    charge_id = contract(db_session, contract_id).charge_id
    http("POST", f"{stripe_relay.base_url}/_emulator/charges/{charge_id}/dispute")
    stripe_relay.deliver(client, types={"charge.dispute.created"})
    assert "dispute" in contract(db_session, contract_id).payout_hold
    other_client.post(
        f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
    )
    client.post(f"/contracts/{contract_id}/approve")
    assert stripe_relay.transfers(contract_id) == []


def test_the_hourly_reconcile_job_funds_a_contract_whose_webhooks_were_all_lost(
    app, client, db_session, stripe_relay
):
    """The worker's periodic `payments.reconcile` is the command's pass: nobody has to
    remember to run it for an owner's lost payment to fund the work."""
    from marketplace.jobs import run_job
    from marketplace.jobs.schedule import PERIODIC

    assert ("payments.reconcile", 3600) in PERIODIC
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    stripe_relay.pay(checkout_url(client, contract_id))  # every webhook lost
    assert contract(db_session, contract_id).status == ContractStatus.AWAITING_FUNDING

    lines = run_job(app, "payments.reconcile", ())
    assert lines[0].startswith(f"funded [{contract_id}]")
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED
    assert ledger(db_session, contract_id) == [(EntryKind.CHARGE, 25000), (EntryKind.FEE, 2500)]
    assert run_job(app, "payments.reconcile", ())[0].startswith("funded []")  # once


def test_the_reconcile_job_does_nothing_where_stripe_is_not_configured(app, db_session):
    from marketplace.jobs import run_job

    app.config["STRIPE_SECRET_KEY"] = None
    app.extensions.pop("stripe_gateway", None)
    assert run_job(app, "payments.reconcile", ()) == []
