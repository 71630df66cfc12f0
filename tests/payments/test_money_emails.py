"""Money emails go through the notification outbox to a real SMTP server, once each."""

from tests.notifications.mailbox import body_html, body_text
from tests.payments.helpers import connect_payouts, funded_contract, proposal_scene


def subjects(mailbox, address):
    return [m["Subject"].strip() for m in mailbox.to(address)]


def test_funded_paid_and_refund_emails(
    client, other_client, db_session, stripe_relay, smtp_app, mailbox
):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    title = proposal.task.title
    assert subjects(mailbox, owner.email) == [f'Payment received for "{title}"']
    assert subjects(mailbox, assistant.email) == [f'"{title}" is funded: you can start']
    (to_assistant,) = mailbox.to(assistant.email)
    assert "$225" in body_text(to_assistant) and "$225" in body_html(to_assistant)
    assert f"http://localhost/contracts/{contract_id}" in body_text(to_assistant)
    assert to_assistant["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    stripe_relay.deliver(client)  # nothing new: no second email
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    other_client.post(
        f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
    )
    client.post(f"/contracts/{contract_id}/approve")
    paid = f'You have been paid $225 for "{title}"'
    assert subjects(mailbox, assistant.email)[-2:] == [
        paid,
        f'How did it go with {owner.display_name}? Review "{title}"',
    ]
    (paid_email,) = [m for m in mailbox.to(assistant.email) if m["Subject"].strip() == paid]
    assert "$250 less the $25 platform fee" in body_text(paid_email)
    assert subjects(mailbox, owner.email) == [
        f'Payment received for "{title}"',
        f'{assistant.display_name} submitted the work for "{title}"',
        f'How did it go with {assistant.display_name}? Review "{title}"',
    ]


def test_refund_email_to_the_owner(client, db_session, stripe_relay, smtp_app, mailbox):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    client.post(f"/contracts/{contract_id}/cancel")
    stripe_relay.deliver(client)
    assert subjects(mailbox, owner.email)[-1] == f'Refund of $250 for "{proposal.task.title}"'
    for event in stripe_relay.events("charge.refunded"):
        stripe_relay.post_event(client, event)  # a replay sends nothing more
    assert len(mailbox.to(owner.email)) == 2
