"""The operator's contract page reads back every submission, the owner's answers, and the
emails about them."""

from tests.contracts.helpers import request_changes, submit, submitted_scene
from tests.operator.helpers import make_operator


def test_the_console_shows_submissions_answers_and_their_emails(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    _, _, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    assert (
        request_changes(client, contract_id, 1, "Totals <i>do not</i> tie out.").status_code == 302
    )
    assert submit(other_client, contract_id, "Fixed the totals.").status_code == 302
    client.login_as(make_operator(db_session))
    page = client.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert 'data-testid="submission-1" data-answer="changes_requested"' in page
    assert 'data-testid="submission-2" data-answer="none"' in page
    assert "Totals &lt;i&gt;do not&lt;/i&gt; tie out." in page
    assert "Fixed the totals." in page
    assert "it is approved and paid out automatically" in page
    for kind in ("work_submitted", "changes_requested"):
        assert f'data-email="{kind}"' in page
