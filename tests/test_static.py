"""What a browser fetches besides the page: the favicon (both forms) and the confirm script."""

from __future__ import annotations

import re


def test_favicon_ico_is_served_where_browsers_look_for_it(client):
    response = client.get("/favicon.ico", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's signature
    assert response.headers["Cache-Control"] == "public, max-age=86400"


def test_a_browser_revalidating_the_favicon_gets_304_without_the_body(client):
    etag = client.get("/favicon.ico", buffered=True).headers["ETag"]
    again = client.get("/favicon.ico", headers={"If-None-Match": etag}, buffered=True)
    assert again.status_code == 304
    assert again.data == b""


def test_every_page_links_an_svg_icon_and_the_confirm_script_that_exist(client):
    page = client.get("/login").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+\.svg)" type="image/svg\+xml">', page)
    assert icon, "no SVG icon linked"
    svg = client.get(icon.group(1), buffered=True)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    script = re.search(r'<script src="([^"]+/confirm\.js)" defer>', page)
    assert script and client.get(script.group(1), buffered=True).status_code == 200
