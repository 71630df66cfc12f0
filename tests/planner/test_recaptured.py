"""The owner's dashboard counts the hours handed off so far from their contracts: fixed work
once approved (hourly weeks once charged are in tests/timesheets/test_weekly_billing.py)."""

from marketplace.planner.models import Plan
from tests.contracts.helpers import approve, submitted_scene


def recaptured_line(client) -> str | None:
    page = client.get("/dashboard").get_data(as_text=True)
    if 'data-testid="recaptured"' not in page:
        return None
    start = page.index('data-testid="recaptured">')
    return page[start : page.index("</p>", start)]


def test_approved_fixed_work_counts_as_hours_handed_off_at_the_plans_worth(
    client, other_client, db_session, stripe_relay, time_machine
):
    owner, _, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )  # 10 h at $25
    db_session.add(Plan(owner_id=owner.id, hourly_worth_cents=9550, currency="USD"))
    db_session.flush()
    assert recaptured_line(client) is None  # submitted, not yet accepted: nothing handed off
    assert approve(client, contract_id, 1).status_code == 302
    line = recaptured_line(client)
    assert "Handed off so far: <strong>10 h</strong> of work done for you by 1 assistant" in line
    # 10 h at the $95.50 an hour the plan puts on the owner's time, in whole cents.
    assert "worth $955 of your own time at the $95.50/h" in line
