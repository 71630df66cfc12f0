"""Every money path, through the real stripe library against the emulator."""

from sqlalchemy import func, select

from marketplace.contracts.models import ContractStatus
from marketplace.payments.models import EntryKind, PayoutAccount, StripeEvent
from marketplace.tasks.models import Task, TaskStatus
from tests.payments.helpers import (
    checkout_url,
    connect_payouts,
    contract,
    funded_contract,
    hire,
    ledger,
    proposal_scene,
)
from tests.stripe_support import DECLINED


def test_price_is_shown_before_paying(client, db_session, stripe_relay):
    owner, _, proposal = proposal_scene(db_session, rate_cents=2750)
    client.login_as(owner)
    page = client.get(f"/proposals/{proposal.id}/hire?hours=8").get_data(as_text=True)
    # 8 h x $27.50 = $220.00; 10% fee = $22.00; assistant nets $198.00
    assert 'data-testid="total">$220<' in page
    assert 'data-testid="fee">$22<' in page
    assert 'data-testid="net">$198<' in page
    contract_id = hire(client, proposal, hours=8)
    c = contract(db_session, contract_id)
    assert (c.total_cents, c.fee_cents, c.net_cents) == (22000, 2200, 19800)
    assert c.status == ContractStatus.AWAITING_FUNDING
    assert db_session.get(Task, c.task_id).status == TaskStatus.HIRED


def test_happy_path_fund_submit_approve_pay(client, other_client, db_session, stripe_relay):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal, hours=10)
    url = checkout_url(client, contract_id)
    assert url.startswith(stripe_relay.base_url + "/c/pay/cs_test_")

    status, headers, _ = stripe_relay.pay(url)
    assert status == 303
    back = client.get(headers["Location"].replace("http://localhost", ""))
    # Coming back from Stripe proves nothing: only the signed webhook funds the contract.
    assert "Confirming your payment with Stripe" in back.get_data(as_text=True)
    assert contract(db_session, contract_id).status == ContractStatus.AWAITING_FUNDING

    stripe_relay.deliver(client)
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.FUNDED and c.payment_intent_id and c.charge_id
    assert ledger(db_session, contract_id) == [(EntryKind.CHARGE, 25000), (EntryKind.FEE, 2500)]

    account_id = connect_payouts(other_client, stripe_relay, db_session, assistant)
    assert db_session.get(PayoutAccount, assistant.id).payouts_enabled
    assert (
        other_client.post(
            f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
        ).status_code
        == 302
    )
    assert contract(db_session, contract_id).status == ContractStatus.SUBMITTED

    assert client.post(f"/contracts/{contract_id}/approve").status_code == 302
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.PAID and c.transfer_id
    assert db_session.get(Task, c.task_id).status == TaskStatus.COMPLETED
    [transfer] = stripe_relay.transfers(contract_id)
    assert (transfer.amount, transfer.destination) == (22500, account_id)
    assert transfer.source_transaction == c.charge_id
    assert ledger(db_session, contract_id)[-1] == (EntryKind.TRANSFER, 22500)

    money = other_client.get("/ledger").get_data(as_text=True)
    assert 'data-testid="paid-USD">$225<' in money and "Payout" in money
    owner_money = client.get("/ledger").get_data(as_text=True)
    assert 'data-testid="paid-USD">$250<' in owner_money


def test_declined_card_leaves_contract_unfunded_with_a_message(client, db_session, stripe_relay):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    url = checkout_url(client, contract_id)
    status, _, body = stripe_relay.pay(url, card=DECLINED)
    assert status == 402 and "Your card was declined." in body
    stripe_relay.deliver(client)
    assert contract(db_session, contract_id).status == ContractStatus.AWAITING_FUNDING
    assert ledger(db_session, contract_id) == []
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Your last payment attempt failed: Your card was declined." in page
    # Trying again reuses the open checkout and can succeed.
    assert checkout_url(client, contract_id) == url
    assert stripe_relay.pay(url)[0] == 303
    stripe_relay.deliver(client)
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED


def test_replayed_events_do_nothing_twice(client, db_session, stripe_relay):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    before = ledger(db_session, contract_id)
    for event in stripe_relay.events():
        response = stripe_relay.post_event(client, event)
        assert response.json["outcome"] == "duplicate"
    assert ledger(db_session, contract_id) == before
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED


