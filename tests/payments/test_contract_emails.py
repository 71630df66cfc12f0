"""The owner hears when the work is submitted; the assistant hears when their contract is
cancelled. Both go through the outbox, in the transaction of the change, to a real SMTP
server, once each."""

from tests.notifications.mailbox import body_html, body_text
from tests.payments.helpers import connect_payouts, funded_contract, hire, proposal_scene


def subjects(mailbox, address):
    return [m["Subject"].strip() for m in mailbox.to(address)]


def test_submitting_work_emails_the_owner_once(
    client, other_client, db_session, stripe_relay, smtp_app, mailbox
):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    assert (
        other_client.post(
            f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
        ).status_code
        == 302
    )
    assert (
        other_client.post(
            f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
        ).status_code
        == 409
    )
    title = proposal.task.title
    expected = f'{assistant.display_name} submitted the work for "{title}"'
    assert subjects(mailbox, owner.email).count(expected) == 1
    message = mailbox.to(owner.email)[-1]
    for body in (body_text(message), body_html(message)):
        assert "approve to release" in body and "$225" in body and "$25 platform fee" in body
        assert f"http://localhost/contracts/{contract_id}" in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert expected not in subjects(mailbox, assistant.email)


def test_cancelling_a_funded_contract_emails_the_assistant(
    client, db_session, stripe_relay, smtp_app, mailbox
):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    assert client.post(f"/contracts/{contract_id}/cancel").status_code == 302
    stripe_relay.deliver(client)  # the refund's confirmation: no second cancellation email
    title = proposal.task.title
    assert subjects(mailbox, assistant.email) == [
        f'"{title}" is funded: you can start',
        f'Contract cancelled: "{title}"',
    ]
    text = body_text(mailbox.to(assistant.email)[-1])
    assert f"{owner.display_name} cancelled the contract" in text
    assert "their payment goes back to them" in text and "Please stop work on it" in text
    assert f"http://localhost/contracts/{contract_id}" in text
    assert "cancelled the contract" in body_html(mailbox.to(assistant.email)[-1])


def test_cancelling_before_funding_emails_the_assistant_without_talk_of_money(
    client, db_session, stripe_relay, smtp_app, mailbox
):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    client.post(f"/contracts/{contract_id}/cancel")
    (message,) = mailbox.to(assistant.email)
    assert message["Subject"].strip() == f'Contract cancelled: "{proposal.task.title}"'
    assert "payment goes back" not in body_text(message)
