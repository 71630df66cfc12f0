"""A server without Stripe keys says payments are unavailable (503, try later), not that the
owner did something conflicting (409); nothing about the contract changes."""

from __future__ import annotations

from marketplace.contracts.models import ContractStatus
from tests.payments.helpers import contract, hire, proposal_scene


def test_paying_on_a_server_without_stripe_keys_is_unavailable_not_a_conflict(
    app, client, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    owner, _assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)

    response = client.post(f"/contracts/{contract_id}/checkout")

    assert response.status_code == 503
    assert "Payments are not set up on this server" in response.get_data(as_text=True)
    assert contract(db_session, contract_id).status == ContractStatus.AWAITING_FUNDING
