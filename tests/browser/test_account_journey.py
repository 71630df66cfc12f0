"""Forgetting a password and choosing a new one, in the browser, from the log-in page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.steps import emailed_link, log_in, sign_up


def test_forgot_password_from_the_log_in_page_to_a_new_password(live_server, new_page):
    page = new_page()
    sign_up(page, live_server, role="owner", name="Dana Baker", email="dana@bakery.example")
    page.click("nav >> text=Settings")
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    page.click("button:has-text('Log out')")

    page.goto(f"{live_server}/login")
    page.click("text=Forgot password?")
    page.fill("#email", "dana@bakery.example")
    page.click("button:has-text('Email me a link')")
    expect(page.get_by_text("If an account exists for dana@bakery.example")).to_be_visible()

    page.goto(emailed_link(live_server, "dana@bakery.example", "/password/reset/"))
    page.fill("#password", "violet tractor umbrella")
    page.click("button:has-text('Save my new password')")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("Log in with your new password")).to_be_visible()

    log_in(page, live_server, "dana@bakery.example", "violet tractor umbrella")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
