"""After a declined card and then a good one, the owner is never told their card was
declined once they have paid, whatever order Stripe's events come in."""

from marketplace.contracts.models import ContractStatus
from tests.payments.helpers import checkout_url, contract, hire, proposal_scene
from tests.stripe_support import DECLINED

STALE = "Your last payment attempt failed"


def declined_then_paid(client, relay, db_session, proposal) -> tuple[int, str]:
    contract_id = hire(client, proposal)
    url = checkout_url(client, contract_id)
    assert relay.pay(url, card=DECLINED)[0] == 402
    relay.deliver(client)
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert f"{STALE}: Your card was declined." in page and "Pay $250 with Stripe" in page
    status, headers, _ = relay.pay(url)
    assert status == 303
    return contract_id, headers["Location"].replace("http://localhost", "")


def test_coming_back_from_checkout_shows_confirming_not_the_old_decline(
    client, db_session, stripe_relay
):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id, back = declined_then_paid(client, stripe_relay, db_session, proposal)
    assert "checkout=done" in back and "session_id=cs_test_" in back

    page = client.get(back).get_data(as_text=True)  # the webhook has not come yet
    assert "Confirming your payment with Stripe" in page
    assert STALE not in page and "Pay $250 with Stripe" not in page
    assert 'http-equiv="refresh"' in page and "poll=1" in page

    # A made-up session id proves nothing: the page says what it knows.
    forged = client.get(f"/contracts/{contract_id}?checkout=done&session_id=cs_test_x")
    assert STALE in forged.get_data(as_text=True)
    # It stops looking after a while, and says so.
    late = client.get(back + "&poll=40").get_data(as_text=True)
    assert "Stripe has not confirmed your payment yet" in late
    assert 'http-equiv="refresh"' not in late

    stripe_relay.deliver(client)
    done = client.get(back).get_data(as_text=True)
    assert "Funded: work can start" in done and STALE not in done and "Confirming" not in done


def test_an_older_failure_delivered_after_the_success_is_ignored(client, db_session, stripe_relay):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    url = checkout_url(client, contract_id)
    stripe_relay.pay(url, card=DECLINED)
    stripe_relay.pay(url)
    # The success overtakes the failure of the earlier attempt; funding comes last.
    stripe_relay.deliver(client, types={"payment_intent.succeeded"})
    stripe_relay.deliver(client, types={"payment_intent.payment_failed", "charge.failed"})
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert STALE not in page
    stripe_relay.deliver(client)
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED
