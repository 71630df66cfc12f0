"""Hygiene for text people type: what may be stored, and what may go into one line.

Two rules, stated once:

- ``forbidden_character``: NUL and the other C0/C1 control characters (tab, line feed and
  carriage return excepted) are never accepted in any field. PostgreSQL cannot store NUL, and
  the others only ever arrive from scripts, never from a keyboard.
- ``single_line``: text that ends up in one line, names and titles that go into email headers
  and subjects, has every run of whitespace (line breaks included) collapsed to one space and
  every other control or format character (Unicode category C*) removed, so a display name
  with CR/LF cannot break the email headers that carry it.
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width (non-)joiners are format characters that real names need: Persian and Indic
# scripts use ZWNJ inside words, emoji sequences use ZWJ.
_KEEP_FORMAT = {"\u200c", "\u200d"}
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}
_WHITESPACE = re.compile(r"\s+")


def forbidden_character(text: str, *, line_breaks: bool = True) -> str | None:
    """The first character no field accepts (NUL, other controls but tab and line breaks);
    with ``line_breaks=False`` (an address: query strings, path parts) those are refused too."""
    allowed = _ALLOWED_CONTROLS if line_breaks else frozenset()
    for char in text:
        if unicodedata.category(char) == "Cc" and char not in allowed:
            return char
        if unicodedata.category(char) == "Cs":  # a lone surrogate cannot even be encoded
            return char
    return None


def describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def single_line(text: str) -> str:
    """One clean line: whitespace runs become one space, control and format characters go."""
    collapsed = _WHITESPACE.sub(" ", text)
    kept = (
        char
        for char in collapsed
        if not unicodedata.category(char).startswith("C") or char in _KEEP_FORMAT
    )
    return "".join(kept).strip()
