"""Match events: what owners and assistants did with shown matches, recorded once per action
in the action's transaction, numbers only; the worker's matcher learns from them once there
are enough, and keeps the fixed weights until then."""

import json
from datetime import timedelta

import time_machine
from sqlalchemy import select

from marketplace.contracts import services as contracts
from marketplace.db import utcnow
from marketplace.hiring.models import Proposal
from marketplace.matches.index import matcher_index
from marketplace.matches.jobs import rank_and_store_task
from marketplace.matches.models import EventKind, Match, MatchEvent
from tests.factories import make_assistant, make_owner, make_task
from tests.reviews.helpers import FEE_BPS, page, paid_scene, review

COVER_NOTE = "Hi Dana, I am Joy from Cebu; my number is +63 917 555 0100."


def events(session, *where) -> list[MatchEvent]:
    session.expire_all()
    return list(session.scalars(select(MatchEvent).where(*where).order_by(MatchEvent.id)))


def kinds(session, task_id) -> list[str]:
    return [e.kind.value for e in events(session, MatchEvent.task_id == task_id)]


def stored_match(session, task, assistant, score, overlap=0.5):
    now = utcnow()
    explanation = {
        "contributions": {"text": score * 0.6, "overlap": score * 0.4},
        "factor_values": {"text": 0.4, "overlap": overlap, "reputation": 0.8},
        "skills": [], "matched_terms": ["quickbooks"], "overlap_hours": 2,
        "hourly_rate_cents": 2500, "currency": "USD", "hours_per_week": 20,
        "reputation": {"rating": None, "review_count": 0},
    }  # fmt: skip
    session.add(
        Match(
            task_id=task.id,
            assistant_id=assistant.id,
            score=score,
            explanation=explanation,
            matcher_version="test",
            ranked_for_task=True,
            created_at=now,
            updated_at=now,
        )  # fmt: skip
    )
    session.flush()


def market(session, n=3):
    owner = make_owner(session, display_name="Dana Baker")
    task = make_task(session, owner, title="Monthly QuickBooks reconciliations")
    vas = [make_assistant(session, display_name=f"Joy Santos {i}") for i in range(n)]
    for i, va in enumerate(vas):
        stored_match(session, task, va, 0.9 - i / 10)
    session.commit()
    return owner, task, vas


def test_the_owners_page_records_what_it_showed_once_a_day(client, other_client, db_session):
    owner, task, vas = market(db_session)
    client.login_as(owner)
    assert client.get(f"/tasks/{task.id}").status_code == 200
    shown = events(db_session, MatchEvent.task_id == task.id)
    assert [(e.kind, e.assistant_id, e.position) for e in shown] == [
        (EventKind.IMPRESSION, va.id, i) for i, va in enumerate(vas, start=1)
    ]
    assert shown[0].score == 0.9
    assert shown[0].factors == {"text": 0.4, "overlap": 0.5, "reputation": 0.8}

    # a reload, the same day: nothing more
    client.get(f"/tasks/{task.id}")
    assert len(events(db_session)) == 3
    # another assistant looking at the job is no impression of anyone
    other_client.login_as(vas[0])
    assert other_client.get(f"/tasks/{task.id}").status_code == 200
    assert len(events(db_session)) == 3
    # the next day the owner's look counts again
    with time_machine.travel(utcnow() + timedelta(days=1), tick=False):
        client.get(f"/tasks/{task.id}")
    assert kinds(db_session, task.id) == ["impression"] * 6


def test_each_action_is_recorded_once_with_the_pairs_scores_and_no_text(
    client, other_client, db_session
):
    owner, task, (invited, applicant, _third) = market(db_session)
    client.login_as(owner)
    for _ in range(2):  # a double click invites once
        client.post(f"/tasks/{task.id}/invite/{invited.id}", {"rate_cents": "2500"})
    other_client.login_as(applicant)
    sent = other_client.post(
        f"/tasks/{task.id}/apply", {"cover_note": COVER_NOTE, "proposed_rate": "25"}
    )
    assert sent.status_code == 302
    invite, proposal = events(db_session, MatchEvent.kind != EventKind.IMPRESSION)
    assert (invite.kind, invite.assistant_id, invite.score) == (EventKind.INVITE, invited.id, 0.9)
    assert (proposal.kind, proposal.assistant_id) == (EventKind.PROPOSAL, applicant.id)
    assert proposal.factors == {"text": 0.4, "overlap": 0.5, "reputation": 0.8}

    (p,) = db_session.scalars(select(Proposal).where(Proposal.assistant_id == applicant.id))
    price = contracts.quote(p, 10, FEE_BPS)
    contracts.hire(db_session, owner, p.id, 10, FEE_BPS, price.total_cents)
    db_session.commit()
    assert kinds(db_session, task.id) == ["invite", "proposal", "hire"]

    # numbers and ids only: nothing anyone wrote, no names
    for e in events(db_session):
        stored = json.dumps([e.value, e.score, e.factors, e.position, e.dedup_key])
        for text in (COVER_NOTE, "Joy", "Dana", "QuickBooks", "quickbooks", "Cebu"):
            assert text not in stored
        assert all(type(v) is float for v in (e.factors or {}).values())


