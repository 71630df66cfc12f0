"""A dispute on one milestone of a contract paid a milestone at a time: the operator settles
that milestone's own payment (release, refund, or a split), through the same settlement
as a whole contract's, and the contract goes on with its next milestone or ends."""

from marketplace.contracts.models import ContractStatus, MilestoneStatus
from marketplace.notifications.models import Kind
from marketplace.payments.models import EntryKind as K
from tests.contracts.helpers import approve, kinds_for, submit
from tests.contracts.test_milestone_funding import fund, hired_in_parts, milestone, states
from tests.notifications.mailbox import body_html, body_text
from tests.operator.helpers import audit_rows, make_operator
from tests.payments.helpers import connect_payouts, contract, ledger

NOTE = "Half of the reconciliation was delivered."
THIRDS = [("Part one", "100", ""), ("Part two", "100", ""), ("Part three", "50", "")]


def resolve(client, contract_id, number, outcome, refund=""):
    return client.post(
        f"/operator/contracts/{contract_id}/milestones/{number}/resolve",
        {"outcome": outcome, "refund": refund, "note": NOTE, "reason": "Dispute ticket 7"},
    )


def test_a_split_of_the_disputed_milestone_moves_its_own_payment_only(
    client, other_client, db_session, stripe_relay, time_machine, smtp_app, mailbox
):
    owner, assistant, contract_id = hired_in_parts(client, db_session, time_machine)
    fund(client, stripe_relay, contract_id)  # milestone 1: $150, fee $15
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    assert submit(other_client, contract_id, "The draft chart.").status_code == 302
    assert approve(client, contract_id, 1).status_code == 302
    fund(client, stripe_relay, contract_id, 2)  # milestone 2: $100, fee $10
    assert submit(other_client, contract_id, "The books, half done.").status_code == 302
    operator = make_operator(db_session)
    client.login_as(operator)
    page = client.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert 'data-testid="resolve-milestone-2"' in page
    assert 'data-testid="resolve-milestone-1"' not in page  # paid out already

    response = resolve(client, contract_id, 2, "refund", "40")
    assert response.status_code == 303, response.get_data(as_text=True)

    # $40 of milestone 2's $100 back to the owner, the fee's share of it ($4) given up; of
    # the $60 left the platform keeps $6 and the assistant gets $54.
    first, second = milestone(db_session, contract_id, 1), milestone(db_session, contract_id, 2)
    refunds = stripe_relay.client.v1.refunds.list(
        params={"payment_intent": second.payment_intent_id}
    )
    assert [r.amount for r in refunds.data] == [4000]
    assert not stripe_relay.client.v1.refunds.list(
        params={"payment_intent": first.payment_intent_id}
    ).data
    transfers = stripe_relay.transfers(contract_id)
    assert sorted(t.amount for t in transfers) == [5400, 13500]
    [split] = [t for t in transfers if t.amount == 5400]
    assert split.source_transaction == second.charge_id  # out of milestone 2's own charge
    expected = [
        (K.CHARGE, 15000), (K.FEE, 1500), (K.TRANSFER, 13500),
        (K.CHARGE, 10000), (K.FEE, 1000), (K.REFUND, 4000), (K.FEE_REVERSAL, 400),
        (K.TRANSFER, 5400),
    ]  # fmt: skip
    assert sorted(ledger(db_session, contract_id)) == sorted(expected)
    stripe_relay.deliver(client)  # Stripe's word on the refund: nothing changes
    assert sorted(ledger(db_session, contract_id)) == sorted(expected)

    assert states(db_session, contract_id) == [MilestoneStatus.PAID, MilestoneStatus.PAID]
    settled = contract(db_session, contract_id)
    assert settled.status == ContractStatus.PAID and settled.payout_hold is None
    assert settled.resolution_started_at is None
    for person, line in ((owner, "$40 is refunded to you"), (assistant, "$54 is paid out to you")):
        (mail,) = [m for m in mailbox.to(person.email) if "support settled" in m["Subject"]]
        assert NOTE in body_text(mail) and line in body_text(mail) and NOTE in body_html(mail)
        assert "milestone 2, “Reconciled books” ($100)" in body_text(mail)
        assert kinds_for(db_session, person.id).count(Kind.REVIEW_REQUESTED) == 1
    decided, recorded = audit_rows(db_session)
    assert decided.action == "dispute.refund" and decided.details["subject"] == (
        f"milestone:{second.id}"
    )
    assert decided.details["refund_cents"] == 4000 and decided.details["transfer_cents"] == 5400
    assert recorded.action == "dispute.settled"
    page = client.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert "resolve-milestone-" not in page


def test_a_full_refund_of_one_milestone_lets_the_contract_go_on(
    client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = hired_in_parts(client, db_session, time_machine, THIRDS)
    fund(client, stripe_relay, contract_id)
    other_client.login_as(assistant)
    client.login_as(make_operator(db_session))
    assert resolve(client, contract_id, 1, "refund", "100").status_code == 303
    stripe_relay.deliver(client)
    first = milestone(db_session, contract_id, 1)
    assert first.status == MilestoneStatus.REFUNDED and first.refund_id
    assert [(k, a) for k, a in ledger(db_session, contract_id) if k != K.CHARGE] == [
        (K.FEE, 1000), (K.REFUND, 10000), (K.FEE_REVERSAL, 1000),
    ]  # fmt: skip
    going_on = contract(db_session, contract_id)
    assert going_on.status == ContractStatus.FUNDED and going_on.frozen_reason is None
    # Only milestone 1 was settled: the owner is asked to fund milestone 2 next.
    client.login_as(owner)
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Pay milestone 2 ($100) with Stripe" in page
    fund(client, stripe_relay, contract_id, 2)
    assert states(db_session, contract_id)[1] == MilestoneStatus.FUNDED


def test_a_milestone_not_funded_or_paid_out_cannot_be_settled(
    client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = hired_in_parts(client, db_session, time_machine)
    fund(client, stripe_relay, contract_id)
    client.login_as(make_operator(db_session))
    refused = resolve(client, contract_id, 2, "release")
    assert refused.status_code == 409
    assert "Milestone 2 is awaiting funding" in refused.get_data(as_text=True)
    assert resolve(client, contract_id, 5, "release").status_code == 404
    assert contract(db_session, contract_id).resolution_started_at is None
    assert audit_rows(db_session) == []
