"""Suspending and reinstating: log-in, live sessions, feeds, and frozen contracts."""

from marketplace.accounts.models import User
from marketplace.contracts.models import ContractStatus
from marketplace.matches.models import Match
from tests.factories import PASSWORD, make_assistant, make_owner, make_task, profile_form
from tests.operator.helpers import audit_rows, make_operator
from tests.payments.helpers import contract, funded_contract, proposal_scene


def suspend(client, user, reason="Chargeback fraud on three contracts"):
    return client.post(f"/operator/users/{user.id}/suspend", {"reason": reason})


def reinstate(client, user, reason="The bank confirmed the charges"):
    return client.post(f"/operator/users/{user.id}/reinstate", {"reason": reason})


def log_in(client, user):
    return client.post("/login", {"email": user.email, "password": PASSWORD})


def test_a_suspended_user_cannot_log_in_and_their_session_stops(
    app, client, other_client, db_session
):
    operator, owner = make_operator(db_session), make_owner(db_session)
    db_session.commit()
    assert log_in(other_client, owner).status_code == 302  # a real log-in, a live session
    assert other_client.get("/dashboard").status_code == 200

    client.login_as(operator)
    response = suspend(client, owner)
    assert response.status_code == 303
    assert "Suspended" in client.get(response.location).get_data(as_text=True)

    # The browser that was logged in is logged out at its next request.
    stale = other_client.get("/dashboard")
    assert stale.status_code == 302 and "/login" in stale.location
    refused = log_in(other_client, owner)
    assert refused.status_code == 403
    assert "This account is suspended" in refused.get_data(as_text=True)
    assert other_client.get("/dashboard").status_code == 302

    (entry,) = audit_rows(db_session, "user.suspend")
    assert entry.details["sessions_ended"] == 1

    assert reinstate(client, owner).status_code == 303
    assert log_in(other_client, owner).status_code == 302
    assert other_client.get("/dashboard").status_code == 200
    assert [e.action for e in audit_rows(db_session)] == ["user.suspend", "user.reinstate"]
    assert suspend(client, operator).status_code == 409  # not yourself


def test_suspending_twice_or_reinstating_an_active_account_is_refused(client, db_session):
    operator, owner = make_operator(db_session), make_owner(db_session)
    client.login_as(operator)
    assert reinstate(client, owner).status_code == 409
    assert suspend(client, owner).status_code == 303
    assert suspend(client, owner).status_code == 409
    assert [e.action for e in audit_rows(db_session)] == ["user.suspend"]


def test_their_open_task_leaves_job_search_and_jobs_for_you(client, other_client, db_session):
    operator, owner = make_operator(db_session), make_owner(db_session)
    make_task(
        db_session,
        owner,
        title="Sort my Gmail inbox",
        skills=["Gmail"],
        description="Triage my Gmail inbox every morning.",
    )
    va = make_assistant(db_session, profile=False)
    other_client.login_as(va)
    assert other_client.post("/profile", profile_form()).status_code == 302
    assert db_session.query(Match).filter_by(assistant_id=va.id).count() == 1

    def listed() -> tuple[bool, bool, bool]:
        search = other_client.get("/jobs?q=gmail").get_data(as_text=True)
        browse = other_client.get("/jobs").get_data(as_text=True)
        for_you = other_client.get("/jobs/for-you").get_data(as_text=True)
        return tuple("Sort my Gmail inbox" in page for page in (search, browse, for_you))

    assert listed() == (True, True, True)
    client.login_as(operator)
    suspend(client, owner)
    assert listed() == (False, False, False)
    task_id = db_session.query(Match).filter_by(assistant_id=va.id).one().task_id
    assert other_client.get(f"/tasks/{task_id}").status_code == 404
    reinstate(client, owner)
    assert listed() == (True, True, True)


def test_a_suspended_assistant_leaves_the_directory(client, other_client, db_session):
    operator = make_operator(db_session)
    va = make_assistant(db_session, display_name="Vera Hidden")
    assert "Vera Hidden" in other_client.get("/assistants").get_data(as_text=True)
    client.login_as(operator)
    suspend(client, va)
    assert "Vera Hidden" not in other_client.get("/assistants").get_data(as_text=True)
    assert other_client.get(f"/assistants/{va.id}").status_code == 404
    reinstate(client, va)
    assert "Vera Hidden" in other_client.get("/assistants").get_data(as_text=True)


def test_the_parties_cannot_change_a_frozen_contract(
    client, other_client, db_session, stripe_relay
):
    owner, assistant, proposal = proposal_scene(db_session)
    operator = make_operator(db_session)
    other_client.login_as(owner)
    contract_id = funded_contract(other_client, stripe_relay, db_session, proposal)
    client.login_as(operator)
    suspend(client, assistant)
    (entry,) = audit_rows(db_session, "user.suspend")
    assert entry.details["frozen_contracts"] == [contract_id]

    refused = other_client.post(f"/contracts/{contract_id}/cancel")
    assert refused.status_code == 409
    assert "frozen" in refused.get_data(as_text=True)
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED
    assert stripe_relay.events("charge.refunded") == []
    assert "frozen" in client.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)

    reinstate(client, assistant)
    assert other_client.post(f"/contracts/{contract_id}/cancel").status_code == 302
    assert contract(db_session, contract_id).status == ContractStatus.CANCELLED
    assert db_session.get(User, assistant.id).suspended_at is None
