"""Showing a message: everything escaped, and http(s) addresses made into links.

markupsafe and one regex rather than a sanitiser library: messages are plain text, so there is
no HTML to clean, only text to escape, which markupsafe (Jinja's own escaping) does; what is
left is finding addresses. bleach's linkify is deprecated upstream, nh3 (ammonia) has no
linkify, and linkify-it-py would add fuzzy links ("example.com", "www.") that we do not want:
only text that starts with http:// or https:// becomes a link, so no other scheme
(javascript:, data:, vbscript:) can ever reach an href. Every piece, the href included, goes
through ``escape``; the href is also parsed to check its scheme and host once more.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from markupsafe import Markup, escape

# From the scheme to the first space, quote, angle bracket or backtick; not glued to a word
# before it ("xhttps://"), case-insensitive like browsers ("HTTPS://").
_URL = re.compile(r"(?<![\w/@.])https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?*_~"
_PAIRS = {")": "(", "]": "[", "}": "{"}
MAX_LINK_TEXT = 80


def _trim(url: str) -> str:
    """Drop what ends a sentence rather than the address: "see https://x.example/a." or a
    closing bracket with no opening one in the address, "(https://x.example/a)"."""
    while url:
        last = url[-1]
        unbalanced = last in _PAIRS and url.count(last) > url.count(_PAIRS[last])
        if not (last in _TRAILING or unbalanced):
            break
        url = url[:-1]
    return url


def _safe_href(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[" and the like
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _anchor(url: str) -> Markup:
    shown = url if len(url) <= MAX_LINK_TEXT else url[: MAX_LINK_TEXT - 1] + "…"
    return Markup('<a href="{}" rel="nofollow noopener" target="_blank">{}</a>').format(url, shown)


def linkify(text: str) -> Markup:
    """The message as safe HTML: escaped text, with each http(s) address an anchor."""
    out: list[Markup] = []
    position = 0
    for match in _URL.finditer(text):
        url = _trim(match.group(0))
        if not _safe_href(url):
            continue
        start, end = match.start(), match.start() + len(url)
        out.append(escape(text[position:start]))
        out.append(_anchor(url))
        position = end
    out.append(escape(text[position:]))
    return Markup("").join(out)
