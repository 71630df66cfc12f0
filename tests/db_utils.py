"""For tests that must commit for real (other threads, a live server): leave no rows behind."""

from sqlalchemy import delete

from marketplace.models import Base


def empty_all_tables(engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))