def test_reordered_and_late_events_only_move_state_forward(
    client, other_client, db_session, stripe_relay
):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    stripe_relay.pay(checkout_url(client, contract_id))
    stripe_relay.deliver(client, reverse=True)  # completed before payment_intent.succeeded
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.FUNDED and c.charge_id

    connect_payouts(other_client, stripe_relay, db_session, assistant)
    other_client.post(
        f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
    )
    client.post(f"/contracts/{contract_id}/approve")
    assert contract(db_session, contract_id).status == ContractStatus.PAID

    # A late copy of the funding event (new id, as a Stripe retry of a lost one would be
    # delivered once more) arrives after payout: nothing moves back.
    [completed] = stripe_relay.events("checkout.session.completed")
    late = {**completed, "id": completed["id"] + "_late"}
    assert stripe_relay.post_event(client, late).status_code == 200
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    assert [k for k, _ in ledger(db_session, contract_id)].count(EntryKind.CHARGE) == 1


def test_bad_signature_is_refused_and_changes_nothing(client, db_session, stripe_relay):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    stripe_relay.pay(checkout_url(client, contract_id))
    [completed] = stripe_relay.events("checkout.session.completed")
    forged = stripe_relay.post_event(client, completed, secret="whsec_not_ours")
    assert forged.status_code == 400
    assert forged.json["error"] == "Bad signature"
    unsigned = client.raw.post(
        "/stripe/webhook", data=b"{}", headers={"Content-Type": "application/json"}
    )
    assert unsigned.status_code == 400
    assert contract(db_session, contract_id).status == ContractStatus.AWAITING_FUNDING
    assert db_session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_approving_twice_pays_once(client, other_client, db_session, stripe_relay):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    other_client.post(
        f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
    )
    assert client.post(f"/contracts/{contract_id}/approve").status_code == 302
    again = client.post(f"/contracts/{contract_id}/approve")
    assert again.status_code == 409
    assert "paid out" in again.get_data(as_text=True).lower()
    assert len(stripe_relay.transfers(contract_id)) == 1
    assert [k for k, _ in ledger(db_session, contract_id)].count(EntryKind.TRANSFER) == 1


def test_payout_waits_for_onboarding_then_happens(client, other_client, db_session, stripe_relay):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    other_client.login_as(assistant)
    page = other_client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Connect your Stripe account to be paid" in page
    other_client.post(
        f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
    )
    client.post(f"/contracts/{contract_id}/approve")
    assert contract(db_session, contract_id).status == ContractStatus.APPROVED
    assert stripe_relay.transfers(contract_id) == []
    assert "payout is sent as soon as" in client.get(f"/contracts/{contract_id}").get_data(
        as_text=True
    )

    connect_payouts(other_client, stripe_relay, db_session, assistant)  # account.updated arrives
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    assert len(stripe_relay.transfers(contract_id)) == 1


def test_cancel_funded_contract_refunds_in_full(client, db_session, stripe_relay):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    response = client.post(f"/contracts/{contract_id}/cancel")
    assert response.status_code == 302
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.CANCELLED and c.refund_id
    assert db_session.get(Task, c.task_id).status == TaskStatus.OPEN  # can hire someone else
    stripe_relay.deliver(client)  # charge.refunded
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.REFUNDED
    assert ledger(db_session, contract_id)[-2:] == [
        (EntryKind.REFUND, 25000),
        (EntryKind.FEE_REVERSAL, 2500),
    ]
    money = client.get("/ledger").get_data(as_text=True)
    assert 'data-testid="refunded-USD">$250<' in money
    assert 'data-testid="fees-USD">$0<' in money  # the fee went back with the refund


def test_cancel_before_funding_charges_nothing_and_expires_the_checkout(
    client, db_session, stripe_relay
):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    url = checkout_url(client, contract_id)
    assert client.post(f"/contracts/{contract_id}/cancel").status_code == 302
    assert contract(db_session, contract_id).status == ContractStatus.CANCELLED
    status, _, _ = stripe_relay.pay(url)  # the page was expired: payment refused
    assert status != 303
    stripe_relay.deliver(client)
    assert ledger(db_session, contract_id) == []


def test_payment_that_lands_after_cancelling_is_refunded(client, db_session, stripe_relay):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    assert stripe_relay.pay(checkout_url(client, contract_id))[0] == 303
    # The owner cancels before Stripe's confirmation has reached us.
    assert client.post(f"/contracts/{contract_id}/cancel").status_code == 302
    assert contract(db_session, contract_id).status == ContractStatus.CANCELLED
    stripe_relay.deliver(client)  # checkout.session.completed: the money goes straight back
    stripe_relay.deliver(client)  # charge.refunded
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.REFUNDED
    assert ledger(db_session, contract_id) == [
        (EntryKind.CHARGE, 25000),
        (EntryKind.FEE, 2500),
        (EntryKind.REFUND, 25000),
        (EntryKind.FEE_REVERSAL, 2500),
    ]


