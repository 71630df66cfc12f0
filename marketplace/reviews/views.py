"""Writing a review of an ended contract. The contract page shows each party the review's state
(``reviews/_contract.html``); this page holds the form when it needs its own (an email's link,
or a form sent back with a mistake in it)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..contracts.services import contract_for
from ..db import get_session
from ..errors import Invalid
from ..forms import has_errors
from . import services
from .forms import ReviewForm

bp = Blueprint("reviews", __name__)


def _page(contract, form: ReviewForm, status: int = 200):
    state = services.state_for(get_session(), current_user, contract, services.configured_window())
    return render_template("reviews/write.html", contract=contract, review=state, form=form), status


@bp.get("/contracts/<int:contract_id>/review")
@login_required
def write(contract_id: int):
    contract = contract_for(get_session(), current_user, contract_id)
    return _page(contract, ReviewForm(formdata=None))


@bp.post("/contracts/<int:contract_id>/review")
@login_required
def post(contract_id: int):
    session = get_session()
    contract = contract_for(session, current_user, contract_id)  # a stranger's 404
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            review = services.write_review(
                session,
                current_user,
                contract.id,
                form.rating.data,
                form.body.data,
                services.configured_window(),
            )
        except Invalid as exc:
            session.rollback()
            getattr(form, exc.field or "body").errors.append(exc.message)
        else:
            session.commit()
            if review.revealed_at is not None:
                flash(
                    "Thank you. You have both written your reviews, so both are shown.", "success"
                )
            else:
                flash(
                    "Thank you. Your review stays hidden until "
                    f"{review.subject.display_name} has written theirs or the time to review "
                    "is over.",
                    "success",
                )
            return redirect(url_for("contracts.show", contract_id=contract.id) + "#reviews")
    return _page(contract, form, 422 if has_errors(form) else 200)
