"""Fixed work: a submission says what was delivered; the owner approves it or sends it back
with a note, and the assistant submits again. Every answer names the submission its page
showed, so a stale page cannot approve work its owner has not seen."""

from marketplace.contracts.models import ContractStatus, SubmissionAnswer
from marketplace.notifications.models import Kind
from marketplace.payments.models import EntryKind
from tests.contracts.helpers import (
    NOTE,
    approve,
    funded_scene,
    kinds_for,
    request_changes,
    submissions_of,
    submit,
    submitted_scene,
)
from tests.notifications.mailbox import body_html, body_text
from tests.payments.helpers import contract, ledger


def proposal_title(session, contract_id: int) -> str:
    return contract(session, contract_id).task.title


def test_submitting_without_a_note_is_refused_with_a_message(
    client, other_client, db_session, stripe_relay, time_machine
):
    owner, _, contract_id = funded_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    for note, message in (
        ("", "Say what you delivered, so the owner knows what to check."),
        ("   \n ", "Say what you delivered, so the owner knows what to check."),
        ("x" * 2001, "Keep it under 2,000 characters."),
    ):
        refused = submit(other_client, contract_id, note)
        assert refused.status_code == 422
        assert message in refused.get_data(as_text=True)
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED
    assert submissions_of(db_session, contract_id) == []
    assert Kind.WORK_SUBMITTED not in kinds_for(db_session, owner.id)
    # Typed text comes back in the form, so nothing is lost.
    assert "x" * 2001 in refused.get_data(as_text=True)


def test_the_note_is_shown_escaped_with_its_link_clickable(
    client, other_client, db_session, stripe_relay, time_machine
):
    _, _, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    for viewer in (client, other_client):
        page = viewer.get(f"/contracts/{contract_id}").get_data(as_text=True)
        assert (
            '<a href="https://sheets.example.com/nov" rel="nofollow noopener" target="_blank">'
            "https://sheets.example.com/nov</a> &lt;b&gt;see tab 2&lt;/b&gt;" in page
        )
        assert "<b>see tab 2</b>" not in page
        assert "Submission 1" in page


def test_changes_requested_then_resubmitted_then_approved_and_paid(
    client, other_client, db_session, stripe_relay, smtp_app, mailbox, time_machine
):
    owner, assistant, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Ask for changes" in page and "Approve and release payment" in page
    assert "it is approved and $225 is paid out to them automatically" in page

    refused = request_changes(client, contract_id, 1, "  ")
    assert refused.status_code == 422
    assert "Say what should change, so the assistant knows." in refused.get_data(as_text=True)
    assert contract(db_session, contract_id).status == ContractStatus.SUBMITTED

    asked = request_changes(client, contract_id, 1, "Please split it by supplier.")
    assert asked.status_code == 302
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED
    assert Kind.CHANGES_REQUESTED in kinds_for(db_session, assistant.id)
    [email] = [m for m in mailbox.to(assistant.email) if "asked for changes" in m["Subject"]]
    assert "Please split it by supplier." in body_text(email)
    assert "Please split it by supplier." in body_html(email)

    # In the app too, with the same words as the email.
    bell = other_client.get("/notifications").get_data(as_text=True)
    assert f"{owner.display_name} asked for changes: {proposal_title(db_session, contract_id)}" in (
        bell
    )
    va_page = other_client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "asked for changes to submission 1" in va_page
    assert "Please split it by supplier." in va_page
    assert "Mark work as submitted" in va_page
    assert "with no answer within 14 days it is approved and you are paid automatically" in va_page
    assert "Approve and release payment" not in client.get(f"/contracts/{contract_id}").get_data(
        as_text=True
    )

    assert submit(other_client, contract_id, "Split by supplier, one tab each.").status_code == 302
    assert contract(db_session, contract_id).status == ContractStatus.SUBMITTED
    submitted_emails = [m for m in mailbox.to(owner.email) if "submitted the work" in m["Subject"]]
    assert len(submitted_emails) == 2
    assert "Split by supplier, one tab each." in body_text(submitted_emails[-1])

    assert approve(client, contract_id, 2).status_code == 302
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    assert (EntryKind.TRANSFER, 22500) in ledger(db_session, contract_id)
    first, second = submissions_of(db_session, contract_id)
    assert (first.answer, first.answer_note) == (
        SubmissionAnswer.CHANGES_REQUESTED,
        "Please split it by supplier.",
    )
    assert (second.answer, second.auto_released) == (SubmissionAnswer.APPROVED, False)
    for viewer in (client, other_client):
        history = viewer.get(f"/contracts/{contract_id}").get_data(as_text=True)
        assert "Submission 1" in history and "Submission 2" in history
        assert "asked for changes" in history and "Approved by" in history


