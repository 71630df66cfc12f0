"""Assistants connect a Stripe Express account to be paid."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..accounts.models import User
from ..errors import PermissionDenied
from .gateway import StripeGateway
from .models import PayoutAccount
from .webhooks import sync_account


def onboarding_link(
    session: Session, gateway: StripeGateway, assistant: User, refresh_url: str, return_url: str
) -> str:
    if not assistant.is_assistant:
        raise PermissionDenied("Only assistants connect a payout account.")
    account = session.get(PayoutAccount, assistant.id)
    if account is None:
        created = gateway.create_express_account(assistant.id, assistant.email)
        account = PayoutAccount(user_id=assistant.id, stripe_account_id=created.id)
        session.add(account)
        session.flush()
    link = gateway.create_account_link(account.stripe_account_id, refresh_url, return_url)
    return link.url


def refresh_account(
    session: Session, gateway: StripeGateway, assistant: User
) -> PayoutAccount | None:
    """Read the account's state from Stripe (the source of truth, not the returning browser)."""
    account = session.get(PayoutAccount, assistant.id)
    if account is not None:
        sync_account(account, gateway.retrieve_account(account.stripe_account_id))
        session.flush()
    return account
