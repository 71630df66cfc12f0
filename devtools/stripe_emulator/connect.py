"""Connect: Express accounts, onboarding links (with a hosted page) and transfers."""

from __future__ import annotations

import secrets
import time
from html import escape
from typing import Any

from aiohttp import web
from localstripe import resources as ls

from . import lists
from ._http import (
    StripeError,
    json_response,
    no_such,
    pop_expand,
    random_id,
    read_params,
    require,
    to_int,
    unknown_params,
)
from ._keys import ACCOUNT_LINKS, PUBLIC_URL
from .pages import render
from .webhooks import emit

_ACCOUNT_ALLOWED = {
    "type",
    "country",
    "email",
    "capabilities",
    "metadata",
    "business_type",
    "business_profile",
    "default_currency",
    "settings",
    "tos_acceptance",
    "controller",
    "individual",
    "company",
}
LINK_TTL = 300  # Stripe account links expire after a few minutes and are single-use


class Account(ls.StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(self, params: dict[str, Any]):
        self.id = random_id("acct_", 16)
        super().__init__(id=self.id)
        self.type = params.get("type") or "express"
        self.country = params.get("country") or "US"
        self.email = params.get("email")
        self.metadata = dict(params.get("metadata") or {})
        self.business_type = params.get("business_type")
        self.business_profile = dict(params.get("business_profile") or {})
        self.default_currency = params.get("default_currency") or "usd"
        requested = params.get("capabilities") or {}
        self.capabilities = {name: "inactive" for name in requested}
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.requirements = {
            "currently_due": ["external_account", "tos_acceptance.date"],
            "eventually_due": [],
            "past_due": [],
            "disabled_reason": "requirements.past_due",
        }
        self.controller = {"type": "application", "is_controller": True}

    def _complete_onboarding(self) -> None:
        self.details_submitted = True
        self.charges_enabled = True
        self.payouts_enabled = True
        self.capabilities = {name: "active" for name in (self.capabilities or {"transfers": 1})}
        self.requirements = {
            "currently_due": [],
            "eventually_due": [],
            "past_due": [],
            "disabled_reason": None,
        }
        emit("account.updated", self, account=self.id)

    @classmethod
    def _get(cls, id: str, param: str = "id") -> Account:
        acct = ls.store.get(f"account:{id}")
        if acct is None:
            raise no_such("account", id, param)
        return acct


class Transfer(ls.StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(self, *, amount: int, currency: str, destination: str, params: dict):
        self.id = random_id("tr_", 24)
        super().__init__(id=self.id)
        self.amount = amount
        self.amount_reversed = 0
        self.currency = currency
        self.destination = destination
        self.destination_payment = random_id("py_", 24)
        self.description = params.get("description")
        self.metadata = dict(params.get("metadata") or {})
        self.reversed = False
        self.reversals = {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/transfers/{self.id}/reversals",
        }
        self.source_transaction = params.get("source_transaction")
        self.source_type = "card"
        self.transfer_group = params.get("transfer_group")
        self.balance_transaction = random_id("txn_", 24)


def _transfers() -> list[Transfer]:
    return [v for k, v in ls.store.items() if k.startswith("transfer:")]


def _platform_available(currency: str) -> int:
    """Funds from succeeded charges minus refunds and transfers. Unlike Stripe,
    charge funds are available immediately (no pending period)."""
    charges = [
        v
        for k, v in ls.store.items()
        if k.startswith("charge:")
        and v.currency == currency
        and v.status == "succeeded"
        and v.captured
    ]
    gross = sum(c.amount - c.amount_refunded for c in charges)
    return gross - sum(t.amount for t in _transfers() if t.currency == currency)


# -- accounts -----------------------------------------------------------------
async def create_account(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    expand = pop_expand(params)
    unknown_params(params, _ACCOUNT_ALLOWED)
    if params.get("type", "express") not in ("express", "standard", "custom"):
        raise StripeError(f"Invalid type: {params['type']}", param="type")
    acct = Account(params)
    return json_response(acct._export(expand=expand))


async def retrieve_account(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    return json_response(Account._get(request.match_info["id"])._export(pop_expand(params)))


async def update_account(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    expand = pop_expand(params)
    acct = Account._get(request.match_info["id"])
    unknown_params(params, {"email", "metadata", "business_profile", "settings"})
    for key, value in (params.get("metadata") or {}).items():
        if value == "":
            acct.metadata.pop(key, None)
        else:
            acct.metadata[key] = value
    if "email" in params:
        acct.email = params["email"]
    if params.get("business_profile"):
        acct.business_profile.update(params["business_profile"])
    emit("account.updated", acct, account=acct.id)
    return json_response(acct._export(expand=expand))


async def list_accounts(request: web.Request) -> web.Response:
    accts = sorted(
        (v for k, v in ls.store.items() if k.startswith("account:")),
        key=lambda a: a.created,
        reverse=True,
    )
    return json_response(
        {
            "object": "list",
            "url": "/v1/accounts",
            "has_more": False,
            "data": [a._export() for a in accts],
        }
    )


# -- account links & hosted onboarding ---------------------------------------
async def create_account_link(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    pop_expand(params)
    unknown_params(
        params, {"account", "refresh_url", "return_url", "type", "collect", "collection_options"}
    )
    acct = Account._get(require(params, "account"), "account")
    link_type = require(params, "type")
    if link_type not in ("account_onboarding", "account_update"):
        raise StripeError(f"Invalid type: {link_type}", param="type")
    refresh_url, return_url = require(params, "refresh_url"), require(params, "return_url")
    token = secrets.token_urlsafe(18)
    now = int(time.time())
    request.app[ACCOUNT_LINKS][token] = {
        "account": acct.id,
        "refresh_url": refresh_url,
        "return_url": return_url,
        "expires_at": now + LINK_TTL,
        "used": False,
    }
    base = request.app[PUBLIC_URL] or f"{request.scheme}://{request.host}"
    return json_response(
        {
            "object": "account_link",
            "created": now,
            "expires_at": now + LINK_TTL,
            "url": f"{base}/setup/e/{token}",
        }
    )


def _link(request: web.Request) -> dict:
    link = request.app[ACCOUNT_LINKS].get(request.match_info["token"])
    if link is None:
        raise web.HTTPNotFound(text="Unknown onboarding link")
    if link["used"] or time.time() > link["expires_at"]:
        # Stripe sends expired / reused links to refresh_url so the platform
        # can mint a fresh one.
        raise web.HTTPSeeOther(link["refresh_url"])
    return link


async def onboarding_page(request: web.Request) -> web.Response:
    link = _link(request)
    acct = Account._get(link["account"])
    body = (
        f"<p>Connected account <code id=account-id>{escape(acct.id)}</code>"
        f" ({escape(acct.email or 'no email')}).</p>"
        "<p>In test mode no identity or bank details are needed.</p>"
        "<form method=post><button type=submit id=complete-onboarding>"
        "Complete onboarding</button></form>"
        f'<p><a id=exit href="{escape(link["return_url"], quote=True)}">'
        "Exit without completing</a></p>"
    )
    return render("Set up payouts for Delegate", body)


async def onboarding_submit(request: web.Request) -> web.Response:
    link = _link(request)
    link["used"] = True
    Account._get(link["account"])._complete_onboarding()
    raise web.HTTPSeeOther(link["return_url"])


async def admin_onboard(request: web.Request) -> web.Response:
    """Test shortcut: complete onboarding without a browser."""
    acct = Account._get(request.match_info["id"])
    acct._complete_onboarding()
    return json_response(acct._export())


# -- transfers ------------------------------------------------------------------
async def create_transfer(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    expand = pop_expand(params)
    unknown_params(
        params,
        {
            "amount",
            "currency",
            "destination",
            "transfer_group",
            "source_transaction",
            "metadata",
            "description",
            "source_type",
        },
    )
    amount = to_int(require(params, "amount"), "amount")
    currency = str(require(params, "currency")).lower()
    if amount <= 0:
        raise StripeError("Invalid positive integer", param="amount")
    dest_id = require(params, "destination")
    dest = ls.store.get(f"account:{dest_id}")
    if dest is None:
        raise StripeError(
            f"No such destination: '{dest_id}'", param="destination", code="resource_missing"
        )
    if not dest.payouts_enabled or dest.capabilities.get("transfers") != "active":
        raise StripeError(
            "Your destination account needs to have at least one of the following "
            "capabilities enabled: transfers, crypto_transfers, legacy_payments",
            param="destination",
            code="insufficient_capabilities_for_transfer",
        )
    source_id = params.get("source_transaction")
    if source_id:
        charge = ls.store.get(f"charge:{source_id}")
        if charge is None:
            raise StripeError(
                f"No such charge: '{source_id}'",
                param="source_transaction",
                code="resource_missing",
            )
        if charge.status != "succeeded":
            raise StripeError(
                "The source transaction has not succeeded.", param="source_transaction"
            )
        if charge.currency != currency:
            raise StripeError(
                f"The currency of source_transaction's balance transaction "
                f"({charge.currency}) must be the same as the transfer currency "
                f"({currency})",
                param="currency",
            )
        used = sum(t.amount for t in _transfers() if t.source_transaction == source_id)
        remaining = charge.amount - charge.amount_refunded - used
        if amount > remaining:
            raise StripeError(
                f"The transfer amount ({amount}) exceeds the remaining amount of the source "
                f"transaction {source_id} ({remaining}).",
                param="amount",
                code="transfer_source_balance_parameters_mismatch",
            )  # code approximated
    elif amount > _platform_available(currency):
        raise StripeError(
            "You have insufficient available funds in your Stripe account.",
            code="balance_insufficient",
        )
    transfer = Transfer(amount=amount, currency=currency, destination=dest.id, params=params)
    emit("transfer.created", transfer)
    return json_response(transfer._export(expand=expand))


async def retrieve_transfer(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    transfer = ls.store.get(f"transfer:{request.match_info['id']}")
    if transfer is None:
        raise no_such("transfer", request.match_info["id"])
    return json_response(transfer._export(expand=pop_expand(params)))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/accounts", create_account)
    app.router.add_get("/v1/accounts", list_accounts)
    app.router.add_get("/v1/accounts/{id}", retrieve_account)
    app.router.add_post("/v1/accounts/{id}", update_account)
    app.router.add_post("/v1/account_links", create_account_link)
    app.router.add_get("/setup/e/{token}", onboarding_page)
    app.router.add_post("/setup/e/{token}", onboarding_submit)
    app.router.add_post("/_emulator/accounts/{id}/onboard", admin_onboard)
    app.router.add_post("/v1/transfers", create_transfer)
    app.router.add_get("/v1/transfers", lists.list_transfers)
    app.router.add_get("/v1/transfers/{id}", retrieve_transfer)
