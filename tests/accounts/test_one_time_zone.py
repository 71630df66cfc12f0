"""One time zone per person: set on the settings page or the profile, the same field; an
assistant's working hours are in it, so changing it re-ranks them."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from marketplace.accounts.models import User
from marketplace.migrate import alembic_config, upgrade_database
from marketplace.profiles.models import AssistantProfile
from tests.factories import make_assistant, make_owner, profile_form


def test_an_owner_changes_their_time_zone_on_the_settings_page(client, db_session):
    owner = make_owner(db_session, timezone="UTC")
    db_session.commit()
    client.login_as(owner)

    page = client.get("/settings").get_data(as_text=True)
    assert 'id="zone-heading"' in page and 'value="UTC"' in page
    response = client.post("/settings/timezone", {"timezone": "America/Chicago"})

    assert response.status_code == 302
    assert "Times are now shown in America/Chicago" in client.get("/settings").get_data(
        as_text=True
    )
    db_session.expire_all()
    assert db_session.get(User, owner.id).timezone == "America/Chicago"


def test_a_zone_that_does_not_exist_is_refused_and_nothing_changes(client, db_session):
    owner = make_owner(db_session, timezone="Europe/Paris")
    db_session.commit()
    client.login_as(owner)

    response = client.post("/settings/timezone", {"timezone": "Mars/Olympus_Mons"})

    assert response.status_code == 422
    assert 'id="zone-heading"' in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(User, owner.id).timezone == "Europe/Paris"


def test_an_assistants_profile_and_account_share_one_zone(client, db_session):
    va = make_assistant(db_session, timezone="Asia/Manila")
    db_session.commit()
    client.login_as(va)

    assert client.post("/settings/timezone", {"timezone": "Europe/Lisbon"}).status_code == 302
    db_session.expire_all()
    profile = db_session.get(AssistantProfile, va.id)
    assert profile.timezone == "Europe/Lisbon" == profile.user.timezone
    public = client.get(f"/assistants/{va.id}").get_data(as_text=True)
    assert "Lisbon" in public and "Manila" not in public

    # And the other way: the profile form's zone is the account's.
    assert client.post("/profile", profile_form(timezone="Asia/Tokyo")).status_code == 302
    db_session.expire_all()
    assert db_session.get(User, va.id).timezone == "Asia/Tokyo"
    settings = client.get("/settings").get_data(as_text=True)
    assert 'value="Asia/Tokyo"' in settings


def test_upgrading_gives_an_assistant_the_zone_their_working_hours_were_written_in(tmp_path):
    url = f"sqlite:///{tmp_path / 'zones.sqlite3'}"
    upgrade_database(url)
    command.downgrade(alembic_config(url), "0026_account_deletion")
    engine = create_engine(url)
    with engine.begin() as conn:
        for uid, role, zone in ((1, "assistant", "UTC"), (2, "owner", "America/Denver")):
            conn.execute(
                text(
                    "INSERT INTO users (id, email, email_key, password_hash, role, display_name,"
                    " timezone, created_at, is_operator) VALUES (:id, :e, :e, 'x', :r, 'N', :z,"
                    " '2026-11-01 00:00:00', 0)"
                ),
                {"id": uid, "e": f"u{uid}@example.com", "r": role, "z": zone},
            )
        conn.execute(
            text(
                "INSERT INTO assistant_profiles (user_id, headline, bio, hourly_rate_cents,"
                " currency, timezone, work_start, work_end, hours_per_week, review_count,"
                " updated_at) VALUES (1, 'VA', '', 2000, 'USD', 'Asia/Manila', '09:00:00',"
                " '17:00:00', 20, 0, '2026-11-01 00:00:00')"
            )
        )
    engine.dispose()

    upgrade_database(url)

    engine = create_engine(url)
    with engine.connect() as conn:
        zones = dict(conn.execute(text("SELECT id, timezone FROM users")).all())
    engine.dispose()
    assert zones == {1: "Asia/Manila", 2: "America/Denver"}
