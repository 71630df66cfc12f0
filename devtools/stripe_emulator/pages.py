"""Minimal server-rendered HTML for the hosted pages (no JS needed, so plain
HTTP clients and Playwright can both drive them)."""

from __future__ import annotations

from html import escape

from aiohttp import web

BANNER = "TEST MODE — Delegate Stripe emulator"

_CSS = """
body{font-family:system-ui,sans-serif;background:#f6f8fa;margin:0;color:#1a1f36}
.banner{background:#ffde92;color:#5c3c00;text-align:center;padding:.6em;font-weight:600}
main{max-width:440px;margin:2em auto;background:#fff;padding:2em;border-radius:8px;
box-shadow:0 2px 8px rgba(0,0,0,.08)}
label{display:block;margin:.8em 0 .2em;font-size:.9em}
input{width:100%;box-sizing:border-box;padding:.6em;font-size:1em;border:1px solid #ccd;
border-radius:4px}
.row{display:flex;gap:1em}.row>div{flex:1}
button{margin-top:1.4em;width:100%;padding:.8em;font-size:1.05em;background:#635bff;
color:#fff;border:0;border-radius:4px;cursor:pointer}
.error{color:#df1b41;margin-top:1em}.muted{color:#697386;font-size:.85em}
table{width:100%;border-collapse:collapse}td{padding:.3em 0}td.r{text-align:right}
"""


def money(amount: int, currency: str) -> str:
    # Zero-decimal currencies are not modelled; Delegate only uses usd.
    return f"{amount / 100:,.2f} {currency.upper()}"


def render(title: str, body: str, status: int = 200) -> web.Response:
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)} · {escape(BANNER)}</title><style>{_CSS}</style></head>"
        f"<body><div class=banner id=test-mode-banner>{escape(BANNER)}</div>"
        f"<main><h1>{escape(title)}</h1>{body}"
        "<p class=muted>No real money moves: this page is served by a local emulator of "
        "Stripe for development and tests.</p></main></body></html>"
    )
    return web.Response(text=html, status=status, content_type="text/html")


def link(href: str | None, text: str, id: str) -> str:
    if not href:
        return ""
    return f'<p><a id="{id}" href="{escape(href, quote=True)}">{escape(text)}</a></p>'