def test_accepting_an_invitation_is_a_hire(client, other_client, db_session):
    owner, task, (va, *_rest) = market(db_session)
    client.login_as(owner)
    client.post(f"/tasks/{task.id}/invite/{va.id}", {"rate_cents": "2500"})
    other_client.login_as(va)
    assert other_client.post(f"/tasks/{task.id}/accept-invitation").status_code == 302
    assert kinds(db_session, task.id) == ["invite", "hire"]
    (hire,) = events(db_session, MatchEvent.kind == EventKind.HIRE)
    assert hire.assistant_id == va.id and hire.score == 0.9


def test_the_owners_review_of_the_hire_counts_once_it_is_revealed(client, other_client, db_session):
    scene = paid_scene(db_session)
    task_id, cid = scene.contract.task_id, scene.contract.id
    assert kinds(db_session, task_id) == ["proposal", "hire"]  # no stored match: no scores
    client.login_as(scene.owner)
    other_client.login_as(scene.assistant)
    assert review(client, cid, 4, "Careful and quick.").status_code == 302
    assert kinds(db_session, task_id) == ["proposal", "hire"]  # still blind
    assert review(other_client, cid, 5, "Paid on time.").status_code == 302
    assert "Careful and quick." in page(other_client, cid)
    (rated,) = events(db_session, MatchEvent.kind == EventKind.REVIEW)
    assert (rated.assistant_id, rated.value, rated.factors) == (scene.assistant.id, 4.0, None)
    assert "Careful" not in json.dumps([rated.dedup_key, rated.factors])


def _seed_outcomes(session, task, vas, n_tasks: int):
    """Shown pairs on other tasks where owners took those with more shared hours."""
    owner = task.owner
    now = utcnow()
    for t in range(n_tasks):
        other = make_task(session, owner, title=f"Earlier bookkeeping {t}")
        for pos, va in enumerate(vas, start=1):
            overlap = 1.0 if pos % 2 else 0.0
            factors = {"text": 0.5 - pos / 100, "overlap": overlap, "reputation": 0.8}
            key = f"{other.id}:{va.id}"
            session.add(
                MatchEvent(
                    task_id=other.id,
                    assistant_id=va.id,
                    kind=EventKind.IMPRESSION,
                    factors=factors,
                    position=pos,
                    dedup_key=f"impression:{key}",
                    created_at=now,
                )  # fmt: skip
            )
            if overlap:
                session.add(
                    MatchEvent(task_id=other.id, assistant_id=va.id, kind=EventKind.INVITE,
                               factors=factors, dedup_key=f"invite:{key}", created_at=now)
                )  # fmt: skip
    session.flush()


def test_the_worker_learns_weights_only_from_enough_events(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "MATCHER_LEARN_MIN_EVENTS", 40)
    monkeypatch.setitem(app.config, "MATCHER_LEARN_MIN_POSITIVES", 5)
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="QuickBooks bookkeeping", skills=["QuickBooks"])
    vas = [make_assistant(db_session) for _ in range(4)]
    _seed_outcomes(db_session, task, vas, 5)  # 20 shown pairs: too few
    matcher = matcher_index(app).current(db_session)
    assert matcher.outcome_model is None
    with app.app_context():  # what the job does
        kept = rank_and_store_task(db_session, task, announce=False)
    assert "weights" not in kept[0].explanation
    db_session.commit()
    client.login_as(owner)
    assert "owners' choices" not in client.get(f"/tasks/{task.id}").get_data(as_text=True)

    _seed_outcomes(db_session, task, vas, 10)  # 60 shown pairs now
    model = matcher_index(app).learn(db_session)
    assert model is not None and model.n_pairs == 64  # and the 4 the owner's page showed
    assert model.weights["overlap"] > 0.08  # owners took those with shared hours
    with app.app_context():
        kept = rank_and_store_task(db_session, task, announce=False)
    weights = kept[0].explanation["weights"]
    assert weights["source"] == "learned" and weights["factors"] == model.weights
    db_session.commit()
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "weighed as owners&#39; choices on Delegate suggest" in html
