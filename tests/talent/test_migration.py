"""Profiles written before 0030_talent_search are found by their skills once it has run."""

from __future__ import annotations

from datetime import datetime

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from marketplace.migrate import alembic_config, upgrade_database
from marketplace.talent.search import TalentQuery, search_talent
from tests.tasks.test_search import _scratch_database


def test_the_migration_indexes_profiles_that_already_exist(database_url):
    url, cleanup = _scratch_database(database_url)
    try:
        mine = ScriptDirectory.from_config(alembic_config(url)).get_revision("0030_talent_search")
        upgrade_database(url, mine.down_revision)
        engine = create_engine(url)
        now = datetime(2026, 11, 30, 12, 0)  # stored naive, as UTCDateTime stores UTC
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, email_key, password_hash, role, display_name,"
                    " timezone, created_at) VALUES (5, 'a@x.test', 'a@x.test', 'x', 'assistant',"
                    " 'A', 'Asia/Manila', :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO assistant_profiles (user_id, headline, bio, hourly_rate_cents,"
                    " currency, work_start, work_end, hours_per_week, review_count,"
                    " updated_at) VALUES (5, 'Shop helper', 'Orders and returns.', 2000, 'USD',"
                    " '09:00:00', '17:00:00', 20, 0, :now)"
                ),
                {"now": now},
            )
            conn.execute(text("INSERT INTO skills (id, key, name) VALUES (3, 'bank reconciliation',"
                              " 'bank reconciliation'), (4, 'xero', 'Xero')"))  # fmt: skip
            conn.execute(text("INSERT INTO assistant_skills VALUES (5, 3), (5, 4)"))
        engine.dispose()

        upgrade_database(url)

        engine = create_engine(url)
        with Session(engine) as session:
            assert session.scalar(
                text("SELECT skill_names FROM assistant_profiles WHERE user_id = 5")
            ) == ("bank reconciliation, Xero")
            for words in ["reconciliations", "xero shop", "returns"]:
                page = search_talent(session, TalentQuery(text=words))
                assert [r.profile.user_id for r in page.items] == [5], words
            assert search_talent(session, TalentQuery(text="payroll")).items == []
        engine.dispose()
    finally:
        cleanup()
