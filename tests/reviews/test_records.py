"""Reviews in a person's data export (theirs to read only) and on the operator's console."""

from __future__ import annotations

import json

from tests.factories import make_assistant, make_owner
from tests.operator.helpers import make_operator
from tests.reviews.helpers import paid_scene, review


def test_the_export_holds_reviews_written_and_the_visible_ones_received(
    client, other_client, db_session
):
    joy = make_assistant(db_session, display_name="Joy Santos")
    both = paid_scene(db_session, make_owner(db_session, display_name="Dana"), joy)
    one = paid_scene(db_session, make_owner(db_session, display_name="Omar"), joy)
    client.login_as(both.owner)
    assert review(client, both.contract.id, 5, "Dana on Joy").status_code == 302
    client.login_as(one.owner)
    assert review(client, one.contract.id, 2, "Omar on Joy, still hidden").status_code == 302
    other_client.login_as(joy)
    assert review(other_client, both.contract.id, 4, "Joy on Dana").status_code == 302

    data = json.loads(other_client.get("/settings/export").get_data(as_text=True))
    assert [(r["rating"], r["body"]) for r in data["reviews_written"]] == [(4, "Joy on Dana")]
    assert [(r["rating"], r["body"]) for r in data["reviews_received"]] == [(5, "Dana on Joy")]
    assert "still hidden" not in json.dumps(data)


def test_the_operator_sees_each_persons_reviews_hidden_ones_marked(client, db_session):
    scene = paid_scene(db_session)
    client.login_as(scene.owner)
    assert review(client, scene.contract.id, 3, "Average work").status_code == 302
    client.login_as(make_operator(db_session))
    page = client.get(f"/operator/users/{scene.assistant.id}").get_data(as_text=True)
    received = page[page.index("Reviews received") : page.index("Tasks posted")]
    assert "3/5" in received and "Average work" in received and "(hidden until" in received
    page = client.get(f"/operator/users/{scene.owner.id}").get_data(as_text=True)
    written = page[page.index("Reviews written") : page.index("Reviews received")]
    assert "Average work" in written
