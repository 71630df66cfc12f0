"""The price the owner saw is the price charged: the hire form sends the hours typed with
the total it showed, and any other total re-shows the price instead of hiring."""

import re

from sqlalchemy import func, select

from marketplace.contracts.models import Contract
from tests.payments.helpers import contract, proposal_scene, quoted_total


def contracts_of(session, proposal) -> int:
    session.expire_all()
    return session.scalar(
        select(func.count()).select_from(Contract).where(Contract.proposal_id == proposal.id)
    )


def post_hire(client, proposal, hours, quoted, action="hire"):
    data = {"hours": str(hours), "action": action}
    if quoted is not None:
        data["quoted_total_cents"] = str(quoted)
    return client.post(f"/proposals/{proposal.id}/hire", data)


def test_hours_changed_without_updating_the_price_hire_nothing_until_confirmed(client, db_session):
    owner, _, proposal = proposal_scene(db_session, rate_cents=2500)
    client.login_as(owner)
    assert quoted_total(client, proposal.id, 6) == "15000"  # the page showed 6 h = $150

    # The owner typed 10 in the hours field and pressed Hire: the page had shown $150.
    response = post_hire(client, proposal, 10, 15000)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "For 10 h the price is $250, not the price you were shown" in page
    assert 'data-testid="total">$250<' in page and 'data-testid="fee">$25<' in page
    assert 'name="quoted_total_cents" value="25000"' in page  # what is shown now
    assert 'value="10"' in page  # the hours typed are kept
    assert contracts_of(db_session, proposal) == 0

    confirmed = post_hire(client, proposal, 10, 25000)
    assert confirmed.status_code == 302
    c = contract(db_session, int(re.search(r"/contracts/(\d+)", confirmed.location).group(1)))
    assert (c.hours, c.total_cents, c.fee_cents) == (10, 25000, 2500)


def test_a_hire_without_a_shown_price_or_with_a_forged_one_hires_nothing(client, db_session):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    assert post_hire(client, proposal, 4, None).status_code == 409
    assert post_hire(client, proposal, 4, "abc").status_code == 409
    assert post_hire(client, proposal, 4, 1).status_code == 409  # a total nobody was shown
    assert contracts_of(db_session, proposal) == 0


def test_update_price_shows_the_new_price_and_hires_nothing(client, db_session):
    owner, _, proposal = proposal_scene(db_session, rate_cents=2750)
    client.login_as(owner)
    response = post_hire(client, proposal, 8, 15000, action="quote")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="total">$220<' in page and 'name="quoted_total_cents" value="22000"' in page
    assert "not the price you were shown" not in page
    assert contracts_of(db_session, proposal) == 0


def test_bad_hours_are_a_form_message_not_a_contract(client, db_session):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    for hours in ("0", "501", "ten", ""):
        response = client.post(
            f"/proposals/{proposal.id}/hire",
            {"hours": hours, "quoted_total_cents": "25000", "action": "hire"},
        )
        assert response.status_code == 422, hours
    assert contracts_of(db_session, proposal) == 0
