"""Fixed work in two milestones or more is paid for a milestone at a time: the owner pays
milestone 1 when hiring and each next one once the one before is approved; the assistant
cannot submit a milestone nobody paid for; cancelling refunds only what was paid and not
released. Real Stripe calls (the emulator), real webhooks, both databases."""

import re

from sqlalchemy import select

from marketplace.contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
from marketplace.notifications.models import Kind
from marketplace.payments.models import EntryKind
from tests.contracts.helpers import START, approve, kinds_for, submit
from tests.contracts.test_milestones import TWO, hire_in_parts, milestones, transfers
from tests.payments.helpers import (
    checkout_url,
    connect_payouts,
    contract,
    ledger,
    proposal_scene,
)

AF, F, S, P = (
    MilestoneStatus.AWAITING_FUNDING,
    MilestoneStatus.FUNDED,
    MilestoneStatus.SUBMITTED,
    MilestoneStatus.PAID,
)


def hired_in_parts(client, session, time_machine, parts=TWO):
    time_machine.move_to(START, tick=False)
    owner, assistant, proposal = proposal_scene(session)  # 10 h at $25: $250, fee $25
    client.login_as(owner)
    hired = hire_in_parts(client, proposal.id, parts)
    assert hired.status_code == 302, hired.get_data(as_text=True)
    return owner, assistant, int(re.search(r"/contracts/(\d+)", hired.location).group(1))


def fund(client, relay, contract_id: int, number: int | None = None) -> None:
    """The owner presses the page's Pay button and pays on Stripe's page."""
    if number is None:
        url = checkout_url(client, contract_id)
    else:
        response = client.post(f"/contracts/{contract_id}/milestones/{number}/checkout")
        assert response.status_code == 303, response.get_data(as_text=True)
        url = response.location
    assert relay.pay(url)[0] == 303
    relay.deliver(client)


def milestone(session, contract_id: int, number: int) -> Milestone:
    session.expire_all()
    return session.scalars(
        select(Milestone).where(Milestone.contract_id == contract_id, Milestone.number == number)
    ).one()


def states(session, contract_id: int) -> list[MilestoneStatus]:
    return [m[4] for m in milestones(session, contract_id)]


