"""Job search reads one document per task (title, skills, description), stemmed, on both
databases; title and skill hits rank first; a page past the end says how many pages there are.

Texts come from the demo catalogue, the words owners actually write.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from marketplace.demo.catalog import WORK
from marketplace.migrate import alembic_config, upgrade_database
from marketplace.tasks.models import Category
from marketplace.tasks.search import JobQuery, search_jobs
from marketplace.tasks.services import update_task
from tests.factories import make_assistant, make_owner, make_task, task_form, task_input
from tests.tasks.test_browse import titles


def demo_job(session, owner, category: Category, index: int, *, biz: str, tool: str):
    """The catalogue's task template `index` of `category`, filled in as the demo loader does."""
    title, description, skills = WORK[category][0][index]

    def fill(s: str) -> str:
        return s.replace("{biz}", biz).replace("{tool}", tool)

    return make_task(
        session,
        owner,
        title=fill(title),
        description=fill(description),
        skills=[fill(s) for s in skills],
        category=category,
    )


@pytest.fixture
def demo_jobs(db_session):
    owner = make_owner(db_session)
    b, i = Category.BOOKKEEPING, Category.INBOX_CALENDAR
    wanted = {
        "qb books": (b, 0, "bakery", "QuickBooks"),
        "xero catch-up": (b, 1, "dental practice", "Xero"),
        "invoicing": (b, 2, "yoga studio", "QuickBooks"),
        "inbox": (i, 0, "bakery", "Google Calendar"),
        "appointments": (i, 2, "dental practice", "Calendly"),
    }
    jobs = {
        name: demo_job(db_session, owner, category, index, biz=biz, tool=tool)
        for name, (category, index, biz, tool) in wanted.items()
    }
    return {name: task.title for name, task in jobs.items()}


def found(client, q: str) -> set[str]:
    return set(titles(client.get("/jobs", query_string={"q": q})))


def test_skill_tags_are_searched_and_stemmed(client, db_session, demo_jobs):
    client.login_as(make_assistant(db_session))
    # "bank reconciliation" is only a skill tag on these two; no description says it.
    tagged = {demo_jobs["qb books"], demo_jobs["xero catch-up"]}
    assert found(client, "bank reconciliation") == tagged
    assert found(client, "reconciliation") == tagged
    assert found(client, "Bank Reconciliations") == tagged  # case and plural
    assert found(client, "calendar management") == {demo_jobs["inbox"]}
    # One word from a skill (QuickBooks), one from another skill: both must be there.
    assert found(client, "quickbooks reconciliation") == {demo_jobs["qb books"]}
    assert found(client, "appointment setting") == {demo_jobs["appointments"]}
    # Still title and description, stemmed: "bookkeeper" meets "bookkeeping".
    assert found(client, "bookkeeper") == {
        demo_jobs["qb books"], demo_jobs["xero catch-up"], demo_jobs["invoicing"]
    }  # fmt: skip
    assert found(client, "invoice") == {demo_jobs["invoicing"]}
    assert found(client, "reminders") == {demo_jobs["appointments"]}
    assert found(client, "payroll") == set()


def test_word_families_the_stemmers_split_still_meet(client, db_session):
    owner = make_owner(db_session)
    make_task(
        db_session, owner, title="Month-end books",
        description="Reconcile the bank feeds and categorise every transaction.",
        skills=["Xero"],
    )  # fmt: skip
    make_task(
        db_session, owner, title="Catalogue clean-up",
        description="Organize product photos and categorize the catalog.", skills=["Shopify"],
    )  # fmt: skip
    client.login_as(make_assistant(db_session))
    # Porter and Snowball stem "reconciliation" to "reconcili" but "reconcile" to "reconcil".
    assert found(client, "reconciliation") == {"Month-end books"}
    assert found(client, "bank reconciliations") == {"Month-end books"}
    # British and American spellings.
    assert found(client, "categorize transactions") == {"Month-end books"}
    assert found(client, "categorise") == {"Month-end books", "Catalogue clean-up"}
    assert found(client, "organisation") == {"Catalogue clean-up"}


def test_title_and_skill_hits_rank_above_description_hits(client, db_session):
    owner = make_owner(db_session)
    make_task(db_session, owner, title="Payroll for a café", skills=["payroll", "Gusto"])
    make_task(db_session, owner, title="Books", description="Tidy receipts.", skills=["Xero"])
    # Posted last, so "newest" would list these first; each names the word only in its text.
    make_task(
        db_session, owner, title="Weekly admin",
        description="Admin, and once a month check the payroll export against the payroll report.",
        skills=["admin"],
    )  # fmt: skip
    make_task(
        db_session, owner, title="Receipts",
        description="Scan receipts into Xero; Xero rules need tidying.", skills=["data entry"],
    )  # fmt: skip
    client.login_as(make_assistant(db_session))
    # The default order when searching is best match.
    assert titles(client.get("/jobs?q=payroll")) == ["Payroll for a café", "Weekly admin"]
    assert titles(client.get("/jobs?q=xero")) == ["Books", "Receipts"]
    assert titles(client.get("/jobs?q=xero&sort=newest")) == ["Receipts", "Books"]