def test_a_stale_pages_answer_after_a_change_request_is_a_409(
    client, other_client, db_session, stripe_relay, time_machine
):
    _, _, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    assert request_changes(client, contract_id, 1, "One more pass, please.").status_code == 302
    # The page loaded before the change request still shows submission 1's buttons.
    stale = approve(client, contract_id, 1)
    assert stale.status_code == 409
    assert "You asked for changes" in stale.get_data(as_text=True)
    assert request_changes(client, contract_id, 1, "And another.").status_code == 409
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED

    assert submit(other_client, contract_id, "Second pass done.").status_code == 302
    # Submission 2 is waiting, but this page showed submission 1: nothing is approved unseen.
    stale = approve(client, contract_id, 1)
    assert stale.status_code == 409
    assert "submitted the work again since this page was loaded" in stale.get_data(as_text=True)
    assert request_changes(client, contract_id, 1, "Hm.").status_code == 409
    assert contract(db_session, contract_id).status == ContractStatus.SUBMITTED
    assert approve(client, contract_id, 2).status_code == 302
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    assert approve(client, contract_id, 2).status_code == 409


def test_only_the_owner_answers_and_only_the_assistant_submits(
    client, other_client, db_session, stripe_relay, time_machine
):
    _, _, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    assert approve(other_client, contract_id, 1).status_code == 403
    assert request_changes(other_client, contract_id, 1, "Me?").status_code == 403
    assert submit(client, contract_id, "Not mine to submit").status_code == 403
    assert submit(other_client, contract_id, "Again").status_code == 409  # already submitted
    client.logout()
    from tests.factories import make_owner

    stranger = make_owner(db_session)
    client.login_as(stranger)
    assert approve(client, contract_id, 1).status_code == 404
    assert request_changes(client, contract_id, 1, "Hello").status_code == 404
    assert contract(db_session, contract_id).status == ContractStatus.SUBMITTED


def test_a_frozen_contract_refuses_approval_and_change_requests(
    client, other_client, db_session, stripe_relay, time_machine
):
    from marketplace.db import utcnow

    _, assistant, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    assistant.suspended_at = utcnow()
    db_session.commit()
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Approve and release payment" not in page and "Ask for changes" not in page
    for refused in (
        approve(client, contract_id, 1),
        request_changes(client, contract_id, 1, "Please redo it."),
    ):
        assert refused.status_code == 409
        assert "frozen while Delegate" in refused.get_data(as_text=True)
    assert contract(db_session, contract_id).status == ContractStatus.SUBMITTED
    assert submissions_of(db_session, contract_id)[0].answer is None


def test_the_note_is_in_the_owners_email_with_the_release_date_in_her_zone(
    client, other_client, db_session, stripe_relay, smtp_app, mailbox, time_machine
):
    owner, _, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    [email] = [m for m in mailbox.to(owner.email) if "submitted the work" in m["Subject"]]
    text, html = body_text(email), body_html(email)
    assert NOTE in text
    assert '<a href="https://sheets.example.com/nov"' in html and "&lt;b&gt;see tab 2" in html
    for body in (text, html):
        assert "approve to release" in body and "$225" in body
        # 14 days after Tue 1 Dec, 09:00 in Los Angeles.
        assert "If you have not answered by Tue 15 Dec 2026, 09:00 Los Angeles (UTC-8)" in body
        assert "approved automatically" in body
        assert f"http://localhost/contracts/{contract_id}" in body
