"""Fixed work in milestones: the owner splits the price when hiring; each milestone is
submitted, answered and paid out on its own, in order, to the cent; the contract is paid when
its last one is. Here the whole price is paid at hire and held, each share released on
approval, as for every contract hired before milestones were funded one at a time
(test_milestone_funding has those)."""

import re
from datetime import timedelta

from sqlalchemy import select, update

from marketplace.contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
from marketplace.contracts.runner import release_due
from marketplace.notifications.models import Kind, Notification
from marketplace.payments.models import EntryKind
from tests.contracts.helpers import START, approve, kinds_for, request_changes, submit
from tests.payments.helpers import (
    checkout_url,
    connect_payouts,
    contract,
    ledger,
    proposal_scene,
    quoted_total,
)

WINDOW = timedelta(days=14)


def hire_in_parts(client, proposal_id: int, parts, hours: int = 10):
    """Hire for ``hours`` at the price shown, split into ``parts`` (title, amount, due)."""
    data = {
        "hours": str(hours),
        "quoted_total_cents": quoted_total(client, proposal_id, hours),
        "action": "hire",
    }
    for i, (title, amount, due) in enumerate(parts):
        data |= {
            f"milestones-{i}-title": title,
            f"milestones-{i}-amount": amount,
            f"milestones-{i}-due_on": due,
        }
    return client.post(f"/proposals/{proposal_id}/hire", data)


def paid_as_a_whole(session, contract_id: int) -> None:
    """The contract as hired before each milestone was funded on its own: its whole price is
    paid at hire (the upgrade leaves such contracts so)."""
    session.execute(
        update(Contract).where(Contract.id == contract_id).values(funded_per_milestone=False)
    )
    session.commit()


def funded_in_parts(client, other_client, session, relay, time_machine, parts):
    time_machine.move_to(START, tick=False)
    owner, assistant, proposal = proposal_scene(session)  # 10 h at $25: $250, fee $25
    client.login_as(owner)
    hired = hire_in_parts(client, proposal.id, parts)
    assert hired.status_code == 302, hired.get_data(as_text=True)
    contract_id = int(re.search(r"/contracts/(\d+)", hired.location).group(1))
    paid_as_a_whole(session, contract_id)
    status, _, _ = relay.pay(checkout_url(client, contract_id))
    assert status == 303
    relay.deliver(client)
    connect_payouts(other_client, relay, session, assistant)
    return owner, assistant, contract_id


def milestones(session, contract_id: int) -> list[tuple[int, str, int, int, MilestoneStatus]]:
    session.expire_all()
    return [
        (m.number, m.title, m.amount_cents, m.fee_cents, m.status)
        for m in session.scalars(
            select(Milestone).where(Milestone.contract_id == contract_id).order_by(Milestone.number)
        )
    ]


def transfers(session, contract_id: int) -> list[int]:
    return [amount for kind, amount in ledger(session, contract_id) if kind == EntryKind.TRANSFER]


TWO = [("Draft chart of accounts", "150", "2026-12-10"), ("Reconciled books", "100.00", "")]


