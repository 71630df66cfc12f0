"""The OpenAPI document and its docs page, as an integrator finds them."""

from __future__ import annotations

import re

from marketplace.api import openapi_document


def test_the_document_is_openapi_3_1_and_names_every_part_of_the_api(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    # The fuzz tests read the same document without a request.
    assert document == openapi_document(app)
    paths = set(document["paths"])
    for path in (
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/close",
        "/api/v1/jobs",
        "/api/v1/me/profile",
        "/api/v1/tasks/{task_id}/recommendations",
        "/api/v1/me/jobs",
        "/api/v1/proposals",
        "/api/v1/contracts/{contract_id}",
        "/api/v1/contracts/{contract_id}/checkout",
        "/api/v1/contracts/{contract_id}/request-changes",
        "/api/v1/contracts/{contract_id}/pause",
        "/api/v1/contracts/{contract_id}/timesheets",
        "/api/v1/timesheets/{timesheet_id}/review",
        "/api/v1/time-entries/{entry_id}",
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation_id}/messages",
    ):
        assert path in paths
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    error = document["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(error) == ["application/problem+json"]


def test_the_docs_page_loads_only_our_own_files_under_the_sites_csp(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert "<script>" not in html  # no inline script: the CSP would block it
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(url.startswith("/") for url in assets), assets
    for url in assets:
        assert client.get(url, buffered=True).status_code == 200, url
