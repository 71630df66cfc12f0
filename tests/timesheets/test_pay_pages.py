"""A new card saved in Settings while the failed week's Stripe page is open: the page is
expired and the new card charged at once, not a day later; the old page takes no money."""

from __future__ import annotations

from marketplace.payments.models import EntryKind
from marketplace.timesheets.models import TimesheetStatus
from tests.payments.helpers import ledger
from tests.timesheets.helpers import sheet_of
from tests.timesheets.test_weekly_billing import (
    CHARGE_FAILS,
    VISA,
    WEEK,
    failed_week,
    pay_page,
    save_card,
)


def test_a_card_saved_while_the_pay_page_is_open_closes_it_and_pays_the_week_at_once(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    _, contract_id, sheet = failed_week(
        app, client, other_client, db_session, stripe_relay, time_machine, CHARGE_FAILS
    )
    url = pay_page(client, sheet)
    checkout_id = sheet_of(db_session, contract_id, WEEK).checkout_session_id
    assert checkout_id is not None

    save_card(client, stripe_relay, VISA)  # in Settings, no clock moved, no periodic run
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.status == TimesheetStatus.PAID
    assert stripe_relay.client.v1.checkout.sessions.retrieve(checkout_id).status == "expired"
    page = client.get(f"/timesheets/{sheet.id}").get_data(as_text=True)
    assert "Pay $162.50 now on Stripe" not in page

    status, _, _ = stripe_relay.pay(url, card=VISA)  # the old tab takes no money
    assert status != 303
    stripe_relay.deliver(client)
    kinds = [kind for kind, _ in ledger(db_session, contract_id)]
    assert kinds == [EntryKind.CHARGE, EntryKind.FEE, EntryKind.TRANSFER]


def test_a_card_saved_by_paying_the_page_itself_charges_nothing_more(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    _, contract_id, sheet = failed_week(
        app, client, other_client, db_session, stripe_relay, time_machine, CHARGE_FAILS
    )
    status, _, _ = stripe_relay.pay(pay_page(client, sheet), card=VISA)
    assert status == 303
    stripe_relay.deliver(client)
    assert sheet_of(db_session, contract_id, WEEK).status == TimesheetStatus.PAID
    assert [k for k, _ in ledger(db_session, contract_id)].count(EntryKind.CHARGE) == 1
