"""A fixed contract taken from hiring to payment through the API, and the refusals an
integrator meets on the way: strangers get 404, the wrong side 403, a read-only token 403,
a bad note 422 with nothing stored, a stale answer 409."""

from __future__ import annotations

from marketplace.api.models import TokenScope
from marketplace.contracts.models import Contract, ContractStatus
from marketplace.contracts.services import hire, quote
from marketplace.hiring.services import apply_to_task
from marketplace.payments.models import EntryKind
from tests.api.support import bearer, token_for
from tests.factories import make_assistant, make_owner, make_task
from tests.payments.helpers import connect_payouts, ledger

NOTE = "Ten years of QuickBooks for shops like yours; I can start this week."


def fixed_contract(session, app):
    owner, assistant = make_owner(session), make_assistant(session)
    task = make_task(session, owner)
    proposal = apply_to_task(session, assistant, task.id, cover_note=NOTE, proposed_rate_cents=2500)
    price = quote(proposal, 10, 1000)
    with app.app_context():  # the emails' job runs after the commit
        contract = hire(session, owner, proposal.id, 10, 1000, price.total_cents)
        session.commit()
    return owner, assistant, contract


def status_of(session, contract_id: int) -> ContractStatus:
    session.expire_all()
    return session.get(Contract, contract_id).status


def test_an_owner_funds_approves_and_the_assistant_is_paid_through_the_api(
    client, other_client, app, db_session, stripe_relay
):
    owner, assistant, contract = fixed_contract(db_session, app)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    mine, theirs = bearer(token_for(db_session, owner)), bearer(token_for(db_session, assistant))
    base = f"/api/v1/contracts/{contract.id}"

    opened = client.raw.post(f"{base}/checkout", headers=mine)
    assert opened.status_code == 200, opened.get_json()
    url = opened.get_json()["url"]
    # The page still open is given again, not a second one to pay twice.
    assert client.raw.post(f"{base}/checkout", headers=mine).get_json()["url"] == url
    assert client.raw.post(f"{base}/checkout", headers=theirs).status_code == 403
    status, _, _ = stripe_relay.pay(url)
    assert status == 303
    stripe_relay.deliver(client)
    assert status_of(db_session, contract.id) == ContractStatus.FUNDED
    funded = client.raw.post(f"{base}/checkout", headers=mine)
    assert funded.status_code == 409 and "nothing to pay" in funded.get_json()["detail"]

    empty = client.raw.post(f"{base}/submit", json={"note": "   "}, headers=theirs)
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["field"] == "note"
    assert status_of(db_session, contract.id) == ContractStatus.FUNDED
    sent = client.raw.post(
        f"{base}/submit", json={"note": "Books closed: see the sheet."}, headers=theirs
    )
    assert sent.status_code == 200 and sent.get_json()["status"] == "submitted"

    back = client.raw.post(
        f"{base}/request-changes",
        json={"changes": "March is missing.", "submission": 1},
        headers=mine,
    )
    assert back.status_code == 200 and back.get_json()["status"] == "funded"
    client.raw.post(f"{base}/submit", json={"note": "March added."}, headers=theirs)
    stale = client.raw.post(f"{base}/approve", json={"submission": 1}, headers=mine)
    assert stale.status_code == 409
    approved = client.raw.post(f"{base}/approve", json={"submission": 2}, headers=mine)
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "paid"
    assert (EntryKind.TRANSFER, contract.net_cents) in ledger(db_session, contract.id)


def test_a_cancel_through_the_api_refunds_the_owner_in_full(client, app, db_session, stripe_relay):
    owner, assistant, contract = fixed_contract(db_session, app)
    mine = bearer(token_for(db_session, owner))
    base = f"/api/v1/contracts/{contract.id}"
    stripe_relay.pay(client.raw.post(f"{base}/checkout", headers=mine).get_json()["url"])
    stripe_relay.deliver(client)
    assistants = bearer(token_for(db_session, assistant))
    assert client.raw.post(f"{base}/cancel", headers=assistants).status_code == 403

    cancelled = client.raw.post(f"{base}/cancel", headers=mine)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    db_session.expire_all()
    assert db_session.get(Contract, contract.id).refund_id  # asked of Stripe after the commit
    stripe_relay.deliver(client)
    assert status_of(db_session, contract.id) == ContractStatus.REFUNDED
    assert (EntryKind.REFUND, contract.total_cents) in ledger(db_session, contract.id)


