"""A lived-in demo: proposals, invitations, and a contract in every money state.

Everything goes through the services a request would call, one commit per step as the request
would make it. Money goes through the Stripe emulator that `make demo` runs: the owner's checkout
is paid on the emulator's card page, the emulator's events are applied as `POST /stripe/webhook`
applies them, an assistant finishes Express onboarding there, and payouts and refunds are real
transfers and refunds on it. The emulator keeps its state in memory, so these contracts make
sense only beside the emulator run that made them; `make demo` rebuilds its database at each
start for that reason.

This is the one module that knows the demo's story: when hiring or payment services change,
adjust it here (the test in tests/demo/ checks every state and the ledger behind it).
"""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import Role, User
from ..config import settings
from ..contracts import services as contracts
from ..contracts import submissions
from ..contracts.milestones import Part
from ..contracts.models import Contract, ContractKind, ContractStatus
from ..errors import Conflict
from ..hiring.models import Proposal
from ..hiring.services import apply_to_task, withdraw_proposal
from ..matches.services import invite_assistant
from ..payments import flows, payouts
from ..payments import services as payments
from ..payments.gateway import StripeGateway
from ..payments.models import PayoutAccount
from ..profiles.models import AssistantProfile
from ..reviews import services as reviews
from ..tasks.models import Task, TaskStatus
from ..tasks.services import post_task
from . import catalog
from .data import DEMO_DOMAIN, _fill, task_input

GOOD_CARD = "4242 4242 4242 4242"
# The demo sends a handful of invitations; the daily cap is for real owners.
DEMO_INVITES_PER_DAY = 1000

# What assistants say they delivered, and the change owner 1 asks for on her submitted contract.
DELIVERY_NOTES = [
    "Done: everything is in the shared folder, with a short summary of what changed "
    "at the top: https://drive.example.com/delegate-demo/handover",
    'First pass done. The cleaned-up list is in the sheet (tab "Done"), and the 14 items I '
    'could not match are in the tab "Questions": https://sheets.example.com/demo-1',
    "Changes made: the 14 open items are answered or merged, supplier names are spelled the "
    "way your invoices have them, and totals now tie out to the bank statement.\n"
    "Same sheet: https://sheets.example.com/demo-1",
]
CHANGE_REQUEST = (
    "Thanks! Two things before I approve: please match the 14 open items against last "
    "month's invoices, and use the supplier names exactly as they appear on them."
)

# Owner 1's contracts, one per state, and who is on the other side. Assistant 1 has connected
# Stripe (so approving pays out at once); assistant 3 has not (so its approval waits).
OWNER1_CONTRACTS = [
    (ContractStatus.AWAITING_FUNDING, 2),
    (ContractStatus.FUNDED, 1),
    (ContractStatus.SUBMITTED, 1),
    (ContractStatus.APPROVED, 3),
    (ContractStatus.PAID, 1),
    (ContractStatus.CANCELLED, 4),
    (ContractStatus.REFUNDED, 5),
]


