"""An invitation carries the terms the owner saw: the assistant's rate then, and the task's
hours. Accepting takes those terms, whatever the profile says by then."""

from datetime import timedelta

from alembic import command
from sqlalchemy import create_engine, func, select, text, update

from marketplace.contracts.models import Contract, ContractStatus
from marketplace.db import utcnow
from marketplace.matches.models import Invitation
from marketplace.migrate import alembic_config, upgrade_database
from marketplace.tasks.models import Task, TaskStatus
from tests.factories import make_assistant, make_owner, make_task, profile_form


def invite(client, task_id, assistant, rate_cents):
    return client.post(
        f"/tasks/{task_id}/invite/{assistant.id}",
        {"rate_cents": str(rate_cents)},
        follow_redirects=True,
    )


def count(session, *where) -> int:
    return session.scalar(select(func.count()).select_from(Invitation).where(*where))


def accepted_contract(other_client, session, task_id) -> Contract:
    response = other_client.post(f"/tasks/{task_id}/accept-invitation")
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    return session.get(Contract, int(response.location.rsplit("/", 1)[1]))


def test_raising_the_profile_rate_after_an_invitation_does_not_raise_the_price(
    client, other_client, db_session
):
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Inbox zero every morning", estimated_hours=10)
    va = make_assistant(db_session, hourly_rate_cents=2200)
    client.login_as(owner)
    assert "Invitation sent" in invite(client, task.id, va, 2200).get_data(as_text=True)
    (invitation,) = db_session.scalars(select(Invitation).where(Invitation.task_id == task.id))
    assert (invitation.rate_cents, invitation.currency, invitation.hours) == (2200, "USD", 10)

    other_client.login_as(va)
    saved = other_client.post("/profile", profile_form(hourly_rate="500"))
    assert saved.status_code == 302  # the profile now says $500/h
    page = other_client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Accept at $22/h for 10 h" in page and "$500" not in page
    c = accepted_contract(other_client, db_session, task.id)
    assert (c.rate_cents, c.hours, c.total_cents, c.status) == (
        2200,
        10,
        22000,
        ContractStatus.AWAITING_FUNDING,
    )
    assert db_session.get(Task, task.id).status == TaskStatus.HIRED


def test_an_earlier_proposal_at_another_rate_gives_way_to_the_invitation(
    client, other_client, db_session
):
    owner = make_owner(db_session)
    task = make_task(db_session, owner, estimated_hours=4)
    va = make_assistant(db_session, hourly_rate_cents=3000)
    other_client.login_as(va)
    other_client.post(
        f"/tasks/{task.id}/apply",
        {"cover_note": "I would love to do this, at my premium rate.", "proposed_rate": "90"},
    )
    client.login_as(owner)
    invite(client, task.id, va, 3000)
    c = accepted_contract(other_client, db_session, task.id)
    assert (c.rate_cents, c.hours, c.total_cents) == (3000, 4, 12000)


def test_a_rate_changed_since_the_page_was_shown_sends_no_invitation(
    client, other_client, db_session, smtp_app, mailbox
):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    va = make_assistant(db_session, email="rate-change@va.example", hourly_rate_cents=2500)
    other_client.login_as(va)
    other_client.post("/profile", profile_form(hourly_rate="40"))
    client.login_as(owner)
    page = invite(client, task.id, va, 2500).get_data(as_text=True)  # the page said $25/h
    assert "rate is now $40/h, not the rate your page showed" in page
    assert count(db_session) == 0
    assert not [m for m in mailbox.to("rate-change@va.example") if "invites you" in m["Subject"]]
    # Missing terms are no better than wrong ones.
    assert client.post(f"/tasks/{task.id}/invite/{va.id}").status_code == 302
    assert count(db_session) == 0


