"""What reviews add up to: the assistant's rating and count on their profile, the matcher's
reputation factor and its explanation for the next task, and the owner's line on their tasks."""

from __future__ import annotations

import re

from marketplace.profiles.models import AssistantProfile
from tests.factories import make_assistant, make_owner, task_form
from tests.reviews.helpers import paid_scene, review

TWIN = dict(
    headline="Inbox and calendar manager for founders",
    bio="I triage Gmail inboxes and draft replies every morning.",
    skills=["Gmail", "inbox management", "Google Calendar"],
    timezone="America/Bogota",
)


def post_task(client, **kw) -> int:
    response = client.post("/tasks/new", task_form(**kw))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def recommended(client, task_id: int) -> str:
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    return page[page.index("Recommended assistants") :]


def both_review(client, other_client, scene, owner_rating: int, words: str = "") -> None:
    client.login_as(scene.owner)
    assert review(client, scene.contract.id, owner_rating, words).status_code == 302
    other_client.login_as(scene.assistant)
    assert review(other_client, scene.contract.id, 5, "Paid on time.").status_code == 302


def test_a_review_reaches_the_matchers_ranking_and_explanation_for_the_next_task(
    client, other_client, db_session
):
    # Two assistants alike in every way the matcher reads, except what owners say of them.
    ana = make_assistant(db_session, display_name="Ana Reyes", **TWIN)
    make_assistant(db_session, display_name="Bea Cruz", **TWIN)
    next_owner = make_owner(db_session, display_name="Nina Next")
    db_session.commit()
    client.login_as(next_owner)
    task_id = post_task(client)
    before = recommended(client, task_id)
    assert before.index("Ana Reyes") < before.index("Bea Cruz")  # a tie, broken by id
    assert before.count("Reputation: new on Delegate, no reviews yet") == 2

    scene = paid_scene(db_session, assistant=ana)
    both_review(client, other_client, scene, 1, "Did not do the work asked.")

    client.login_as(next_owner)
    after = recommended(client, task_id)
    # Ana's one-star review moved her below Bea, and the owner reads why.
    assert after.index("Bea Cruz") < after.index("Ana Reyes")
    ana_card = after[after.index("Ana Reyes") :]
    assert "Reputation: rated 1.0/5 from 1 review" in ana_card
    bea_card = after[after.index("Bea Cruz") : after.index("Ana Reyes")]
    assert "Reputation: new on Delegate, no reviews yet" in bea_card


def test_the_profile_shows_the_average_the_count_and_the_latest_words(
    client, other_client, db_session
):
    joy = make_assistant(db_session, display_name="Joy Santos")
    first = paid_scene(db_session, make_owner(db_session, display_name="Dana Baker"), joy)
    second = paid_scene(db_session, make_owner(db_session, display_name="Omar Haddad"), joy)
    both_review(client, other_client, first, 5, "Books closed two days early.")
    both_review(client, other_client, second, 4, "Good work, a little slow to reply.")

    db_session.expire_all()
    profile = db_session.get(AssistantProfile, joy.id)
    assert (profile.rating, profile.review_count) == (4.5, 2)
    visitor = client.raw.application.test_client()
    page = visitor.get(f"/assistants/{joy.id}").get_data(as_text=True)
    assert "4.5 ★ from 2 reviews" in page
    section = page[page.index("What owners say") :]
    # Newest first, with who wrote them; never the private task behind them.
    assert section.index("a little slow to reply") < section.index("Books closed two days early")
    assert "Omar Haddad" in section and "Dana Baker" in section
    assert first.contract.task.title not in section
    # The owners' reviews only: what Joy wrote about them is not on her profile.
    assert "Paid on time." not in page


def test_the_owners_line_on_their_tasks(client, other_client, db_session):
    dana = make_owner(db_session, display_name="Dana Baker")
    newcomer = make_owner(db_session, display_name="Nico New")
    scene = paid_scene(db_session, dana)
    paid_scene(db_session, dana)  # hired twice; only one assistant reviews her
    db_session.commit()
    client.login_as(dana)
    task_id = post_task(client, title="Quarterly VAT return")
    reader = client.raw.application.test_client()  # an assistant deciding to apply, or anyone

    other_client.login_as(scene.assistant)
    assert review(other_client, scene.contract.id, 4, "Clear brief.").status_code == 302
    # Hidden until Dana has written hers (or the window closes): not counted yet.
    line = _owner_line(reader.get(f"/tasks/{task_id}").get_data(as_text=True))
    assert line == "Dana Baker: Hired 2 times, no reviews from assistants yet, payment verified"

    assert review(client, scene.contract.id, 5, "Great.").status_code == 302
    line = _owner_line(reader.get(f"/tasks/{task_id}").get_data(as_text=True))
    assert line == "Dana Baker: Hired 2 times, 4.0 from assistants (1 review), payment verified"
    client.login_as(newcomer)
    newcomer_task = post_task(client, title="Sort my receipts")
    line = _owner_line(reader.get(f"/tasks/{newcomer_task}").get_data(as_text=True))
    assert line == (
        "Nico New: No hires yet, no reviews from assistants yet, payment not verified yet"
    )


def _owner_line(page: str) -> str:
    match = re.search(r'data-testid="owner-record">([^<]*)<', page)
    assert match, "no owner line on the task page"
    return match.group(1)
