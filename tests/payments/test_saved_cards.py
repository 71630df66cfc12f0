"""Saved cards, through the real stripe library and the emulator: an owner saves a card on
Stripe's page, the webhook and the return page both report it (once), a newer card replaces
it and an older one never comes back, off-session charges give each test card's outcome,
and the on-session payment page pays and saves the card."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace.db import get_session, utcnow
from marketplace.payments import cards, webhooks
from marketplace.payments.gateway import PaymentsNotConfigured, get_gateway
from marketplace.payments.models import BillingProfile, StripeEvent
from tests.conftest import Client
from tests.factories import make_assistant, make_owner
from tests.payments.helpers import contract, funded_contract, proposal_scene
from tests.stripe_support import StripeRelay

VISA = "4242 4242 4242 4242"
CHARGE_FAILS = "4000 0000 0000 0341"
NO_FUNDS = "4000 0000 0000 9995"
AUTHENTICATE = "4000 0027 6000 3184"


def open_setup(client, return_to: str = "/settings") -> str:
    response = client.post("/settings/payment-method", {"return_to": return_to})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.location


def back_from_stripe(headers) -> str:
    """The path Stripe's page sends the browser back to (our app's own URL)."""
    parts = urlsplit(headers["Location"])
    return f"{parts.path}?{parts.query}"


def save_card(client, relay, card: str = VISA) -> str:
    status, headers, _ = relay.pay(open_setup(client), card=card)
    assert status == 303
    return back_from_stripe(headers)


def profiles(db_session, user_id: int) -> list[BillingProfile]:
    db_session.expire_all()
    return list(db_session.scalars(select(BillingProfile).where(BillingProfile.user_id == user_id)))


def settings_card(client) -> str:
    page = client.get("/settings").get_data(as_text=True)
    start = page.index('data-testid="saved-card">') + len('data-testid="saved-card">')
    return page[start : page.index("</p>", start)]


def customer(relay, db_session, owner):
    profile = db_session.get(BillingProfile, owner.id)
    return relay.client.v1.customers.retrieve(profile.stripe_customer_id)


def test_saving_a_card_shows_it_on_settings_once_whoever_reports_it_first(
    client, db_session, stripe_relay
):
    owner = make_owner(db_session)
    client.login_as(owner)
    assert settings_card(client) == "No card saved yet."
    assert ">Save a card</button>" in client.get("/settings").get_data(as_text=True)

    back = save_card(client, stripe_relay)
    # The webhook comes first, twice (Stripe may resend it), then the browser comes back.
    completed = [e for e in stripe_relay.events("checkout.session.completed")]
    assert len(completed) == 1 and completed[0]["data"]["object"]["mode"] == "setup"
    for _ in range(2):
        stripe_relay.post_event(client, completed[0])
    stripe_relay.deliver(client)
    landed = client.get(back)
    assert landed.status_code == 302 and landed.location == "/settings"

    [profile] = profiles(db_session, owner.id)
    assert (profile.card_brand, profile.card_last4) == ("visa", "4242")
    assert settings_card(client) == "Visa ending 4242, expires 12/34"
    assert ">Replace card</button>" in client.get("/settings").get_data(as_text=True)
    assert customer(stripe_relay, db_session, owner).invoice_settings.default_payment_method == (
        profile.payment_method_id
    )
    assert cards.saved_card(db_session, owner.id).payment_method_id == profile.payment_method_id
    exported = client.get("/settings/export").get_json()["payment_method"]
    assert (exported["card_brand"], exported["card_last4"]) == ("visa", "4242")
    assert "setup_attempt" not in exported


def test_the_return_page_alone_saves_the_card_and_the_late_webhook_changes_nothing(
    client, db_session, stripe_relay
):
    owner = make_owner(db_session)
    client.login_as(owner)
    back = save_card(client, stripe_relay)
    page = client.get(back, follow_redirects=True).get_data(as_text=True)
    assert "Card saved: Visa ending 4242, expires 12/34." in page
    first = profiles(db_session, owner.id)[0].payment_method_id
    stripe_relay.deliver(client)
    stripe_relay.deliver(client)  # nothing left: each event once
    [profile] = profiles(db_session, owner.id)
    assert profile.payment_method_id == first


def test_a_made_up_or_someone_elses_session_id_saves_nothing(client, db_session, stripe_relay):
    owner, other = make_owner(db_session), make_owner(db_session)
    client.login_as(other)
    others_back = save_card(client, stripe_relay)
    client.login_as(owner)
    open_setup(client)  # the owner has a Customer, but this session is the other owner's
    response = client.get(others_back + "&poll=99")
    assert response.status_code == 302
    assert cards.saved_card(db_session, owner.id) is None
    forged = client.get("/settings/payment-method/saved?session_id=cs_test_forged&poll=99")
    assert forged.status_code == 302 and cards.saved_card(db_session, owner.id) is None


def test_replacing_the_card_and_an_older_setup_arriving_late(client, db_session, stripe_relay):
    owner = make_owner(db_session)
    client.login_as(owner)
    old_back = save_card(client, stripe_relay, VISA)
    # Stripe orders cards by the second they were entered: the new one comes seconds later.
    with time_machine.travel(utcnow() + timedelta(seconds=5), tick=True):
        new_back = save_card(client, stripe_relay, NO_FUNDS)
    # The newer card is reported first; the older setup's webhook and return page come after.
    client.get(new_back)
    stripe_relay.deliver(client, reverse=True)
    client.get(old_back)
    assert settings_card(client) == "Visa ending 9995, expires 12/34"
    [profile] = profiles(db_session, owner.id)
    assert customer(stripe_relay, db_session, owner).invoice_settings.default_payment_method == (
        profile.payment_method_id
    )


def charge(db_session, owner, key: str, amount_cents: int = 12000):
    card = cards.saved_card(db_session, owner.id)
    return cards.charge_saved_card(
        get_gateway(),
        customer_id=card.stripe_customer_id,
        payment_method_id=card.payment_method_id,
        amount_cents=amount_cents,
        currency="USD",
        description="Delegate: week of 7 December (4 h)",
        idempotency_key=key,
        metadata={"sample_payment_id": "41"},
    )


@pytest.mark.parametrize(
    ("card", "outcome", "message", "decline_code"),
    [
        (VISA, "succeeded", None, None),
        (CHARGE_FAILS, "declined", "Your card was declined.", "generic_decline"),
        (NO_FUNDS, "declined", "Your card has insufficient funds.", "insufficient_funds"),
        (
            AUTHENTICATE,
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
            "authentication_required",
        ),
    ],
)
def test_off_session_charge_outcomes(
    app, client, db_session, stripe_relay, card, outcome, message, decline_code
):
    owner = make_owner(db_session)
    client.login_as(owner)
    client.get(save_card(client, stripe_relay, card))
    with app.test_request_context():
        result = charge(db_session, owner, f"timesheet-{owner.id}-charge")
    assert (result.outcome, result.message, result.decline_code) == (outcome, message, decline_code)
    assert result.payment_intent_id.startswith("pi_") and result.currency == "USD"
    assert result.amount_cents == (12000 if outcome == "succeeded" else 0)
    intent = stripe_relay.client.v1.payment_intents.retrieve(result.payment_intent_id)
    assert intent.status == ("succeeded" if outcome == "succeeded" else "requires_payment_method")
    # Stamped with its key: found again if a retry comes after Stripe forgot the key.
    key = f"timesheet-{owner.id}-charge"
    assert intent.metadata.to_dict() == {"sample_payment_id": "41", "delegate_key": key}
    if outcome == "succeeded":
        assert result.charge_id == intent.latest_charge


@pytest.mark.parametrize("card", [VISA, NO_FUNDS])
def test_the_same_idempotency_key_twice_charges_once(app, client, db_session, stripe_relay, card):
    owner = make_owner(db_session)
    client.login_as(owner)
    client.get(save_card(client, stripe_relay, card))
    with app.test_request_context():
        first = charge(db_session, owner, f"timesheet-{owner.id}-charge")
        again = charge(db_session, owner, f"timesheet-{owner.id}-charge")
    assert again == first
    profile = db_session.get(BillingProfile, owner.id)
    charges = stripe_relay.client.v1.charges.list(params={"customer": profile.stripe_customer_id})
    assert len(charges.data) == 1


def test_charging_without_stripe_keys_raises_payments_not_configured():
    with pytest.raises(PaymentsNotConfigured):
        cards.charge_saved_card(
            None,
            customer_id="cus_x",
            payment_method_id="pm_x",
            amount_cents=100,
            currency="USD",
            description="x",
            idempotency_key="timesheet-1-charge",
            metadata={},
        )


@pytest.fixture
def sample_payment_events():
    """A stand-in for the module that registers its payments (say, a future kind of payment)."""
    seen: list[tuple[str, dict, object]] = []

    def handler(session, gateway, event_type, obj, facts):
        seen.append((event_type, obj, facts))

    webhooks.on_payment_intent("sample_payment_id", handler)
    yield seen
    webhooks._PAYMENT_ROUTES.pop("sample_payment_id", None)


def test_paying_on_session_after_a_failed_charge_saves_the_new_card_and_routes_its_events(
    app, client, db_session, stripe_relay, sample_payment_events
):
    owner, _assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    client.get(save_card(client, stripe_relay, CHARGE_FAILS))
    with app.test_request_context():
        failed = charge(db_session, owner, "timesheet-41-charge")
        assert failed.outcome == "declined"
        terms = {
            "amount_cents": 12000,
            "currency": "USD",
            "description": "Delegate: week of 7 December (4 h)",
            "idempotency_key": "timesheet-41-pay-1",
            "metadata": {"sample_payment_id": "41"},
            "return_to": "/contracts",
        }
        page = cards.payment_checkout_url(db_session, get_gateway(), owner, **terms)
        again = cards.payment_checkout_url(db_session, get_gateway(), owner, **terms)
        assert (again.id, again.url) == (page.id, page.url)  # the same key: the same page
        url = page.url
    with time_machine.travel(utcnow() + timedelta(seconds=5), tick=True):  # seconds later
        status, headers, page = stripe_relay.pay(url, card=AUTHENTICATE)
        assert status == 303, page
        stripe_relay.deliver(client)
        assert client.get(back_from_stripe(headers)).location == "/contracts"
        assert settings_card(client) == "Visa ending 3184, expires 12/34"
        # Read afresh: the profile loaded before paying may still sit in the test's session
        # (its identity map holds it until the garbage collector runs), with the old card.
        (profile,) = profiles(db_session, owner.id)
        assert customer(
            stripe_relay, db_session, owner
        ).invoice_settings.default_payment_method == (profile.payment_method_id)

        routed = {event_type: facts for event_type, _obj, facts in sample_payment_events}
        assert {"checkout.session.completed", "payment_intent.succeeded"} <= set(routed)
        paid = routed["checkout.session.completed"]
        assert paid.succeeded and paid.amount_cents == 12000 and paid.currency == "USD"
        assert "payment_intent.payment_failed" in routed  # the declined off-session attempt

        # The contract flow is untouched by the registry: a contract still funds.
        contract_id = funded_contract(client, stripe_relay, db_session, proposal)
        assert contract(db_session, contract_id).status.value == "funded"
        assert all(
            obj.get("metadata", {}).get("contract_id") is None
            for _, obj, _ in sample_payment_events
        )


def test_a_payment_page_for_contract_metadata_is_refused(app, db_session, stripe_relay):
    owner = make_owner(db_session)
    with app.test_request_context(), pytest.raises(ValueError):
        cards.payment_checkout_url(
            db_session,
            get_gateway(),
            owner,
            amount_cents=100,
            currency="USD",
            description="x",
            idempotency_key="k",
            metadata={"contract_id": "1"},
            return_to="/",
        )


def test_only_owners_save_cards(client, db_session, stripe_relay):
    assistant = make_assistant(db_session)
    client.login_as(assistant)
    assert "Payment method" not in client.get("/settings").get_data(as_text=True)
    assert client.post("/settings/payment-method", {"return_to": "/settings"}).status_code == 403
    assert client.get("/settings/payment-method/saved?session_id=cs_test_x").status_code == 403
    client.logout()
    assert client.post("/settings/payment-method").status_code == 302  # to the log-in page


def test_the_card_button_needs_the_csrf_token(client, db_session, stripe_relay):
    client.login_as(make_owner(db_session))
    response = client.post("/settings/payment-method", {"return_to": "/settings"}, csrf=False)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "return_to",
    ["https://evil.example/settings", "//evil.example/x", "/\\evil.example", "/nowhere-at-all"],
)
def test_return_to_must_be_a_page_of_this_site(client, db_session, stripe_relay, return_to):
    owner = make_owner(db_session)
    client.login_as(owner)
    response = client.post("/settings/payment-method", {"return_to": return_to})
    assert response.status_code == 422
    assert "not a page of this site" in response.get_data(as_text=True)
    assert stripe_relay.events("customer.created") == []  # refused before asking Stripe


def test_coming_back_with_a_foreign_next_lands_on_settings(client, db_session, stripe_relay):
    owner = make_owner(db_session)
    client.login_as(owner)
    back = save_card(client, stripe_relay)
    evil = back.replace("next=/settings", "next=https%3A%2F%2Fevil.example%2F")
    assert evil != back
    response = client.get(evil)
    assert response.status_code == 302 and response.location == "/settings"
    assert cards.saved_card(db_session, owner.id) is not None


def test_saving_a_card_on_a_server_without_stripe_keys_is_unavailable(
    app, client, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    app.extensions.pop("stripe_gateway", None)
    client.login_as(make_owner(db_session))
    response = client.post("/settings/payment-method", {"return_to": "/settings"})
    assert response.status_code == 503
    assert "Payments are not set up on this server" in response.get_data(as_text=True)


def test_two_racing_clicks_make_one_customer(committed_stripe_app, stripe_emulator):
    relay = StripeRelay(stripe_emulator)
    with committed_stripe_app.app_context():
        session = get_session()
        owner = make_owner(session, email="racing-cards@example.com")
        session.commit()
        owner_id = owner.id
    clients = [Client(committed_stripe_app.test_client()) for _ in range(2)]
    tokens = []
    for c in clients:
        with committed_stripe_app.app_context():
            c.login_as(get_session().get(type(owner), owner_id))
        tokens.append(c.csrf_token())
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def click(c: Client, token: str) -> None:
        barrier.wait()
        response = c.raw.post(
            "/settings/payment-method", data={"csrf_token": token, "return_to": "/settings"}
        )
        statuses.append(response.status_code)

    pairs = zip(clients, tokens, strict=True)
    threads = [threading.Thread(target=click, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert statuses == [303, 303]
    with committed_stripe_app.app_context():
        session = get_session()
        count = session.scalar(
            select(func.count())
            .select_from(BillingProfile)
            .where(BillingProfile.user_id == owner_id)
        )
        assert count == 1
    found = relay.client.v1.customers.list(params={"email": "racing-cards@example.com"}).data
    assert len(found) == 1
    with committed_stripe_app.app_context():
        assert get_session().get(BillingProfile, owner_id).stripe_customer_id == found[0].id


def test_contract_checkout_still_opens(client, db_session, stripe_relay):
    """The contract's own Checkout (no Customer) is not a card checkout."""
    owner, _assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    assert cards.saved_card(db_session, owner.id) is None
    assert contract(db_session, contract_id).status.value == "funded"