def test_each_milestone_is_funded_when_its_turn_comes_and_paid_out_of_its_own_payment(
    client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = hired_in_parts(client, db_session, time_machine)
    hired = contract(db_session, contract_id)
    assert hired.funded_per_milestone and hired.status == ContractStatus.AWAITING_FUNDING
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Pay milestone 1 ($150) with Stripe" in page and "Pay $250" not in page

    fund(client, stripe_relay, contract_id)
    first = milestone(db_session, contract_id, 1)
    # Stripe was asked for milestone 1's $150 alone, its key and metadata naming it.
    checkout = stripe_relay.client.v1.checkout.sessions.retrieve(first.checkout_session_id)
    assert checkout.amount_total == 15000
    assert checkout.metadata["milestone_contract_id"] == str(contract_id)
    assert checkout.metadata["milestone_number"] == "1"
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED
    assert states(db_session, contract_id) == [F, AF]
    assert ledger(db_session, contract_id) == [(EntryKind.CHARGE, 15000), (EntryKind.FEE, 1500)]
    assert kinds_for(db_session, assistant.id).count(Kind.CONTRACT_FUNDED) == 1
    # The Money page holds what was paid: milestone 1's $150, not the whole $250.
    money = client.get("/ledger").get_data(as_text=True)
    assert re.search(r'data-testid="held-USD">\$150(\.00)?<', money), money

    connect_payouts(other_client, stripe_relay, db_session, assistant)
    assert submit(other_client, contract_id, "The draft chart.").status_code == 302
    assert approve(client, contract_id, 1).status_code == 302
    assert transfers(db_session, contract_id) == [13500]
    assert states(db_session, contract_id) == [P, AF]
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED

    # Milestone 2 is nobody's money yet: the assistant is told to wait, and cannot submit.
    page = other_client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "waiting for" in page and 'id="submit-work"' not in page
    refused = submit(other_client, contract_id, "The books.")
    assert refused.status_code == 409
    assert "Milestone 2 is not funded yet" in refused.get_data(as_text=True)
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Milestone 1 is approved. Fund milestone 2" in page
    assert "Pay milestone 2 ($100) with Stripe" in page
    # The heading says what the contract waits for, not "work can start".
    assert 'data-testid="status">Milestone 2 awaiting funding<' in page
    assert "work can start" not in page
    assert 'data-testid="milestone-1" data-status="paid"' in page
    assert 'data-testid="milestone-2" data-status="awaiting_funding"' in page

    fund(client, stripe_relay, contract_id, 2)
    assert states(db_session, contract_id) == [P, F]
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert 'data-testid="status">Funded: work can start<' in page
    assert submit(other_client, contract_id, "The books.").status_code == 302
    assert states(db_session, contract_id) == [P, S]
    assert approve(client, contract_id, 2).status_code == 302
    assert transfers(db_session, contract_id) == [13500, 9000]
    done = contract(db_session, contract_id)
    assert done.status == ContractStatus.PAID and states(db_session, contract_id) == [P, P]
    # Each transfer came out of its own milestone's charge, never ahead of that money.
    charges = [milestone(db_session, contract_id, n).charge_id for n in (1, 2)]
    sources = sorted(t.source_transaction for t in stripe_relay.transfers(contract_id))
    assert sources == sorted(charges) and None not in charges
    assert ledger(db_session, contract_id).count((EntryKind.CHARGE, 10000)) == 1
    assert kinds_for(db_session, assistant.id).count(Kind.PAYMENT_SENT) == 2


def test_a_payment_of_another_amount_funds_nothing_and_goes_back(
    client, db_session, stripe_relay, time_machine
):
    _, _, contract_id = hired_in_parts(client, db_session, time_machine)
    first = milestone(db_session, contract_id, 1)
    # A payment page naming milestone 1 but asking $1 (a bug, a stale tab, a leaked key).
    odd_metadata = {
        "milestone_id": str(first.id),
        "milestone_contract_id": str(contract_id),
        "milestone_number": "1",
    }
    odd = stripe_relay.client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 100,
                        "product_data": {"name": "one dollar"},
                    },
                }
            ],
            "payment_intent_data": {"metadata": odd_metadata},
            "metadata": odd_metadata,
            "success_url": "http://localhost/done",
            "cancel_url": "http://localhost/cancel",
        }
    )
    assert stripe_relay.pay(odd.url)[0] == 303
    stripe_relay.deliver(client)  # the payment; our refund is made after that commit
    stripe_relay.deliver(client)  # Stripe's word on the refund
    assert contract(db_session, contract_id).status == ContractStatus.AWAITING_FUNDING
    refused = milestone(db_session, contract_id, 1)
    assert refused.status == AF and refused.payment_intent_id is None
    assert "Stripe received $1, but milestone 1 is for $150" in refused.last_payment_error
    intent = stripe_relay.client.v1.checkout.sessions.retrieve(odd.id).payment_intent
    [refund] = stripe_relay.client.v1.refunds.list(params={"payment_intent": intent}).data
    assert refund.amount == 100
    assert ledger(db_session, contract_id) == [(EntryKind.CHARGE, 100), (EntryKind.REFUND, 100)]
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Your last payment attempt failed: Stripe received $1" in page

    # Paid properly now, it funds the milestone.
    fund(client, stripe_relay, contract_id)
    assert states(db_session, contract_id) == [F, AF]