def test_strangers_and_read_only_tokens_change_no_contract(client, app, db_session, stripe_relay):
    owner, _assistant, contract = fixed_contract(db_session, app)
    stranger = bearer(token_for(db_session, make_owner(db_session)))
    reader = bearer(token_for(db_session, owner, TokenScope.READ))
    bodies = {"submit": {"note": "Done."}, "request-changes": {"changes": "More."}, "approve": {}}
    for action in ("checkout", "submit", "approve", "request-changes", "cancel", "pause", "end"):
        body = bodies.get(action)
        url = f"/api/v1/contracts/{contract.id}/{action}"
        refused = client.raw.post(url, json=body, headers=stranger)
        assert refused.status_code == 404, (action, refused.get_json())
        assert refused.mimetype == "application/problem+json"
        assert client.raw.post(url, json=body, headers=reader).status_code == 403
    assert status_of(db_session, contract.id) == ContractStatus.AWAITING_FUNDING


def test_a_contract_in_milestones_shows_each_and_pays_them_in_turn(
    client, other_client, app, db_session, stripe_relay
):
    from marketplace.contracts.milestones import Part

    owner, assistant = make_owner(db_session), make_assistant(db_session)
    task = make_task(db_session, owner)
    proposal = apply_to_task(
        db_session, assistant, task.id, cover_note=NOTE, proposed_rate_cents=2500
    )
    parts = [Part("Set up", 5001), Part("Close the year", 19999)]
    with app.app_context():
        contract = hire(db_session, owner, proposal.id, 10, 1000, 25000, parts=parts)
        db_session.commit()
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    mine, theirs = bearer(token_for(db_session, owner)), bearer(token_for(db_session, assistant))
    base = f"/api/v1/contracts/{contract.id}"
    stripe_relay.pay(client.raw.post(f"{base}/checkout", headers=mine).get_json()["url"])
    stripe_relay.deliver(client)

    client.raw.post(f"{base}/submit", json={"note": "Set up done."}, headers=theirs)
    body = client.raw.post(f"{base}/approve", json={"submission": 1}, headers=mine).get_json()
    assert body["status"] == "funded" and body["funded_per_milestone"]
    assert [
        (m["number"], m["amount_cents"], m["fee_cents"], m["status"]) for m in body["milestones"]
    ] == [
        (1, 5001, 500, "paid"),
        (2, 19999, 2000, "awaiting_funding"),  # milestone 2 is paid for when its turn comes
    ]
    assert body["milestones"][0]["net_cents"] == 4501
    assert (EntryKind.TRANSFER, 4501) in ledger(db_session, contract.id)

    early = client.raw.post(f"{base}/submit", json={"note": "Year closed."}, headers=theirs)
    assert early.status_code == 409 and "not funded yet" in early.get_json()["detail"]
    assert client.raw.post(f"{base}/milestones/1/checkout", headers=mine).status_code == 409
    assert client.raw.post(f"{base}/milestones/2/checkout", headers=theirs).status_code == 403
    opened = client.raw.post(f"{base}/milestones/2/checkout", headers=mine)
    assert opened.status_code == 200, opened.get_json()
    stripe_relay.pay(opened.get_json()["url"])
    stripe_relay.deliver(client)
    client.raw.post(f"{base}/submit", json={"note": "Year closed."}, headers=theirs)
    body = client.raw.post(f"{base}/approve", json={"submission": 2}, headers=mine).get_json()
    assert body["status"] == "paid"
    assert [m["status"] for m in body["milestones"]] == ["paid", "paid"]
    assert body["milestones"][1]["funded_at"] is not None
    assert (EntryKind.TRANSFER, 17999) in ledger(db_session, contract.id)