def test_the_return_page_racing_the_webhook_saves_one_card(committed_stripe_app, stripe_emulator):
    relay = StripeRelay(stripe_emulator)
    with committed_stripe_app.app_context():
        session = get_session()
        owner = make_owner(session, email="racing-return@example.com")
        session.commit()
        owner_id = owner.id
    browser, stripe_side = (Client(committed_stripe_app.test_client()) for _ in range(2))
    with committed_stripe_app.app_context():
        browser.login_as(get_session().get(type(owner), owner_id))
    status, headers, _ = relay.pay(open_setup(browser), card=VISA)
    assert status == 303
    [completed] = relay.events("checkout.session.completed")
    barrier = threading.Barrier(3)
    statuses: list[int] = []

    def webhook() -> None:
        barrier.wait()
        statuses.append(relay.post_event(stripe_side, completed).status_code)

    def come_back() -> None:
        barrier.wait()
        statuses.append(browser.get(back_from_stripe(headers)).status_code)

    threads = [threading.Thread(target=f) for f in (webhook, webhook, come_back)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(statuses) == [200, 200, 302]
    with committed_stripe_app.app_context():
        session = get_session()
        [profile] = session.scalars(
            select(BillingProfile).where(BillingProfile.user_id == owner_id)
        ).all()
        assert profile.card_last4 == "4242"
        stored = session.scalar(
            select(func.count()).select_from(StripeEvent).where(StripeEvent.id == completed["id"])
        )
        assert stored == 1
    found = relay.client.v1.customers.retrieve(profile.stripe_customer_id)
    assert found.invoice_settings.default_payment_method == profile.payment_method_id