def test_a_second_payment_for_a_funded_contract_is_refunded(client, db_session, stripe_relay):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    first_intent = contract(db_session, contract_id).payment_intent_id
    # A second checkout for the same contract (say, an old tab) is paid as well.
    duplicate = stripe_relay.checkout_for(contract_id, 25000, "again")
    assert stripe_relay.pay(duplicate.url)[0] == 303
    stripe_relay.deliver(client)  # completed: refund the duplicate
    stripe_relay.deliver(client)  # charge.refunded for the duplicate
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.FUNDED and c.payment_intent_id == first_intent
    kinds = [k for k, _ in ledger(db_session, contract_id)]
    assert kinds.count(EntryKind.CHARGE) == 2 and kinds.count(EntryKind.REFUND) == 1
    refunds = stripe_relay.client.v1.refunds.list(params={"limit": 10}).data
    assert [r.payment_intent for r in refunds if r.payment_intent != first_intent]


def test_illegal_transitions_are_409(client, other_client, db_session, stripe_relay):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    other_client.login_as(assistant)
    assert (
        other_client.post(
            f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
        ).status_code
        == 409
    )  # not funded
    assert client.post(f"/contracts/{contract_id}/approve").status_code == 409  # not submitted
    response = client.post(
        f"/proposals/{proposal.id}/hire",
        {"hours": "10", "quoted_total_cents": "25000", "action": "hire"},
    )
    assert response.status_code == 409  # the task is hired already
    assert contract(db_session, contract_id).status == ContractStatus.AWAITING_FUNDING


def test_strangers_cannot_touch_a_contract(client, other_client, db_session, stripe_relay):
    from tests.factories import make_assistant, make_owner

    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    other_client.login_as(make_owner(db_session))
    for method, url in [
        ("get", f"/contracts/{contract_id}"),
        ("post", f"/contracts/{contract_id}/checkout"),
        ("post", f"/contracts/{contract_id}/approve"),
        ("post", f"/contracts/{contract_id}/cancel"),
        ("get", f"/proposals/{proposal.id}/hire"),
    ]:
        assert getattr(other_client, method)(url).status_code == 404, url
    other_client.login_as(make_assistant(db_session))
    assert (
        other_client.post(
            f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
        ).status_code
        == 404
    )
    other_client.login_as(assistant)  # a party, but not the owner
    assert other_client.post(f"/contracts/{contract_id}/cancel").status_code == 403
    assert other_client.post(f"/contracts/{contract_id}/checkout").status_code == 403


def test_invited_assistant_accepts_and_the_owner_funds(
    client, other_client, db_session, stripe_relay, smtp_app, mailbox
):
    from tests.factories import make_assistant, make_owner, make_task

    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Inbox zero every morning")
    assistant = make_assistant(db_session, hourly_rate_cents=2200)
    stranger = make_assistant(db_session)
    client.login_as(owner)
    invited = client.post(f"/tasks/{task.id}/invite/{assistant.id}", {"rate_cents": "2200"})
    assert invited.status_code == 302

    other_client.login_as(stranger)  # not invited: nothing to accept
    assert other_client.post(f"/tasks/{task.id}/accept-invitation").status_code == 404
    other_client.login_as(assistant)
    page = other_client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Accept at $22/h for 10 h" in page
    response = other_client.post(f"/tasks/{task.id}/accept-invitation")
    assert response.status_code == 302
    contract_id = int(response.location.rsplit("/", 1)[1])
    c = contract(db_session, contract_id)
    assert (c.rate_cents, c.hours, c.total_cents, c.status) == (
        2200,
        10,
        22000,
        ContractStatus.AWAITING_FUNDING,
    )
    assert db_session.get(Task, task.id).status == TaskStatus.HIRED
    assert other_client.post(f"/tasks/{task.id}/accept-invitation").status_code == 409  # once
    assert [m["Subject"] for m in mailbox.to(owner.email)][-1].endswith(
        'accepted your invitation for "Inbox zero every morning"'
    )

    client.login_as(owner)
    stripe_relay.pay(checkout_url(client, contract_id))
    stripe_relay.deliver(client)
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED
