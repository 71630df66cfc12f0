"""Posts racing on committed data in separate connections: the same side twice leaves one
review; the two sides at once both end up revealed (the contract's row lock on PostgreSQL,
the write lock on SQLite, make the second post see the first)."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.db import get_session
from marketplace.reviews.models import Review
from tests.concurrency import together
from tests.conftest import Client
from tests.reviews.helpers import paid_scene


def _logged_in(app, user_id) -> Client:
    client = Client(app.test_client())
    with app.app_context():
        client.login_as(get_session().get(User, user_id))
    return client


def _at_once(posts) -> list[int]:
    def post(client, token, data, contract_id):
        url = f"/contracts/{contract_id}/review"
        return lambda: client.raw.post(url, data={"csrf_token": token, **data}).status_code

    return sorted(together(*(post(*p) for p in posts)))


def _scene(app):
    with app.app_context():
        session = get_session()
        scene = paid_scene(session)
        return scene.owner.id, scene.assistant.id, scene.contract.id


def _reviews(app, contract_id):
    with app.app_context():
        return list(get_session().scalars(select(Review).where(Review.contract_id == contract_id)))


def test_the_same_side_posting_twice_at_once_leaves_one_review(committed_app):
    owner_id, _, contract_id = _scene(committed_app)
    clients = [_logged_in(committed_app, owner_id) for _ in range(2)]
    posts = [
        (c, c.csrf_token(), {"rating": str(n), "body": f"take {n}"}, contract_id)
        for n, c in zip((4, 5), clients, strict=True)
    ]
    assert _at_once(posts) == [302, 409]
    assert len(_reviews(committed_app, contract_id)) == 1


def test_both_sides_posting_at_once_are_both_revealed(committed_app):
    owner_id, assistant_id, contract_id = _scene(committed_app)
    owner, assistant = _logged_in(committed_app, owner_id), _logged_in(committed_app, assistant_id)
    posts = [
        (owner, owner.csrf_token(), {"rating": "5", "body": "Great"}, contract_id),
        (assistant, assistant.csrf_token(), {"rating": "4", "body": "Fine"}, contract_id),
    ]
    assert _at_once(posts) == [302, 302]
    written = _reviews(committed_app, contract_id)
    assert len(written) == 2
    assert all(r.revealed_at is not None for r in written)
    page = owner.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Great" in page and "Fine" in page
