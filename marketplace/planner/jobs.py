"""Jobs that price plan items with the matcher (imported only by the job runner)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..jobs import job
from .market import catalogue_queries, price_plan, rank_and_store
from .models import Plan, PlanItem


@job("planner.price_plan")
def price_plan_job(session: Session, plan_id: int) -> int:
    """After a plan is saved: price its typed-in items, and its overlap with the owner."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        return 0
    price_plan(session, plan)
    return len(plan.items)


@job("planner.rebuild_market")
def rebuild_market(session: Session) -> dict[str, int]:
    """Every catalogue item's fit assistants, from the current pool; then every plan's
    overlap figures, which read those fits."""
    counts = rank_and_store(session, catalogue_queries())
    plan_ids = session.scalars(select(PlanItem.plan_id).distinct())
    for plan_id in list(plan_ids):
        price_plan(session, session.get_one(Plan, plan_id))
    return counts
