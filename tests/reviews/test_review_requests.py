"""The emails around reviews, through the outbox to a real SMTP server: "leave a review" to
both parties when a payout through Stripe ends the contract, and "you received a review" once
a review of you can be read."""

from __future__ import annotations

from tests.notifications.mailbox import body_html, body_text
from tests.payments.helpers import connect_payouts, funded_contract, proposal_scene
from tests.reviews.helpers import review


def subjects(mailbox, address):
    return [m["Subject"].strip() for m in mailbox.to(address)]


def test_a_payout_asks_both_parties_and_each_hears_of_the_review_once_visible(
    client, other_client, db_session, stripe_relay, smtp_app, mailbox
):
    owner, assistant, proposal = proposal_scene(db_session)
    title = proposal.task.title
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    other_client.post(
        f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
    )
    assert not any("How did it go" in s for s in subjects(mailbox, owner.email))

    client.post(f"/contracts/{contract_id}/approve")  # paid out through the emulator

    asks = {
        owner.email: f'How did it go with {assistant.display_name}? Review "{title}"',
        assistant.email: f'How did it go with {owner.display_name}? Review "{title}"',
    }
    for address, subject in asks.items():
        assert subjects(mailbox, address).count(subject) == 1, subjects(mailbox, address)
        (ask,) = [m for m in mailbox.to(address) if m["Subject"].strip() == subject]
        assert f"http://localhost/contracts/{contract_id}/review" in body_text(ask)
        assert "double-blind" in body_text(ask) and "double-blind" in body_html(ask)
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Publish review" in page

    assert review(client, contract_id, 5, "Spotless books & on time.").status_code == 302
    assert not any("reviewed you" in s for s in subjects(mailbox, assistant.email))
    assert review(other_client, contract_id, 4, "Quick answers.").status_code == 302

    told = [m for m in mailbox.to(assistant.email) if "reviewed you" in m["Subject"]]
    assert [m["Subject"].strip() for m in told] == [
        f'{owner.display_name} reviewed you: 5/5 for "{title}"'
    ]
    assert "Spotless books & on time." in body_text(told[0])
    assert "Spotless books &amp; on time." in body_html(told[0])  # escaped in HTML
    assert any(
        f"{assistant.display_name} reviewed you: 4/5" in s for s in subjects(mailbox, owner.email)
    )


def test_a_review_request_already_answered_is_not_shown_or_sent(client, db_session):
    from sqlalchemy import select

    from marketplace.notifications.models import Kind, Notification
    from tests.reviews.helpers import paid_scene

    scene = paid_scene(db_session)
    client.login_as(scene.owner)
    listed = client.get("/notifications").get_data(as_text=True)
    assert f"How did it go with {scene.assistant.display_name}?" in listed
    assert review(client, scene.contract.id, 3, "").status_code == 302
    listed = client.get("/notifications").get_data(as_text=True)
    assert "How did it go with" not in listed  # answered: stale news

    from marketplace.notifications.emails import build_message

    db_session.expire_all()
    ask = db_session.scalar(
        select(Notification).where(
            Notification.user_id == scene.owner.id, Notification.kind == Kind.REVIEW_REQUESTED
        )
    )
    with client.raw.application.app_context():
        assert build_message(db_session, ask) is None
