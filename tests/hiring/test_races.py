"""Races on committed data, each request in its own thread and connection: a hire racing
a withdrawal, and owners inviting past their daily limit from several workers at once.
PostgreSQL serialises them with row locks and compare-and-set, SQLite with BEGIN IMMEDIATE."""

from __future__ import annotations

from functools import partial

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.contracts.models import Contract
from marketplace.db import get_session
from marketplace.hiring.models import Proposal, ProposalStatus
from marketplace.hiring.services import apply_to_task
from marketplace.matches.models import Invitation
from marketplace.notifications.models import Kind, Notification
from marketplace.tasks.models import Task, TaskStatus
from tests.concurrency import together
from tests.conftest import Client
from tests.factories import make_assistant, make_owner, make_task
from tests.payments.helpers import quoted_total

ROUNDS = 12


def _client(app, user_id: int) -> tuple[Client, str]:
    client = Client(app.test_client())
    with app.app_context():
        client.login_as(get_session().get(User, user_id))
    return client, client.csrf_token()


def _scene(app, n: int, prefix: str) -> tuple[int, int, int]:
    with app.app_context():
        session = get_session()
        owner = make_owner(session, email=f"{prefix}-owner-{n}@example.com")
        assistant = make_assistant(session, email=f"{prefix}-va-{n}@example.com")
        task = make_task(session, owner)
        proposal = apply_to_task(
            session, assistant, task.id, cover_note="x" * 30, proposed_rate_cents=2500
        )
        session.commit()
        return owner.id, assistant.id, proposal.id


def _hire_against(app, n: int, prefix: str, other: tuple[str, str, dict]):
    """One round: the owner hires at the price shown while `other` - (who: "owner" or
    "assistant", path under the proposal, form) - posts at the same moment. The proposal's
    id and both responses."""
    owner_id, assistant_id, proposal_id = _scene(app, n, prefix)
    hiring, hire_token = _client(app, owner_id)
    who, path, form = other
    acting, token = _client(app, owner_id if who == "owner" else assistant_id)
    quoted = quoted_total(hiring, proposal_id, 8)
    hired, answered = together(
        partial(
            hiring.raw.post,
            f"/proposals/{proposal_id}/hire",
            data={
                "csrf_token": hire_token,
                "hours": "8",
                "quoted_total_cents": quoted,
                "action": "hire",
            },
        ),
        partial(
            acting.raw.post, f"/proposals/{proposal_id}/{path}", data={"csrf_token": token, **form}
        ),
    )
    assert sorted([hired.status_code, answered.status_code]) == [302, 409]
    return proposal_id, hired, answered


def _outcome(app, proposal_id: int) -> tuple:
    """The proposal's status and rate, the rates of its contracts, and how many times its
    assistant was told it was declined."""
    with app.app_context():
        session = get_session()
        proposal = session.get(Proposal, proposal_id)
        rates = session.scalars(
            select(Contract.rate_cents).where(Contract.proposal_id == proposal_id)
        ).all()
        told = session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == Kind.PROPOSAL_DECLINED)
            .where(Notification.user_id == proposal.assistant_id)
        )
        return proposal.status, proposal.proposed_rate_cents, rates, told


HIRED = (ProposalStatus.ACCEPTED, 2500, [2500], 0)  # at the rate shown, nobody told "declined"


def test_hire_racing_withdraw_exactly_one_wins(committed_app):
    wins = {"hire": 0, "withdraw": 0}
    for n in range(ROUNDS):
        proposal_id, hired, withdrawn = _hire_against(
            committed_app, n, "race", ("assistant", "withdraw", {})
        )
        with committed_app.app_context():
            session = get_session()
            proposal = session.get(Proposal, proposal_id)
            status = proposal.status
            contracts = session.scalar(
                select(func.count())
                .select_from(Contract)
                .where(Contract.proposal_id == proposal_id)
            )
            task_status = session.get(Task, proposal.task_id).status
        if hired.status_code == 302:
            wins["hire"] += 1
            assert (status, contracts, task_status) == (
                ProposalStatus.ACCEPTED,
                1,
                TaskStatus.HIRED,
            )
            assert "just hired you" in withdrawn.get_data(as_text=True)
        else:
            wins["withdraw"] += 1
            assert (status, contracts, task_status) == (
                ProposalStatus.WITHDRAWN,
                0,
                TaskStatus.OPEN,
            )
            assert "withdrawn this proposal" in hired.get_data(as_text=True)
    assert sum(wins.values()) == ROUNDS