def test_replayed_and_reordered_events_fund_a_milestone_once(
    client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = hired_in_parts(client, db_session, time_machine)
    assert stripe_relay.pay(checkout_url(client, contract_id))[0] == 303
    stripe_relay.deliver(client, reverse=True)  # payment_intent.succeeded before the checkout
    for event in stripe_relay.events():  # each again, under new ids (a retry after a timeout)
        again = stripe_relay.post_event(client, {**event, "id": event["id"] + "_again"})
        assert again.status_code == 200
    stripe_relay.deliver(client)
    assert states(db_session, contract_id) == [F, AF]
    assert ledger(db_session, contract_id) == [(EntryKind.CHARGE, 15000), (EntryKind.FEE, 1500)]
    assert kinds_for(db_session, owner.id).count(Kind.CONTRACT_FUNDED) == 1
    assert not stripe_relay.events("charge.refunded")  # nothing was given back


def test_cancelling_refunds_only_the_milestones_paid_and_not_released(
    client, other_client, db_session, stripe_relay, time_machine
):
    thirds = [("Part one", "100", ""), ("Part two", "100", ""), ("Part three", "50", "")]
    owner, assistant, contract_id = hired_in_parts(client, db_session, time_machine, thirds)
    fund(client, stripe_relay, contract_id)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    assert submit(other_client, contract_id, "Part one done.").status_code == 302
    assert approve(client, contract_id, 1).status_code == 302
    fund(client, stripe_relay, contract_id, 2)
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Cancel and refund" in page

    cancelled = client.post(f"/contracts/{contract_id}/cancel", follow_redirects=True)
    assert "$100 paid for milestones not yet released is being refunded" in cancelled.get_data(
        as_text=True
    )
    stripe_relay.deliver(client)
    paid, second, third = (milestone(db_session, contract_id, n) for n in (1, 2, 3))
    assert (paid.status, second.status, third.status) == (
        MilestoneStatus.PAID,
        MilestoneStatus.REFUNDED,
        MilestoneStatus.CANCELLED,
    )
    # Milestone 1 was done and paid for: the contract ended partly done, not cancelled.
    assert contract(db_session, contract_id).status == ContractStatus.ENDED
    [refund] = stripe_relay.client.v1.refunds.list(
        params={"payment_intent": second.payment_intent_id}
    ).data
    assert refund.amount == 10000 and second.refund_id == refund.id
    assert not stripe_relay.client.v1.refunds.list(
        params={"payment_intent": paid.payment_intent_id}
    ).data
    assert transfers(db_session, contract_id) == [9000]  # milestone 1's share stays paid
    # Milestone 2's fee is given up with its refund; milestone 1's is kept.
    fees = ledger(db_session, contract_id)
    assert (EntryKind.FEE_REVERSAL, 1000) in fees and (EntryKind.REFUND, 10000) in fees


def test_a_payout_still_on_its_way_must_go_out_before_cancelling(
    client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = hired_in_parts(client, db_session, time_machine)
    fund(client, stripe_relay, contract_id)
    other_client.login_as(assistant)  # no Stripe account yet: the payout waits
    assert submit(other_client, contract_id, "The draft.").status_code == 302
    assert approve(client, contract_id, 1).status_code == 302
    refused = client.post(f"/contracts/{contract_id}/cancel")
    assert refused.status_code == 409
    assert "has not gone out yet; cancel once it has" in refused.get_data(as_text=True)
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED


def test_reconcile_funds_a_milestone_whose_webhooks_were_lost(
    app, client, db_session, stripe_relay, time_machine
):
    _, _, contract_id = hired_in_parts(client, db_session, time_machine)
    assert stripe_relay.pay(checkout_url(client, contract_id))[0] == 303  # no webhook comes
    assert states(db_session, contract_id) == [AF, AF]
    first = milestone(db_session, contract_id, 1)
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert f"milestones: funded [{first.id}]" in result.output, result.output
    again = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert "milestones: funded []" in again.output, again.output
    stripe_relay.deliver(client)  # the webhooks arrive late after all
    assert states(db_session, contract_id) == [F, AF]
    assert ledger(db_session, contract_id) == [(EntryKind.CHARGE, 15000), (EntryKind.FEE, 1500)]


def test_a_contract_in_one_part_is_still_paid_as_a_whole(client, db_session, time_machine):
    time_machine.move_to(START, tick=False)
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    assert hire_in_parts(client, proposal.id, []).status_code == 302
    (only,) = db_session.scalars(select(Contract)).all()
    assert not only.funded_per_milestone
    page = client.get(f"/contracts/{only.id}").get_data(as_text=True)
    assert "Pay $250 with Stripe" in page and "Pay milestone" not in page


def test_the_email_saying_a_milestone_was_released_asks_the_owner_to_fund_the_next(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    from datetime import timedelta

    from marketplace.contracts.runner import release_due
    from marketplace.notifications.emails import build_message
    from marketplace.notifications.models import Notification

    owner, assistant, contract_id = hired_in_parts(client, db_session, time_machine)
    fund(client, stripe_relay, contract_id)
    other_client.login_as(assistant)
    assert submit(other_client, contract_id, "The draft.").status_code == 302
    time_machine.move_to(START + timedelta(days=14), tick=False)
    with app.app_context():
        assert release_due(db_session).released == 1
    db_session.expire_all()
    released = db_session.scalars(
        select(Notification).where(
            Notification.user_id == owner.id, Notification.kind == Kind.WORK_RELEASED
        )
    ).one()
    with app.app_context():
        text = build_message(db_session, released).get_body(("plain",)).get_content()
    assert "approved automatically" in text
    assert 'Milestone 2, "Reconciled books", is next: fund it ($100)' in text
    assert states(db_session, contract_id) == [MilestoneStatus.APPROVED, AF]


def test_the_operator_console_says_it_cannot_settle_a_contract_paid_by_milestone(
    client, db_session, stripe_relay, time_machine
):
    from tests.operator.helpers import make_operator

    _, _, contract_id = hired_in_parts(client, db_session, time_machine)
    fund(client, stripe_relay, contract_id)
    client.login_as(make_operator(db_session))
    refused = client.post(
        f"/operator/contracts/{contract_id}/resolve",
        {"outcome": "refund", "refund": "150", "note": "Owner asked.", "reason": "Ticket 9"},
    )
    assert refused.status_code == 409
    assert "paid for a milestone at a time" in refused.get_data(as_text=True)
    assert contract(db_session, contract_id).resolution_started_at is None
    assert states(db_session, contract_id) == [F, AF]


def test_each_milestone_refunded_gives_back_its_own_fee(
    client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = hired_in_parts(client, db_session, time_machine)
    fund(client, stripe_relay, contract_id)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    assert submit(other_client, contract_id, "The draft chart.").status_code == 302
    assert approve(client, contract_id, 1).status_code == 302
    fund(client, stripe_relay, contract_id, 2)
    # Milestone 1's $150 is given back from Stripe's dashboard, then the owner cancels,
    # which refunds milestone 2's $100: two payments, each refunded in full.
    first = milestone(db_session, contract_id, 1)
    stripe_relay.client.v1.refunds.create(params={"payment_intent": first.payment_intent_id})
    stripe_relay.deliver(client)
    assert client.post(f"/contracts/{contract_id}/cancel").status_code == 302
    stripe_relay.deliver(client)
    entries = ledger(db_session, contract_id)
    assert [a for k, a in entries if k == EntryKind.FEE_REVERSAL] == [1500, 1000]
    fees = sum(a for k, a in entries if k == EntryKind.FEE)
    assert fees == sum(a for k, a in entries if k == EntryKind.FEE_REVERSAL)
    money = client.get("/ledger").get_data(as_text=True)
    assert re.search(r'data-testid="fees-USD">\$0(\.00)?<', money), money


def test_the_assistant_is_told_once_when_each_next_milestone_is_funded(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    from marketplace.notifications.emails import build_message
    from marketplace.notifications.models import Notification

    owner, assistant, contract_id = hired_in_parts(client, db_session, time_machine)
    fund(client, stripe_relay, contract_id)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    assert submit(other_client, contract_id, "The draft chart.").status_code == 302
    assert approve(client, contract_id, 1).status_code == 302
    fund(client, stripe_relay, contract_id, 2)
    for event in stripe_relay.events():  # Stripe sends them all again (a retry)
        assert (
            stripe_relay.post_event(client, {**event, "id": event["id"] + "_again"}).status_code
            == 200
        )
    assert kinds_for(db_session, assistant.id).count(Kind.CONTRACT_FUNDED) == 2
    second = milestone(db_session, contract_id, 2)
    told = db_session.scalars(
        select(Notification)
        .where(Notification.user_id == assistant.id, Notification.kind == Kind.CONTRACT_FUNDED)
        .order_by(Notification.id)
    ).all()[-1]
    assert told.payload["milestone_id"] == second.id
    with app.app_context():
        message = build_message(db_session, told)
    text = message.get_body(("plain",)).get_content()
    assert "Milestone 2" in message["Subject"]
    assert "funded milestone 2 of 2, “Reconciled books”: $100" in text
    assert "$90 after the platform fee" in text
    page = other_client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert 'data-testid="milestone-funded"' in page
    assert "Milestone 2, “Reconciled books”, is funded: you can start it" in page


def _email_text(app, session, user_id: int, kind: Kind) -> str:
    from marketplace.notifications.emails import build_message
    from marketplace.notifications.models import Notification

    session.expire_all()
    row = session.scalars(
        select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
    ).one()
    with app.app_context():
        return build_message(session, row).get_body(("plain",)).get_content()


def test_cancelling_after_a_milestone_was_paid_ends_the_contract_partly_done(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    from marketplace.hiring.models import Proposal, ProposalStatus
    from marketplace.tasks.models import TaskStatus

    owner, assistant, contract_id = hired_in_parts(client, db_session, time_machine)
    fund(client, stripe_relay, contract_id)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    assert submit(other_client, contract_id, "The draft chart.").status_code == 302
    assert approve(client, contract_id, 1).status_code == 302
    fund(client, stripe_relay, contract_id, 2)
    assert client.post(f"/contracts/{contract_id}/cancel").status_code == 302
    stripe_relay.deliver(client)
    ended = contract(db_session, contract_id)
    assert ended.status == ContractStatus.ENDED and ended.ended_at is not None
    assert states(db_session, contract_id) == [P, MilestoneStatus.REFUNDED]
    # The work done stays done: the proposal is not offered again, the task is finished.
    proposal = db_session.get(Proposal, ended.proposal_id)
    assert proposal.status == ProposalStatus.ACCEPTED
    assert ended.task.status == TaskStatus.COMPLETED
    assert kinds_for(db_session, assistant.id).count(Kind.CONTRACT_CANCELLED) == 1
    text = _email_text(app, db_session, assistant.id, Kind.CONTRACT_CANCELLED)
    assert "what you were paid stays yours" in text and "nothing will be paid" not in text
    # Both are asked to review the part that was done, and can.
    for user, browser in ((owner, client), (assistant, other_client)):
        assert kinds_for(db_session, user.id).count(Kind.REVIEW_REQUESTED) == 1
        page = browser.get(f"/contracts/{contract_id}").get_data(as_text=True)
        assert "Publish review" in page, page
    posted = client.post(
        f"/contracts/{contract_id}/review", {"rating": "4", "body": "Half done, well."}
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)


def test_cancelling_before_any_milestone_was_paid_out_reopens_the_proposal(
    client, db_session, stripe_relay, time_machine
):
    from marketplace.hiring.models import Proposal, ProposalStatus

    _, _, contract_id = hired_in_parts(client, db_session, time_machine)
    fund(client, stripe_relay, contract_id)
    assert client.post(f"/contracts/{contract_id}/cancel").status_code == 302
    stripe_relay.deliver(client)
    cancelled = contract(db_session, contract_id)
    assert cancelled.status == ContractStatus.CANCELLED
    assert db_session.get(Proposal, cancelled.proposal_id).status == ProposalStatus.SUBMITTED
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Publish review" not in page
