"""Assistants apply once to open tasks; only the task's owner reads the proposals."""

from sqlalchemy import func, select

from marketplace.hiring.models import Proposal, ProposalStatus
from marketplace.tasks.services import close_task
from tests.factories import make_assistant, make_owner, make_task

NOTE = "I have kept the books for three bakeries in QuickBooks for five years."


def count_proposals(session) -> int:
    return session.scalar(select(func.count(Proposal.id)))


def test_assistant_applies_and_owner_reads_the_proposal(client, other_client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    va = make_assistant(db_session, display_name="Joy Santos", headline="QuickBooks pro")
    client.login_as(va)
    form = client.get(f"/tasks/{task.id}/apply").get_data(as_text=True)
    assert 'value="25"' in form  # proposed rate defaults to the profile's rate
    response = client.post(
        f"/tasks/{task.id}/apply", {"cover_note": NOTE, "proposed_rate": "27.50"}
    )
    assert response.status_code == 302
    mine = client.get("/proposals").get_data(as_text=True)
    assert "Monthly bookkeeping in QuickBooks" in mine and "$27.50/h" in mine

    other_client.login_as(owner)
    page = other_client.get(f"/tasks/{task.id}/proposals").get_data(as_text=True)
    assert "Joy Santos" in page and NOTE in page and "QuickBooks pro" in page
    assert "1 proposal" in other_client.get("/dashboard").get_data(as_text=True)


def test_nobody_applies_twice(client, db_session):
    task = make_task(db_session, make_owner(db_session))
    client.login_as(make_assistant(db_session))
    data = {"cover_note": NOTE, "proposed_rate": "25"}
    assert client.post(f"/tasks/{task.id}/apply", data).status_code == 302
    again = client.post(f"/tasks/{task.id}/apply", data)
    assert again.status_code == 409
    assert "already applied" in again.get_data(as_text=True)
    assert count_proposals(db_session) == 1


def test_no_applications_to_closed_tasks(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    close_task(db_session, owner, task.id)
    client.login_as(make_assistant(db_session))
    response = client.post(f"/tasks/{task.id}/apply", {"cover_note": NOTE, "proposed_rate": "25"})
    # A stranger learns no more from the apply form than from the task page: it is gone.
    assert response.status_code == 404
    assert "no longer open" in response.get_data(as_text=True)
    assert count_proposals(db_session) == 0
    assert client.get(f"/tasks/{task.id}").status_code == 404  # closed and never applied


def test_only_assistants_apply(client, db_session):
    task = make_task(db_session, make_owner(db_session))
    client.login_as(make_owner(db_session))
    assert (
        client.post(
            f"/tasks/{task.id}/apply", {"cover_note": NOTE, "proposed_rate": "25"}
        ).status_code
        == 403
    )
    assert count_proposals(db_session) == 0


def test_assistant_without_profile_is_sent_to_fill_it_first(client, db_session):
    task = make_task(db_session, make_owner(db_session))
    client.login_as(make_assistant(db_session, profile=False))
    response = client.post(f"/tasks/{task.id}/apply", {"cover_note": NOTE, "proposed_rate": "25"})
    assert response.status_code == 302 and response.location.endswith("/profile")
    assert count_proposals(db_session) == 0


def test_bad_proposals_are_explained(client, db_session):
    task = make_task(db_session, make_owner(db_session))
    client.login_as(make_assistant(db_session))
    for data, message in [
        ({"cover_note": "", "proposed_rate": "25"}, "Write a short cover note"),
        ({"cover_note": "too short", "proposed_rate": "25"}, "Between 20 and 5,000"),
        ({"cover_note": NOTE, "proposed_rate": "-1"}, "at least"),
        ({"cover_note": NOTE, "proposed_rate": "9999999"}, "at most"),
    ]:
        response = client.post(f"/tasks/{task.id}/apply", data)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert (
        client.post("/tasks/424242/apply", {"cover_note": NOTE, "proposed_rate": "25"}).status_code
        == 404
    )
    assert count_proposals(db_session) == 0


def test_only_the_owner_reads_proposals(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    va = make_assistant(db_session)
    client.login_as(va)
    client.post(f"/tasks/{task.id}/apply", {"cover_note": NOTE, "proposed_rate": "25"})
    assert client.get(f"/tasks/{task.id}/proposals").status_code == 403  # an assistant
    client.login_as(make_owner(db_session))
    response = client.get(f"/tasks/{task.id}/proposals")
    assert response.status_code == 403  # another owner
    assert NOTE not in response.get_data(as_text=True)


def test_assistant_withdraws_own_proposal_only(client, db_session):
    task = make_task(db_session, make_owner(db_session))
    va = make_assistant(db_session)
    client.login_as(va)
    client.post(f"/tasks/{task.id}/apply", {"cover_note": NOTE, "proposed_rate": "25"})
    proposal = db_session.scalars(select(Proposal)).one()
    client.login_as(make_assistant(db_session))
    assert client.post(f"/proposals/{proposal.id}/withdraw").status_code == 404
    client.login_as(va)
    assert client.post(f"/proposals/{proposal.id}/withdraw").status_code == 302
    db_session.expire_all()
    assert db_session.get(Proposal, proposal.id).status == ProposalStatus.WITHDRAWN
    assert client.post(f"/proposals/{proposal.id}/withdraw").status_code == 409
