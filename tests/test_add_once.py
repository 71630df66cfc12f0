"""db.add_once: the one way a row is inserted where a unique key may already hold it."""

from sqlalchemy import select

from marketplace.db import add_once
from marketplace.skills.models import Skill


def test_a_second_copy_is_refused_and_the_session_goes_on(db_session):
    assert add_once(db_session, Skill(key="quickbooks-online", name="QuickBooks Online"))
    assert not add_once(db_session, Skill(key="quickbooks-online", name="Quickbooks online"))
    # The refused insert was only its savepoint: the first row and the session are intact.
    names = db_session.scalars(select(Skill.name).where(Skill.key == "quickbooks-online")).all()
    assert names == ["QuickBooks Online"]