def test_each_milestone_is_submitted_answered_and_paid_on_its_own(
    client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = funded_in_parts(
        client, other_client, db_session, stripe_relay, time_machine, TWO
    )
    F, S, A, P = (
        MilestoneStatus.FUNDED,
        MilestoneStatus.SUBMITTED,
        MilestoneStatus.APPROVED,
        MilestoneStatus.PAID,
    )
    assert milestones(db_session, contract_id) == [
        (1, "Draft chart of accounts", 15000, 1500, F),
        (2, "Reconciled books", 10000, 1000, F),
    ]
    for viewer in (client, other_client):  # both sides see the parts and where each is
        page = viewer.get(f"/contracts/{contract_id}").get_data(as_text=True)
        assert "Draft chart of accounts" in page and "10 Dec 2026" in page
        assert "$150" in page and "$135" in page  # its amount and the assistant's share
    page = other_client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Submit milestone 1: Draft chart of accounts" in page

    assert submit(other_client, contract_id, "The draft: https://x.example/coa").status_code == 302
    assert milestones(db_session, contract_id)[0][4] == S
    assert request_changes(client, contract_id, 1, "Split travel out.").status_code == 302
    assert [m[4] for m in milestones(db_session, contract_id)] == [F, F]
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED
    assert submit(other_client, contract_id, "Travel split out.").status_code == 302
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Approve milestone 1 and release $150" in page

    assert approve(client, contract_id, 2).status_code == 302
    # Exactly milestone 1's share went out; milestone 2 is the work now, its money held.
    assert transfers(db_session, contract_id) == [13500]
    assert [m[4] for m in milestones(db_session, contract_id)] == [P, F]
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED
    assert "Submit milestone 2: Reconciled books" in other_client.get(
        f"/contracts/{contract_id}"
    ).get_data(as_text=True)
    # The whole-contract cancel would refund money already paid out: it is not offered.
    assert "Cancel and refund" not in client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    refused = client.post(f"/contracts/{contract_id}/cancel")
    assert refused.status_code == 409
    assert "Milestone 1 has been released" in refused.get_data(as_text=True)

    assert submit(other_client, contract_id, "Books reconciled.").status_code == 302
    assert approve(client, contract_id, 3).status_code == 302
    assert transfers(db_session, contract_id) == [13500, 9000]
    assert [m[4] for m in milestones(db_session, contract_id)] == [P, P]
    paid = contract(db_session, contract_id)
    assert paid.status == ContractStatus.PAID
    assert sum(transfers(db_session, contract_id)) == paid.net_cents
    # Told once per milestone paid; the owner once per submission.
    assert kinds_for(db_session, assistant.id).count(Kind.PAYMENT_SENT) == 2
    assert kinds_for(db_session, owner.id).count(Kind.WORK_SUBMITTED) == 3
    keys = db_session.scalars(
        select(Notification.object_key).where(Notification.kind == Kind.PAYMENT_SENT)
    ).all()
    assert len(set(keys)) == 2
    assert A not in [m[4] for m in milestones(db_session, contract_id)]


def test_fee_shares_add_up_to_the_contract_fee_to_the_cent(
    client, other_client, db_session, stripe_relay, time_machine
):
    thirds = [("Part one", "83.33", ""), ("Part two", "83.33", ""), ("Part three", "83.34", "")]
    _, _, contract_id = funded_in_parts(
        client, other_client, db_session, stripe_relay, time_machine, thirds
    )
    rows = milestones(db_session, contract_id)
    # 10% of each, rounded alone, would be 833 + 833 + 833: a cent short of the $25 fee.
    assert [(amount, fee) for _, _, amount, fee, _ in rows] == [
        (8333, 833),
        (8333, 834),
        (8334, 833),
    ]
    whole = contract(db_session, contract_id)
    assert sum(r[3] for r in rows) == whole.fee_cents == 2500


def test_milestones_that_do_not_add_up_to_the_total_hire_nothing(client, db_session, time_machine):
    time_machine.move_to(START, tick=False)
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    for parts, message in (
        ([("One", "150", ""), ("Two", "99.99", "")], "add up to $249.99; they must add up"),
        ([("One", "150", ""), ("", "100", "")], "Give milestone 2 a title."),
        ([("One", "250", "2026-11-30")], "Milestone 1&#39;s due date has passed"),
        ([("One", "250.001", "")], "at most two decimals"),
        ([("One\x00", "250", "")], "Remove the control character"),
    ):
        refused = hire_in_parts(client, proposal.id, parts)
        assert refused.status_code == 422, parts
        assert message in refused.get_data(as_text=True), parts
    assert db_session.scalar(select(Milestone.id)) is None
    # Left empty: one milestone for the whole price, as before milestones.
    assert hire_in_parts(client, proposal.id, []).status_code == 302
    (only,) = db_session.scalars(select(Milestone)).all()
    assert (only.number, only.amount_cents, only.fee_cents) == (1, 25000, 2500)


def test_more_rows_can_be_added_up_to_ten(client, db_session, time_machine):
    time_machine.move_to(START, tick=False)
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    page = client.get(f"/proposals/{proposal.id}/hire").get_data(as_text=True)
    assert page.count('data-testid="milestone-row"') == 3
    more = client.post(
        f"/proposals/{proposal.id}/hire",
        {"hours": "10", "action": "more", "milestones-0-title": "Kept"},
    ).get_data(as_text=True)
    assert more.count('data-testid="milestone-row"') == 4
    assert 'value="Kept"' in more


def test_an_unanswered_milestone_is_released_alone_after_the_window(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    _, assistant, contract_id = funded_in_parts(
        client, other_client, db_session, stripe_relay, time_machine, TWO
    )
    assert submit(other_client, contract_id, "The draft.").status_code == 302
    time_machine.move_to(START + WINDOW - timedelta(minutes=1), tick=False)
    with app.app_context():
        assert release_due(db_session).released == 0
    time_machine.move_to(START + WINDOW, tick=False)
    with app.app_context():
        report = release_due(db_session)
        assert (report.released, report.paid_out) == (1, 1)
        assert release_due(db_session).released == 0  # a second run changes nothing
    assert transfers(db_session, contract_id) == [13500]
    assert [m[4] for m in milestones(db_session, contract_id)] == [
        MilestoneStatus.PAID,
        MilestoneStatus.FUNDED,
    ]
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED
    assert Kind.WORK_RELEASED in kinds_for(db_session, assistant.id)


def test_emails_name_the_milestone_and_its_money(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    from marketplace.notifications.emails import build_message

    owner, assistant, contract_id = funded_in_parts(
        client, other_client, db_session, stripe_relay, time_machine, TWO
    )
    assert submit(other_client, contract_id, "The draft.").status_code == 302

    def text(user_id: int, kind: Kind) -> str:
        db_session.expire_all()
        n = db_session.scalars(
            select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
        ).one()
        with app.app_context():
            msg = build_message(db_session, n)
        return f"{msg['Subject']}\n{msg.get_body(('plain',)).get_content()}"

    submitted = text(owner.id, Kind.WORK_SUBMITTED)
    assert "milestone 1 of 2, “Draft chart of accounts”" in submitted
    assert "release $135 to them: your $150 less the $15 platform fee" in submitted
    assert approve(client, contract_id, 1).status_code == 302
    paid = text(assistant.id, Kind.PAYMENT_SENT)
    assert "You have been paid $135" in paid
    assert "milestone 1 of 2" in paid and "$150 less the $15 platform fee" in paid


def test_an_operator_settles_only_what_is_still_held(
    client, other_client, db_session, stripe_relay, time_machine
):
    from tests.operator.helpers import make_operator

    _, _, contract_id = funded_in_parts(
        client, other_client, db_session, stripe_relay, time_machine, TWO
    )
    assert submit(other_client, contract_id, "The draft.").status_code == 302
    assert approve(client, contract_id, 1).status_code == 302  # $135 of milestone 1 paid
    client.login_as(make_operator(db_session))
    page = client.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert "$100 held, of $250" in page and "($90 after the fee)" in page
    assert 'data-testid="milestone-1" data-status="paid"' in page
    settled = client.post(
        f"/operator/contracts/{contract_id}/resolve",
        {"outcome": "release", "refund": "", "note": "Finished.", "reason": "Ticket 7"},
    )
    assert settled.status_code == 303, settled.get_data(as_text=True)
    # Milestone 2's share, not the whole contract's a second time.
    assert transfers(db_session, contract_id) == [13500, 9000]
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    assert [m[4] for m in milestones(db_session, contract_id)] == [
        MilestoneStatus.PAID,
        MilestoneStatus.PAID,
    ]


def test_milestones_approved_before_the_assistant_can_be_paid_go_out_once_later(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    from marketplace.payments.models import PayoutAccount

    time_machine.move_to(START, tick=False)
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    hired = hire_in_parts(client, proposal.id, TWO)
    contract_id = int(re.search(r"/contracts/(\d+)", hired.location).group(1))
    paid_as_a_whole(db_session, contract_id)
    stripe_relay.pay(checkout_url(client, contract_id))
    stripe_relay.deliver(client)
    other_client.login_as(assistant)
    assert submit(other_client, contract_id, "The draft.").status_code == 302
    assert approve(client, contract_id, 1).status_code == 302
    assert transfers(db_session, contract_id) == []  # no Stripe account to pay yet
    pending = other_client.get("/payouts").get_data(as_text=True)
    assert "milestone 1: Draft chart of accounts" in pending and "$135" in pending

    other_client.post("/payouts/connect")
    db_session.expire_all()
    stripe_relay.onboard(db_session.get(PayoutAccount, assistant.id).stripe_account_id)
    # account.updated is lost: the reconcile command pays the approved milestone, once.
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert f"paid out [{contract_id}]" in result.output, result.output
    app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert transfers(db_session, contract_id) == [13500]
    assert len(stripe_relay.transfers(contract_id)) == 1
    assert [m[4] for m in milestones(db_session, contract_id)] == [
        MilestoneStatus.PAID,
        MilestoneStatus.FUNDED,
    ]


def test_the_money_page_of_a_whole_price_contract_holds_only_what_is_not_paid_out(
    client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = funded_in_parts(
        client, other_client, db_session, stripe_relay, time_machine, TWO
    )
    held = r'data-testid="held-USD">\$([\d.,]+)<'
    assert re.search(held, client.get("/ledger").get_data(as_text=True)).group(1) == "250"
    assert submit(other_client, contract_id, "The draft chart.").status_code == 302
    assert approve(client, contract_id, 1).status_code == 302
    assert transfers(db_session, contract_id) == [13500]
    # Milestone 1's $150 went out: only milestone 2's $100 ($90 the assistant's) is held.
    assert re.search(held, client.get("/ledger").get_data(as_text=True)).group(1) == "100"
    assert re.search(held, other_client.get("/ledger").get_data(as_text=True)).group(1) == "90"
