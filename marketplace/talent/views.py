"""Owners search assistants (talent search): one page, filters in the query string."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..accounts.access import owner_required
from ..db import get_session, utcnow
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
    page = search_talent(session, form.to_query())
    return render_template("talent/search.html", form=form, page=page, now=utcnow())