def test_the_search_follows_edits_of_a_tasks_skills(client, db_session):
    owner = make_owner(db_session)
    task = make_task(
        db_session, owner, title="Month-end help", description="Close the month.",
        skills=["bank reconciliation"],
    )  # fmt: skip
    client.login_as(make_assistant(db_session))
    assert found(client, "reconciliation") == {"Month-end help"}
    update_task(
        db_session, owner, task.id,
        task_input(title="Month-end help", description="Close the month.", skills=["payroll"]),
    )  # fmt: skip
    db_session.commit()  # as the edit view does: the worker forgets the searches it answered
    assert found(client, "reconciliation") == set()
    assert found(client, "payroll") == {"Month-end help"}
    # The edit form rewrites the same document.
    client.login_as(owner)
    form = task_form(title="Month-end help", description="Close the month.", skills="Xero, VAT")
    response = client.post(f"/tasks/{task.id}/edit", form)
    assert response.status_code == 302
    assert found(client, "vat") == {"Month-end help"}
    assert found(client, "payroll") == set()


def test_a_page_past_the_end_says_how_many_pages_there_are(client, db_session):
    owner = make_owner(db_session)
    for i in range(45):
        make_task(db_session, owner, title=f"Data entry batch {i:02d}", description="Receipts.")
    client.login_as(make_assistant(db_session))
    page = client.get("/jobs?page=50").get_data(as_text=True)
    assert "Try fewer words" not in page
    assert "There are only 3 pages of results (45 open jobs)" in page
    assert re.search(r'<a href="/jobs\?page=3">Go to the last page</a>', page)
    searched = client.get("/jobs?q=batch&page=9&sort=newest").get_data(as_text=True)
    last = re.search(r'<a href="([^"]+)">Go to the last page</a>', searched).group(1)
    assert "q=batch" in last and "page=3" in last and "sort=newest" in last
    assert len(titles(client.get(last.replace("&amp;", "&")))) == 5
    one = client.get("/jobs?q=batch+07&page=4").get_data(as_text=True)
    assert "There is only 1 page of results (1 open job)" in one
    # Nothing to find at all is a different message.
    nothing = client.get("/jobs?q=astrology&page=3").get_data(as_text=True)
    assert "No open jobs match. Try fewer words or filters." in nothing


def test_the_migration_indexes_tasks_that_already_exist(database_url):
    """Rows written before the migration are searchable by their skills once it has run."""
    url, cleanup = _scratch_database(database_url)
    try:
        mine = ScriptDirectory.from_config(alembic_config(url)).get_revision("0009_search")
        upgrade_database(url, mine.down_revision)
        engine = create_engine(url)
        now = datetime(2026, 11, 30, 12, 0)  # stored naive, as UTCDateTime stores UTC
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, email_key, password_hash, role, display_name,"
                    " timezone, created_at) VALUES (1, 'o@x.test', 'o@x.test', 'x', 'owner', 'O',"
                    " 'UTC', :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO tasks (id, owner_id, title, description, category, engagement,"
                    " estimated_hours, budget_type, budget_cents, currency, timezone,"
                    " overlap_hours, status, created_at, updated_at) VALUES (7, 1, 'Monthly books',"
                    " 'Categorise transactions.', 'bookkeeping', 'one_off', 5, 'fixed', 20000,"
                    " 'USD', 'UTC', 0, 'open', :now, :now)"
                ),
                {"now": now},
            )
            conn.execute(text("INSERT INTO skills (id, key, name) VALUES (3, 'bank reconciliation',"
                              " 'bank reconciliation'), (4, 'xero', 'Xero')"))  # fmt: skip
            conn.execute(text("INSERT INTO task_skills VALUES (7, 3), (7, 4)"))
        engine.dispose()

        upgrade_database(url)

        engine = create_engine(url)
        with Session(engine) as session:
            assert session.scalar(text("SELECT skill_names FROM tasks WHERE id = 7")) == (
                "bank reconciliation, Xero"
            )
            for words in ["reconciliation", "xero books", "categorised"]:
                page = search_jobs(session, JobQuery(text=words))
                assert [t.id for t in page.items] == [7], words
            assert search_jobs(session, JobQuery(text="payroll")).items == []
        engine.dispose()
    finally:
        cleanup()


def _scratch_database(database_url: str):
    """An empty database of the same kind as the suite's: a file, or a schema of its own."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database + ".migration-check"
        scratch = parsed.set(database=path)

        def cleanup():
            Path(path).unlink(missing_ok=True)

        cleanup()
        return scratch.render_as_string(hide_password=False), cleanup
    schema = "search_migration_check"
    admin = create_engine(parsed)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    scratch = parsed.update_query_dict({"options": f"-csearch_path={schema}"})

    def cleanup():
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    return scratch.render_as_string(hide_password=False), cleanup