def demo_user(session: Session, role: Role, n: int) -> User:
    user = session.scalar(select(User).where(User.email == f"{role.value}{n}@{DEMO_DOMAIN}"))
    if user is None:
        raise LookupError(f"demo {role.value} {n} is not loaded")
    return user


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class StripeEmulator:
    """What the owner's browser, the assistant's browser and Stripe itself do, on the emulator."""

    base_url: str

    @classmethod
    def at(cls, api_base: str | None) -> StripeEmulator | None:
        """The emulator at `api_base`, or None when nothing there answers as the emulator."""
        if not api_base:
            return None
        emulator = cls(api_base.rstrip("/"))
        try:
            status, body = emulator._request("GET", "/_emulator/health")
        except OSError:
            return None
        return emulator if status == 200 and json.loads(body).get("ok") else None

    def _request(self, method: str, path_or_url: str, form: dict | None = None):
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        try:
            with urllib.request.build_opener(_NoRedirect).open(request, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.read().decode()

    def pay(self, checkout_url: str, card: str = GOOD_CARD) -> None:
        """Fill in the hosted card page and press Pay; it answers with a redirect when paid."""
        form = {"cardNumber": card, "cardExpiry": "12 / 34", "cardCvc": "123", "email": "x@y.z"}
        status, body = self._request("POST", checkout_url, form)
        if status != 303:
            raise RuntimeError(f"the emulator's checkout page answered {status}: {body[:200]}")

    def onboard(self, account_id: str) -> None:
        status, body = self._request("POST", f"/_emulator/accounts/{account_id}/onboard")
        if status != 200:
            raise RuntimeError(f"onboarding {account_id} failed: {status} {body[:200]}")

    def events(self) -> list[dict]:
        status, body = self._request("GET", "/_emulator/events")
        if status != 200:
            raise RuntimeError(f"the emulator's event list answered {status}")
        return [item["event"] for item in json.loads(body)["data"]]


@dataclass
class Money:
    """Owner and assistant actions on contracts, each committed as its request would commit it."""

    session: Session
    gateway: StripeGateway
    emulator: StripeEmulator
    fee_bps: int
    base_url: str
    delivered: set[str] = field(default_factory=set)

    def deliver_events(self) -> None:
        """Stripe's webhooks: every new event once, in the order the emulator made them."""
        from ..payments.webhooks import receive_event

        for event in self.emulator.events():
            if event["id"] not in self.delivered:
                receive_event(self.session, self.gateway, event)
                self.session.commit()
                self.delivered.add(event["id"])

    def hire(
        self,
        owner: User,
        proposal: Proposal,
        hours: int,
        hourly: bool = False,
        parts: Sequence[Part] = (),
    ) -> Contract:
        # The owner hires at the price the hire page shows them.
        shown = contracts.quote(proposal, hours, self.fee_bps).total_cents
        kind = ContractKind.HOURLY if hourly else ContractKind.FIXED
        contract = contracts.hire(
            self.session, owner, proposal.id, hours, self.fee_bps, shown, kind, parts=parts
        )
        self.session.commit()
        return contract

    def save_card(self, owner: User) -> None:
        """The owner saves a card on the emulator's setup page; its webhook records it."""
        from flask import current_app

        from ..payments import cards

        with current_app.test_request_context(base_url=self.base_url):
            url = cards.card_setup_url(self.session, self.gateway, owner, "/settings")
        self.session.commit()
        self.emulator.pay(url)
        self.deliver_events()

    def pay(self, owner: User, contract: Contract) -> None:
        page = f"{self.base_url}/contracts/{contract.id}"
        urls = {
            "success": page + "?checkout=done&session_id={CHECKOUT_SESSION_ID}",
            "cancel": page + "?checkout=cancelled",
        }
        url = flows.checkout(self.session, owner, contract.id, urls, lambda: self.gateway)
        self.emulator.pay(url)
        self.deliver_events()

    def submit(self, assistant: User, contract: Contract, note: str = DELIVERY_NOTES[0]) -> None:
        submissions.submit(self.session, assistant, contract.id, note)
        self.session.commit()

    def request_changes(self, owner: User, contract: Contract, note: str) -> None:
        submissions.request_changes(self.session, owner, contract.id, None, note)
        self.session.commit()

    def approve(self, owner: User, contract: Contract) -> None:
        submissions.approve(self.session, owner, contract.id)
        self.session.commit()
        payments.pay_out_approved(self.session, self.gateway, contract.id)
        self.session.commit()
        self.deliver_events()

    def cancel(self, owner: User, contract: Contract) -> None:
        flows.cancel(self.session, owner, contract.id, lambda: self.gateway)
        self.deliver_events()

    def connect_payouts(self, assistant: User) -> None:
        back = f"{self.base_url}/payouts"
        payouts.onboarding_link(self.session, self.gateway, assistant, back, back + "/return")
        self.session.commit()
        self.emulator.onboard(self.session.get_one(PayoutAccount, assistant.id).stripe_account_id)
        self.deliver_events()

    def bring_to(self, status: ContractStatus, owner: User, contract: Contract) -> None:
        """Walk a new contract (awaiting funding) along the path that ends in `status`."""
        assistant = contract.assistant
        if status == ContractStatus.CANCELLED:
            self.cancel(owner, contract)
        if status in (ContractStatus.AWAITING_FUNDING, ContractStatus.CANCELLED):
            return
        self.pay(owner, contract)
        if status == ContractStatus.REFUNDED:
            self.cancel(owner, contract)
        if status in (ContractStatus.FUNDED, ContractStatus.REFUNDED):
            return
        if status == ContractStatus.SUBMITTED:
            # Sent back once with a note, then delivered again: the page shows both rounds.
            self.submit(assistant, contract, DELIVERY_NOTES[1])
            self.request_changes(owner, contract, CHANGE_REQUEST)
            self.submit(assistant, contract, DELIVERY_NOTES[2])
            return
        self.submit(assistant, contract)
        self.approve(owner, contract)


def _rate_for(task: Task, profile: AssistantProfile, hours: int) -> int:
    """What an assistant proposes: their own rate, or less to fit the owner's budget."""
    ceiling = task.max_hourly_rate_cents or (task.budget_cents or 0) // max(hours, 1)
    return max(min(profile.hourly_rate_cents, ceiling) // 100 * 100, 500)


def _apply(session: Session, rng: random.Random, task: Task, assistant: User) -> Proposal:
    profile = session.get_one(AssistantProfile, assistant.id)
    hours = task.weekly_hours or 1
    tool = profile.skills[0].name if profile.skills else "Google Sheets"
    biz = rng.choice(catalog.BUSINESSES)
    return apply_to_task(
        session,
        assistant,
        task.id,
        cover_note=_fill(rng.choice(catalog.COVER_NOTES), biz, tool),
        proposed_rate_cents=_rate_for(task, profile, hours),
    )


def load_proposals_and_invitations(session: Session, *, seed: int) -> dict[str, int]:
    """Proposals on most open tasks (several on each of owner 1's), a withdrawn one, invitations."""
    rng = random.Random(seed + 1)
    assistants = list(
        session.scalars(
            select(User).where(User.role == Role.ASSISTANT, User.email.like(f"%@{DEMO_DOMAIN}"))
        )
    )
    owner1, assistant1 = demo_user(session, Role.OWNER, 1), demo_user(session, Role.ASSISTANT, 1)
    tasks = list(
        session.scalars(select(Task).where(Task.status == TaskStatus.OPEN).order_by(Task.id))
    )
    counts = {"proposals": 0, "invitations": 0}
    owner1_tasks = [t for t in tasks if t.owner_id == owner1.id]
    others = [a for a in assistants if a.id != assistant1.id]  # assistant 1's are chosen below
    for task in tasks:
        wanted = 4 if task.owner_id == owner1.id else rng.choice([0, 1, 1, 2, 2, 3, 4, 5])
        applicants = rng.sample(others, k=wanted)
        if owner1_tasks and task is owner1_tasks[0]:
            applicants.insert(0, assistant1)
        for assistant in applicants:
            _apply(session, rng, task, assistant)
            counts["proposals"] += 1
    if len(owner1_tasks) > 1:
        _invite(session, owner1, owner1_tasks[1], assistant1)
        counts["invitations"] += 1
    # Assistant 1 applied to two other owners' tasks, and took one proposal back.
    elsewhere = [t for t in tasks if t.owner_id != owner1.id]
    withdrawn = _apply(session, rng, elsewhere[0], assistant1)
    withdraw_proposal(session, assistant1, withdrawn.id)
    _apply(session, rng, elsewhere[1], assistant1)
    counts["proposals"] += 2
    # Other owners invite a few assistants (the matcher's picks would do as well as any).
    for task in rng.sample(elsewhere[2:], k=min(15, len(elsewhere) - 2)):
        assistant = rng.choice(others)
        try:
            _invite(session, task.owner, task, assistant)
            counts["invitations"] += 1
        except Conflict:  # invited the same person twice
            pass
    session.flush()
    return counts


def _invite(session: Session, owner: User, task: Task, assistant: User) -> None:
    """Invite at the rate the owner's recommendation shows: the assistant's rate today."""
    rate = session.get_one(AssistantProfile, assistant.id).hourly_rate_cents
    invite_assistant(session, owner, task.id, assistant.id, rate, per_day=DEMO_INVITES_PER_DAY)


def load_contracts(session: Session, money: Money, *, seed: int) -> dict[str, int]:
    """Owner 1: one contract in each state; owner 2: one more paid to assistant 1."""
    rng = random.Random(seed + 2)
    owner1 = demo_user(session, Role.OWNER, 1)
    money.connect_payouts(demo_user(session, Role.ASSISTANT, 1))
    story = [(owner1, status, n) for status, n in OWNER1_CONTRACTS]
    story.append((demo_user(session, Role.OWNER, 2), ContractStatus.PAID, 1))
    made: dict[str, int] = {}
    for owner, status, n in story:
        assistant = demo_user(session, Role.ASSISTANT, n)
        task = post_task(session, owner, task_input(rng, owner.timezone))
        hours = min(task.weekly_hours or 1, 40)
        proposal = _apply(session, rng, task, assistant)
        session.commit()
        contract = money.hire(owner, proposal, hours)
        money.bring_to(status, owner, contract)
        session.refresh(contract)
        if contract.status != status:
            raise RuntimeError(f"demo contract {contract.id} is {contract.status}, not {status}")
        made[status.value] = made.get(status.value, 0) + 1
    made.update(load_milestone_contract(session, money, rng))
    made.update(load_hourly_contract(session, money, seed=seed))
    return made


def load_milestone_contract(session: Session, money: Money, rng: random.Random) -> dict[str, int]:
    """Owner 2 hires assistant 1 for fixed work in two milestones, each paid for when its
    turn comes: the first funded, delivered, approved and paid out; the second waits for
    owner 2 to fund it (her contract page asks her to)."""
    owner, assistant = demo_user(session, Role.OWNER, 2), demo_user(session, Role.ASSISTANT, 1)
    task = post_task(session, owner, task_input(rng, owner.timezone))
    proposal = _apply(session, rng, task, assistant)
    session.commit()
    hours = min(task.weekly_hours or 1, 40)
    total = contracts.quote(proposal, hours, money.fee_bps).total_cents
    parts = [
        Part("Set-up and a first draft", total // 2),
        Part("The finished work", total - total // 2),
    ]
    contract = money.hire(owner, proposal, hours, parts=parts)
    money.pay(owner, contract)  # milestone 1's page: the contract is funded by it
    money.submit(assistant, contract)
    money.approve(owner, contract)
    return {"in milestones, the second awaiting funding": 1}


# Reviews of the two paid contracts, both with assistant 1: owner 2's has both sides written
# (so both show, and assistant 1's profile has a rating); owner 1 has written hers and
# assistant 1 not yet, so the contract page shows the double-blind waiting on each side.
DEMO_REVIEWS = {
    2: [
        ("owner", 5, "Took our messy inbox to zero in a week and kept it there. Clear, "
         "quick answers and a short summary every Friday."),
        ("assistant", 5, "Clear instructions, quick to answer questions, and paid promptly."),
    ],
    1: [("owner", 4, "Careful, accurate work; a day later than planned, and said so early.")],
}  # fmt: skip


def load_reviews(session: Session) -> int:
    """Reviews on the paid contracts, written through the same service as the review form."""
    assistant1 = demo_user(session, Role.ASSISTANT, 1)
    written = 0
    for n, lines in DEMO_REVIEWS.items():
        owner = demo_user(session, Role.OWNER, n)
        contract = session.scalar(
            select(Contract).where(
                Contract.owner_id == owner.id,
                Contract.assistant_id == assistant1.id,
                Contract.status == ContractStatus.PAID,
            )
        )
        if contract is None:
            continue
        for side, rating, words in lines:
            author = owner if side == "owner" else assistant1
            reviews.write_review(
                session, author, contract.id, rating, words, reviews.configured_window()
            )
            session.commit()
            written += 1
    return written


def money_from(app, session: Session) -> Money | None:
    """Money on the emulator the app is configured for, or None when it has no emulator."""
    from ..payments.gateway import get_gateway

    config = settings(app)
    emulator = StripeEmulator.at(config.stripe_api_base)
    if emulator is None or not config.stripe_secret_key:
        return None
    return Money(session, get_gateway(), emulator, config.platform_fee_bps, config.base_url)


def load_hourly_contract(session: Session, money: Money, *, seed: int) -> dict[str, int]:
    """Owner 1 keeps assistant 2 on an hourly inbox contract: started two weeks before this
    one, a paid week, a week waiting for owner 1's review, and this week's time so far.

    The two past weeks are written as they stood when they closed (the demo cannot log time
    in weeks that have closed); the weekly clock then closes, approves and charges them on
    the emulator as it would have done, and this week's time is logged as the assistant would.
    """
    from datetime import timedelta

    from ..db import today_in, utcnow
    from ..timesheets import runner
    from ..timesheets import services as timesheets
    from ..timesheets.models import TimeEntry, Timesheet, TimesheetStatus
    from ..timesheets.weeks import week_start

    rng = random.Random(seed + 3)
    owner, assistant = demo_user(session, Role.OWNER, 1), demo_user(session, Role.ASSISTANT, 2)
    money.save_card(owner)
    money.connect_payouts(assistant)
    task = post_task(session, owner, task_input(rng, owner.timezone, recurring=True))
    proposal = _apply(session, rng, task, assistant)
    session.commit()
    contract = money.hire(owner, proposal, min(task.weekly_hours or 10, 20), hourly=True)
    this_week = week_start(today_in(timesheets.zone_of(assistant)))
    contract.created_at = utcnow() - timedelta(days=15)
    memos = ["Inbox to zero, drafted replies", "Calendar and supplier calls", "Invoices chased"]
    for weeks_ago in (2, 1):
        start = this_week - timedelta(weeks=weeks_ago)
        sheet = Timesheet(
            contract_id=contract.id,
            week_start=start,
            status=TimesheetStatus.OPEN,
            closes_at=timesheets.week_closes_at(contract, start),
        )
        session.add(sheet)
        session.flush()
        for day, memo in enumerate(memos):
            minutes = rng.choice([90, 120, 150, 180])
            session.add(
                TimeEntry(
                    timesheet_id=sheet.id,
                    work_date=start + timedelta(days=day),
                    minutes=minutes,
                    memo=memo,
                )
            )
    session.commit()
    runner.run_due(session)
    session.commit()
    money.deliver_events()
    today = today_in(timesheets.zone_of(assistant))
    timesheets.log_time(
        session,
        assistant,
        contract.id,
        timesheets.Entry(work_date=today, minutes=75, memo="Morning inbox and two bookings"),
    )
    session.commit()
    return {"hourly weeks": 3}
