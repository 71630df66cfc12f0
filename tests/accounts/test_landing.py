"""Where a log-in lands when another page asked for it (?next=)."""

import pytest

from tests.factories import PASSWORD, make_owner


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/jobs?q=books&page=2", "/jobs?q=books&page=2"),  # a page: as asked, query and all
        ("/contracts/5/approve", "/contracts/5"),  # a button: the page it belongs to
        ("/contracts/5/checkout", "/contracts/5"),
        ("/tasks/7/close", "/tasks/7"),
        ("/tasks/7/invite/3", "/tasks/7"),
        ("/proposals/9/withdraw", "/proposals"),  # no page of its own: the list
        ("/payouts/connect", "/payouts"),
        ("/logout", "/dashboard"),  # nothing above it: home
        ("/stripe/webhook", "/dashboard"),
        ("/no/such/page", "/dashboard"),
        ("https://evil.example/steal", "/dashboard"),
        ("//evil.example/steal", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
    ],
)
def test_next_lands_on_a_page_the_browser_can_open(client, db_session, next_url, lands_on):
    owner = make_owner(db_session)
    response = client.post(
        "/login", {"email": owner.email, "password": PASSWORD}, query_string={"next": next_url}
    )
    assert response.status_code == 302
    assert response.location == lands_on


def test_a_logged_out_click_on_a_button_comes_back_to_its_page(client, db_session):
    """What the browser test shows, through the HTTP client: log-in required for a POST."""
    owner = make_owner(db_session)
    token = client.csrf_token()
    asked = client.post("/tasks/7/close", {"csrf_token": token})
    assert asked.status_code == 302 and "/login?next=" in asked.location
    response = client.post(asked.location, {"email": owner.email, "password": PASSWORD})
    assert response.location == "/tasks/7"
