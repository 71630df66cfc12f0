"""A contract's checkout and cancel, each run with no transaction open while Stripe answers.

These commit, as a job or CLI command does (``contracts.runner``): a row lock (on SQLite, the
whole database's write lock) must not be held while Stripe is waited on. So each decision is
a compare-and-set that commits first (an attempt number claimed, the cancel), Stripe is asked
next, and what it made is kept by another compare-and-set. The idempotency keys come from our
ids, so a retry, or the reconcile command, finds what an interrupted request made. The site's
views, the API and the demo all come through here.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from ..accounts.models import User
from ..contracts import services as contracts
from ..contracts.models import Contract
from . import checkout_attempts, milestone_funding, services
from .gateway import StripeGateway, get_gateway


def checkout(
    session: Session,
    owner: User,
    contract_id: int,
    urls: dict[str, str],
    gateway: Callable[[], StripeGateway] = get_gateway,
) -> str:
    """The URL of the Stripe Checkout page that funds the contract: one still open, or a new
    one for a newly claimed attempt."""
    contract = contracts.contract_for(session, owner, contract_id)
    if contract.funded_per_milestone:
        return milestone_funding.checkout(session, owner, contract_id, None, urls, gateway)
    services.check_fundable(contract, owner)
    session.commit()  # nothing was written: this only ends the transaction before Stripe
    stripe = gateway()
    url = services.open_checkout_url(stripe, contract)
    if url is not None:
        return url
    return checkout_attempts.new_checkout(
        session,
        stripe,
        contract,
        contract.id,
        lambda attempt: services.create_checkout(stripe, contract, attempt, owner, urls),
    )


def cancel(
    session: Session,
    owner: User,
    contract_id: int,
    gateway: Callable[[], StripeGateway] = get_gateway,
) -> Contract:
    """Cancel the contract (committed), then refund what was paid or close the payment page
    still open. Stripe is asked for first only when there is a payment to undo, so a funded
    contract is not cancelled where it cannot be refunded (no Stripe configured)."""
    seen = contracts.contract_for(session, owner, contract_id)
    per_milestone = seen.funded_per_milestone
    paid = milestone_funding.needs_stripe_to_cancel(session, seen) if per_milestone else False
    stripe = gateway() if seen.checkout_session_id or paid else None
    contract, was_funded = contracts.cancel(session, owner, contract_id)
    session.commit()
    if per_milestone:
        milestone_funding.settle_cancelled(session, stripe, contract)
    else:
        contract = services.settle_cancelled(session, stripe, contract, was_funded)
    session.commit()
    return contract
