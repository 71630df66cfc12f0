"""In Chromium: the API's docs page renders the OpenAPI document from vendored files, with
no request leaving the site and no Content-Security-Policy violation (``new_page`` fails on
one)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_api_docs_render_every_operation_from_our_own_files(live_server, new_page):
    page = new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(f"{live_server}/api/v1/docs")
    expect(page.get_by_text("Delegate API").first).to_be_visible()
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/tasks/{task_id}/close")
    ).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    assert hosts == {urlsplit(live_server).netloc}, hosts