def test_the_daily_invitation_limit_holds_under_concurrent_invites(committed_app):
    committed_app.config["INVITATIONS_PER_OWNER_PER_DAY"] = 3
    with committed_app.app_context():
        session = get_session()
        owner = make_owner(session, email="busy-owner@example.com")
        tasks = [make_task(session, owner, title=f"Task {i}") for i in range(2)]
        assistants = [make_assistant(session, email=f"inv-{i}@example.com") for i in range(6)]
        session.commit()
        owner_id = owner.id
        targets = [(tasks[i % 2].id, a.id) for i, a in enumerate(assistants)]
    clients = [_client(committed_app, owner_id) for _ in targets]

    def invite(client, token, task_id, assistant_id):
        return lambda: client.raw.post(
            f"/tasks/{task_id}/invite/{assistant_id}",
            data={"csrf_token": token, "rate_cents": "2500"},
            follow_redirects=True,
        )

    pages = together(
        *[
            invite(c, t, task_id, a_id)
            for (c, t), (task_id, a_id) in zip(clients, targets, strict=True)
        ]
    )
    texts = [p.get_data(as_text=True) for p in pages]
    assert sum("Invitation sent" in t for t in texts) == 3
    assert sum("the most Delegate allows" in t for t in texts) == 3
    with committed_app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Invitation)) == 3


def test_hire_racing_decline_exactly_one_wins(committed_app):
    """The owner in two tabs: hiring in one, declining in the other."""
    wins = {"hire": 0, "decline": 0}
    decline = ("owner", "decline", {"reason": "Found someone else."})
    for n in range(ROUNDS):
        proposal_id, hired, declined = _hire_against(committed_app, n, "decline", decline)
        if hired.status_code == 302:
            wins["hire"] += 1
            assert _outcome(committed_app, proposal_id) == HIRED
            assert "You have hired" in declined.get_data(as_text=True)
        else:
            wins["decline"] += 1
            assert _outcome(committed_app, proposal_id) == (ProposalStatus.DECLINED, 2500, [], 1)
            assert "You have declined this proposal" in hired.get_data(as_text=True)
    assert sum(wins.values()) == ROUNDS


def test_edit_racing_hire_never_hires_at_a_rate_nobody_saw(committed_app):
    """The assistant raises their rate while the owner hires at the rate they were shown:
    either the hire wins at the old rate and the edit is refused, or the edit wins and the
    hire is refused; never a contract at a rate the owner did not see."""
    wins = {"hire": 0, "edit": 0}
    edit = (
        "assistant",
        "edit",
        {"cover_note": "Raised my rate, same work.", "proposed_rate": "40"},
    )
    for n in range(ROUNDS):
        proposal_id, hired, edited = _hire_against(committed_app, n, "edit", edit)
        if hired.status_code == 302:
            wins["hire"] += 1
            assert _outcome(committed_app, proposal_id) == HIRED
            assert "just hired you" in edited.get_data(as_text=True)
        else:
            wins["edit"] += 1
            assert _outcome(committed_app, proposal_id) == (ProposalStatus.SUBMITTED, 4000, [], 0)
            page = hired.get_data(as_text=True)
            assert "not the price you were shown" in page or "changed this proposal" in page
    assert sum(wins.values()) == ROUNDS


def test_two_hires_for_the_last_opening_exactly_one_wins(committed_app):
    """A task wanting two assistants, one hired: the owner hires two more in two tabs."""
    for n in range(ROUNDS):
        with committed_app.app_context():
            session = get_session()
            owner = make_owner(session, email=f"last-owner-{n}@example.com")
            task = make_task(session, owner, openings=2)
            proposals = []
            for i in range(3):
                assistant = make_assistant(session, email=f"last-va-{n}-{i}@example.com")
                proposals.append(
                    apply_to_task(
                        session, assistant, task.id, cover_note="x" * 30, proposed_rate_cents=2500
                    ).id
                )
            session.commit()
            owner_id, task_id = owner.id, task.id
        tabs = [_client(committed_app, owner_id) for _ in proposals]

        def hire(tab, proposal_id):
            client, token = tab
            form = {
                "csrf_token": token,
                "hours": "8",
                "quoted_total_cents": quoted_total(client, proposal_id, 8),
                "action": "hire",
            }
            return partial(client.raw.post, f"/proposals/{proposal_id}/hire", data=form)

        assert hire(tabs[0], proposals[0])().status_code == 302
        answers = together(hire(tabs[1], proposals[1]), hire(tabs[2], proposals[2]))
        assert sorted(a.status_code for a in answers) == [302, 409]
        lost = next(a for a in answers if a.status_code == 409).get_data(as_text=True)
        assert "already has the 2 assistants you asked for" in lost
        with committed_app.app_context():
            session = get_session()
            hired = session.scalar(
                select(func.count()).select_from(Contract).where(Contract.task_id == task_id)
            )
            assert (hired, session.get(Task, task_id).status) == (2, TaskStatus.HIRED)
