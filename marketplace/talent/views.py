"""Owners search assistants (talent search): one page, filters in the query string."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..accounts.access import owner_required
from ..db import get_session, utcnow
from ..matches import events as match_events
from ..matches.shown import record_shown
from ..tasks.services import open_tasks_of
from .forms import TalentFilterForm
from .search import search_talent

bp = Blueprint("talent", __name__)


@bp.get("/talent")
@owner_required
def search():
    session = get_session()
    form = TalentFilterForm(
        formdata=request.args,
        data={"timezone": current_user.timezone},
        tasks=open_tasks_of(session, current_user),
    )
    if not form.validate():
        return render_template("talent/search.html", form=form, page=None), 400
    query = form.to_query()
    page = search_talent(session, query)
    body = render_template("talent/search.html", form=form, page=page, now=utcnow())
    if query.task is not None and page.items:
        # For the matcher to learn from, as the task page's recommendations are: the pairs
        # shown for the chosen task, at their place in the results, once a day per pair.
        shown = [
            (
                r.profile.user_id,
                float(r.match.score) if r.match else None,
                match_events.factor_values(r.match.explanation) if r.match else None,
            )
            for r in page.items
        ]
        first = (page.page - 1) * page.size + 1
        record_shown(session, query.task.id, shown, first_position=first)
    return body
