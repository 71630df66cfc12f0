"""Connect: Express accounts, hosted onboarding and transfers."""

from __future__ import annotations

import uuid

import pytest
import stripe
from stripe_emulator_helpers import request


def _account(stripe_client, **extra):
    return stripe_client.v1.accounts.create(
        params={
            "type": "express",
            "country": "US",
            "email": "va@example.com",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"user_id": "7"},
            **extra,
        },
        options={"idempotency_key": f"acct-{uuid.uuid4().hex}"},
    )


def _onboard(stripe_client, sink, account_id: str) -> None:
    link = stripe_client.v1.account_links.create(
        params={
            "account": account_id,
            "refresh_url": sink.url + "/refresh",
            "return_url": sink.url + "/return",
            "type": "account_onboarding",
        }
    )
    status, headers, page = request("POST", link.url)
    assert status == 303 and headers["Location"] == sink.url + "/return"


def test_account_onboarding_sends_account_updated(stripe_client, sink):
    acct = _account(stripe_client)
    assert acct.id.startswith("acct_")
    assert (acct.charges_enabled, acct.payouts_enabled, acct.details_submitted) == (
        False,
        False,
        False,
    )
    assert acct.metadata.to_dict() == {"user_id": "7"}

    link = stripe_client.v1.account_links.create(
        params={
            "account": acct.id,
            "refresh_url": sink.url + "/refresh",
            "return_url": sink.url + "/return",
            "type": "account_onboarding",
        }
    )
    assert link.object == "account_link" and link.expires_at > link.created
    status, _, page = request("GET", link.url)
    assert status == 200 and "TEST MODE — Delegate Stripe emulator" in page
    assert "Complete onboarding" in page and acct.id in page

    status, headers, _ = request("POST", link.url)
    assert status == 303 and headers["Location"] == sink.url + "/return"
    event = sink.wait_for("account.updated", lambda o: o.id == acct.id)
    assert event.data.object.payouts_enabled is True
    assert event.account == acct.id

    fresh = stripe_client.v1.accounts.retrieve(acct.id)
    assert (fresh.charges_enabled, fresh.payouts_enabled, fresh.details_submitted) == (
        True,
        True,
        True,
    )
    assert fresh.capabilities.transfers == "active"

    # Links are single-use: a second visit goes to refresh_url.
    status, headers, _ = request("GET", link.url)
    assert status == 303 and headers["Location"] == sink.url + "/refresh"


def test_transfer_with_source_transaction(stripe_client, sink, paid_session):
    session = paid_session(amount=20000)
    charge = session.payment_intent.latest_charge
    acct = _account(stripe_client)
    _onboard(stripe_client, sink, acct.id)
    group = charge.transfer_group

    transfer = stripe_client.v1.transfers.create(
        params={
            "amount": 18000,
            "currency": "usd",
            "destination": acct.id,
            "transfer_group": group,
            "source_transaction": charge.id,
            "metadata": {"contract_id": "t1"},
        },
        options={"idempotency_key": f"{group}-transfer"},
    )
    assert transfer.id.startswith("tr_") and transfer.destination == acct.id
    assert transfer.source_transaction == charge.id and transfer.transfer_group == group
    assert stripe_client.v1.transfers.retrieve(transfer.id).amount == 18000
    listed = stripe_client.v1.transfers.list(params={"transfer_group": group})
    assert [t.id for t in listed.data] == [transfer.id]
    sink.wait_for("transfer.created", lambda o: o.id == transfer.id)

    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.transfers.create(
            params={
                "amount": 2001,
                "currency": "usd",
                "destination": acct.id,
                "source_transaction": charge.id,
            }
        )
    assert err.value.param == "amount"


def test_transfer_refused_without_payouts_or_account(stripe_client, paid_session):
    charge = paid_session().payment_intent.latest_charge
    acct = _account(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.transfers.create(
            params={
                "amount": 100,
                "currency": "usd",
                "destination": acct.id,
                "source_transaction": charge.id,
            }
        )
    assert err.value.http_status == 400
    assert err.value.code == "insufficient_capabilities_for_transfer"
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.transfers.create(
            params={"amount": 100, "currency": "usd", "destination": "acct_doesnotexist"}
        )
    assert err.value.param == "destination"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.accounts.retrieve("acct_doesnotexist")


def test_module_level_connect_calls(emulator, sink, monkeypatch):
    monkeypatch.setattr(stripe, "api_key", "sk_test_module")
    monkeypatch.setattr(stripe, "api_base", emulator.base_url)
    acct = stripe.Account.create(
        type="express",
        country="US",
        email="m@example.com",
        capabilities={"transfers": {"requested": True}},
        metadata={"user_id": "9"},
        idempotency_key=uuid.uuid4().hex,
    )
    link = stripe.AccountLink.create(
        account=acct.id,
        refresh_url=sink.url + "/r",
        return_url=sink.url + "/ret",
        type="account_onboarding",
    )
    request("POST", link.url)
    assert stripe.Account.retrieve(acct.id).payouts_enabled is True