def test_invitations_per_owner_per_day_are_capped_with_a_message_on_the_task_page(
    app, client, db_session, monkeypatch, smtp_app, mailbox
):
    monkeypatch.setitem(app.config, "INVITATIONS_PER_OWNER_PER_DAY", 2)
    owner = make_owner(db_session)
    first, second = make_task(db_session, owner), make_task(db_session, owner)
    vas = [make_assistant(db_session, email=f"cap-{i}@va.example") for i in range(4)]
    client.login_as(owner)
    assert "Invitation sent" in invite(client, first.id, vas[0], 2500).get_data(as_text=True)
    assert "Invitation sent" in invite(client, second.id, vas[1], 2500).get_data(as_text=True)
    refused = invite(client, second.id, vas[2], 2500)
    assert refused.request.path == f"/tasks/{second.id}"  # said on the task page
    text_ = refused.get_data(as_text=True)
    assert "You have sent 2 invitations in the last 24 hours, the most Delegate allows" in text_
    assert "You can invite again from" in text_
    assert count(db_session) == 2
    assert mailbox.to("cap-2@va.example") == []

    # A day later the oldest no longer counts.
    db_session.execute(
        update(Invitation)
        .where(Invitation.assistant_id == vas[0].id)
        .values(created_at=utcnow() - timedelta(hours=25))
    )
    db_session.flush()
    assert "Invitation sent" in invite(client, second.id, vas[2], 2500).get_data(as_text=True)
    assert "the most Delegate allows" in invite(client, first.id, vas[3], 2500).get_data(
        as_text=True
    )
    # Another owner has their own allowance.
    neighbour = make_owner(db_session)
    their_task = make_task(db_session, neighbour)
    client.login_as(neighbour)
    assert "Invitation sent" in invite(client, their_task.id, vas[3], 2500).get_data(as_text=True)


def test_the_migration_fills_existing_invitations_from_the_current_profiles(tmp_path):
    url = f"sqlite:///{tmp_path / 'terms.sqlite3'}"
    upgrade_database(url, "0004")
    engine = create_engine(url)
    now = "2026-11-30 10:00:00"
    with engine.begin() as conn:
        for uid, role in ((1, "owner"), (2, "assistant"), (3, "assistant")):
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, role, display_name, timezone,"
                    " created_at) VALUES (:id, :email, 'x', :role, 'N', 'UTC', :now)"
                ),
                {"id": uid, "email": f"u{uid}@example.com", "role": role, "now": now},
            )
        for uid, rate in ((2, 2200), (3, 4100)):
            conn.execute(
                text(
                    "INSERT INTO assistant_profiles (user_id, headline, bio, hourly_rate_cents,"
                    " currency, timezone, work_start, work_end, hours_per_week, review_count,"
                    " updated_at) VALUES (:id, 'h', 'b', :rate, 'USD', 'UTC', '09:00:00',"
                    " '17:00:00', 20, 0, :now)"
                ),
                {"id": uid, "rate": rate, "now": now},
            )
        for tid, engagement, est, weekly in ((10, "one_off", 6, None), (11, "recurring", None, 5)):
            conn.execute(
                text(
                    "INSERT INTO tasks (id, owner_id, title, description, category, engagement,"
                    " estimated_hours, hours_per_week, budget_type, currency, timezone,"
                    " overlap_hours, status, created_at, updated_at) VALUES (:id, 1, 't', 'd',"
                    " 'other', :eng, :est, :weekly, 'hourly', 'USD', 'UTC', 0, 'open', :now, :now)"
                ),
                {"id": tid, "eng": engagement, "est": est, "weekly": weekly, "now": now},
            )
        conn.execute(
            text(
                "INSERT INTO invitations (id, task_id, assistant_id, created_at)"
                " VALUES (1, 10, 2, :now), (2, 11, 3, :now)"
            ),
            {"now": now},
        )
    upgrade_database(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, rate_cents, currency, hours FROM invitations ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [(1, 2200, "USD", 6), (2, 4100, "USD", 5)]
    command.downgrade(alembic_config(url), "0004")  # and back, keeping the rows
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM invitations")).scalar() == 2
    engine.dispose()
