"""Payouts a webhook leaves owed are a job on the real Redis queue: a transfer Stripe fails is
retried by the job (its retry intervals) and goes out once."""

import stripe

from marketplace.contracts.models import ContractStatus
from marketplace.jobs.queue import queue
from marketplace.payments.gateway import StripeGateway
from marketplace.payments.models import EntryKind, PayoutAccount
from tests.jobs.test_jobs import rq_app, run_worker  # noqa: F401 (rq_app is a fixture)
from tests.payments.helpers import (
    connect_payouts,
    contract,
    funded_contract,
    ledger,
    proposal_scene,
)


def fail_first_transfer(monkeypatch) -> list[str]:
    """Stripe does not answer the first transfer asked for; the idempotency keys asked."""
    original = StripeGateway.create_transfer
    calls: list[str] = []

    def flaky(self, **kwargs):
        calls.append(kwargs["idempotency_key"])
        if len(calls) == 1:
            raise stripe.APIConnectionError("Stripe did not answer")
        return original(self, **kwargs)

    monkeypatch.setattr(StripeGateway, "create_transfer", flaky)
    return calls


def test_a_failed_transfer_is_retried_by_the_job_and_paid_once(
    rq_app,  # noqa: F811
    client,
    other_client,
    db_session,
    stripe_relay,
    monkeypatch,
):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    other_client.login_as(assistant)
    assert other_client.post("/payouts/connect").status_code == 303
    note = {"note": "Delivered: see the shared folder."}
    assert other_client.post(f"/contracts/{contract_id}/submit", note).status_code == 302
    assert client.post(f"/contracts/{contract_id}/approve").status_code == 302
    run_worker(rq_app)  # the emails so far
    db_session.expire_all()
    stripe_relay.onboard(db_session.get(PayoutAccount, assistant.id).stripe_account_id)

    calls = fail_first_transfer(monkeypatch)
    stripe_relay.deliver(client, types={"account.updated"})
    # The webhook only recorded what is owed; the worker pays it.
    assert contract(db_session, contract_id).status == ContractStatus.APPROVED
    assert calls == []
    run_worker(rq_app)
    assert len(calls) == 2 and calls[0] == calls[1]  # the retry asked with the same key
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    assert len(stripe_relay.transfers(contract_id)) == 1
    assert [k for k, _ in ledger(db_session, contract_id)].count(EntryKind.TRANSFER) == 1
    assert queue(rq_app).failed_job_registry.count == 0


def test_a_transfer_that_fails_at_approval_is_retried_by_the_job(
    rq_app,  # noqa: F811
    client,
    other_client,
    db_session,
    stripe_relay,
    monkeypatch,
):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    note = {"note": "Delivered: see the shared folder."}
    assert other_client.post(f"/contracts/{contract_id}/submit", note).status_code == 302
    run_worker(rq_app)  # the emails so far
    calls = fail_first_transfer(monkeypatch)
    approved = client.post(f"/contracts/{contract_id}/approve", follow_redirects=True)
    assert "it is sent again shortly" in approved.get_data(as_text=True)
    assert contract(db_session, contract_id).status == ContractStatus.APPROVED
    run_worker(rq_app)
    assert len(calls) == 2 and calls[0] == calls[1]
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    assert len(stripe_relay.transfers(contract_id)) == 1
    assert queue(rq_app).failed_job_registry.count == 0


def test_a_pay_out_job_pays_at_most_its_share_and_queues_the_rest(
    client, other_client, db_session, stripe_relay, monkeypatch
):
    """Two approved contracts wait for the assistant's Stripe account; a job pays one and
    queues another job for the second (inline here: run after the first one commits)."""
    from marketplace.hiring.services import apply_to_task
    from marketplace.payments import runner
    from tests.factories import make_task

    monkeypatch.setattr(runner, "PAY_OUT_AT_MOST", 1)
    owner, assistant, proposal = proposal_scene(db_session)
    second = apply_to_task(
        db_session,
        assistant,
        make_task(db_session, owner).id,
        cover_note="I have done exactly this for five bakeries.",
        proposed_rate_cents=2500,
    )
    db_session.flush()
    client.login_as(owner)
    contract_ids = [
        funded_contract(client, stripe_relay, db_session, p) for p in (proposal, second)
    ]
    other_client.login_as(assistant)
    assert other_client.post("/payouts/connect").status_code == 303
    note = {"note": "Delivered: see the shared folder."}
    for contract_id in contract_ids:
        assert other_client.post(f"/contracts/{contract_id}/submit", note).status_code == 302
        assert client.post(f"/contracts/{contract_id}/approve").status_code == 302
    db_session.expire_all()
    paid_per_run = []
    original = runner.pay_out_contracts

    def counted(session, gateway, ids):
        paid_per_run.append(list(ids))
        return original(session, gateway, ids)

    monkeypatch.setattr(runner, "pay_out_contracts", counted)
    stripe_relay.onboard(db_session.get(PayoutAccount, assistant.id).stripe_account_id)
    stripe_relay.deliver(client, types={"account.updated"})
    assert paid_per_run == [[contract_ids[0]], [contract_ids[1]]]
    for contract_id in contract_ids:
        assert contract(db_session, contract_id).status == ContractStatus.PAID
        assert len(stripe_relay.transfers(contract_id)) == 1
