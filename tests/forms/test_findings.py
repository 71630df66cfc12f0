"""What the form fuzz found, each kept as the post that made a 500 (now a form's message)."""

from __future__ import annotations

from marketplace.contracts.services import hire, quote
from marketplace.hiring.services import apply_to_task
from tests.factories import make_assistant, make_owner, make_task
from tests.operator.helpers import audit_rows, make_operator


def test_an_operators_refund_of_thirty_digits_is_refused_with_a_message(client, app, db_session):
    # Was decimal.InvalidOperation (a 500): quantize() of 1e30 exceeds Decimal's precision.
    owner, assistant = make_owner(db_session), make_assistant(db_session)
    task = make_task(db_session, owner)
    proposal = apply_to_task(
        db_session, assistant, task.id, cover_note="Books, ten years.", proposed_rate_cents=2500
    )
    with app.app_context():
        contract = hire(
            db_session, owner, proposal.id, 10, 1000, quote(proposal, 10, 1000).total_cents
        )
        db_session.commit()
    client.login_as(make_operator(db_session))
    for refund in ("1e30", "1000000000000000000000000000000", "NaN"):
        response = client.post(
            f"/operator/contracts/{contract.id}/resolve",
            {"outcome": "refund", "refund": refund, "note": "Settled.", "reason": "Ticket 7"},
        )
        assert response.status_code == 422, refund
        page = response.get_data(as_text=True)
        assert "Enter an amount such as 25 or 25.50." in page or "smaller amount" in page
    assert audit_rows(db_session, "resolve") == []
