"""Which new passwords we refuse, as NIST SP 800-63B (5.1.1.2) asks: length, and a check
against values known to be commonly used, expected or compromised, not composition rules.

The check is zxcvbn's (Dropbox's estimator, MIT): it ships ranked lists of the 30,000 most
common passwords from leaked sets plus common names, words and keyboard patterns, and finds
repeats ("aaaaaaaaaa"), sequences ("1234abcd") and the person's own email address or name
inside a password. A password whose estimated guess count is under a million (zxcvbn score
below 2) is refused: that is within reach of an attacker who tries common passwords first.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 200
MIN_SCORE = 2
# zxcvbn's work grows with length; beyond this a password is long enough to judge by its start.
_JUDGED_LENGTH = 72
# Words anybody would guess for this site.
_SITE_WORDS = ["delegate", "marketplace", "assistant", "owner"]
_ADVICE = "such as a few unrelated words."


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password is refused, in words for the form; None when it is fine."""
    if len(password) < MIN_LENGTH or len(password) > MAX_LENGTH:
        return f"Use {MIN_LENGTH} to {MAX_LENGTH} characters."
    personal = _personal_words(email, name)
    folded = password.casefold()
    if any(folded == word.casefold() for word in personal if word):
        return "Do not use your email address or your name as your password."
    result = zxcvbn(password[:_JUDGED_LENGTH], user_inputs=personal + _SITE_WORDS)
    if result["score"] >= MIN_SCORE:
        return None
    if any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"]):
        return (
            "This password is too close to your name or email address. "
            "Choose one that has nothing to do with them."
        )
    warning = result["feedback"]["warning"] or "This password is too easy to guess."
    return f"{warning.rstrip('.')}. Choose one that is harder to guess, {_ADVICE}"


def _personal_words(email: str, name: str) -> list[str]:
    local, _, domain = email.partition("@")
    words = [email, local, domain.split(".")[0] if domain else "", name, "".join(name.split())]
    words += name.split()
    return [w for w in words if len(w) >= 3]
