"""Alembic environment: the URL comes from the app's config (see marketplace.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from marketplace.models import Base

# Search structures are created by hand in migrations (FTS5 on SQLite; a generated tsvector
# column and its GIN index on PostgreSQL); they have no model, so the drift check must not ask
# to drop them.
SEARCH_OBJECTS_PREFIXES = ("tasks_fts", "assistant_profiles_fts")
SEARCH_INDEXES = {"ix_tasks_fts", "ix_tasks_search_vector", "ix_assistant_profiles_search_vector"}
SEARCH_COLUMNS = {("tasks", "search_vector"), ("assistant_profiles", "search_vector")}


def include_name(name, type_, parent_names):
    if type_ == "table" and name and name.startswith(SEARCH_OBJECTS_PREFIXES):
        return False
    if type_ == "index" and name in SEARCH_INDEXES:
        return False
    if type_ == "column" and (parent_names.get("table_name"), name) in SEARCH_COLUMNS:
        return False
    return True


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
        include_name=include_name,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        context.config.get_section(context.config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_name=include_name,
            # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
