"""Email addresses by the email standards, not by ``casefold()``.

- What we store and show (``normalise_email``): the local part as typed (only NFC-normalised)
  and the domain lower-cased through IDNA 2008 (UTS #46), so ``victim@straße.de`` stays at
  ``straße.de``; ``casefold()`` would have turned it into ``strasse.de``, somebody else's
  domain.
- What makes two spellings one account (``lookup_key``): the local part ``lower()``-ed (never
  case-folded: that maps "ß" to "ss" too) and the domain in its ASCII (Punycode) form, the one
  mail is routed by. Strictly a local part is case-sensitive, but no mail system in use treats
  ``Dana@`` and ``dana@`` as two people, and people type both.
- What goes on the wire (``wire_address``): the ASCII form, which every SMTP server accepts.
  Local parts beyond ASCII would need SMTPUTF8 all the way to the recipient, so sign-up
  refuses them with a message rather than accepting an address mail could never reach.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from ..errors import Invalid


def normalise_email(text: str) -> str:
    """The address as stored; Invalid (on the "email" field) when it is not one we can mail."""
    try:
        checked = validate_email(text.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise Invalid(f"Enter a valid email address. {exc}", "email") from exc
    return checked.normalized


def _parsed(address: str):
    # Lenient: stored rows and demo addresses (".test") must get a key too.
    return validate_email(
        address.strip(),
        check_deliverability=False,
        allow_smtputf8=False,
        globally_deliverable=False,
    )


def lookup_key(address: str) -> str:
    """The case-insensitive identity of an address; the unique key of an account."""
    try:
        checked = _parsed(address)
    except EmailNotValidError:
        return address.strip().lower()  # not an address anybody can sign up with again
    return f"{checked.local_part.lower()}@{checked.ascii_domain}"


def wire_address(address: str) -> str:
    """The ASCII form for SMTP envelopes and headers, e.g. victim@xn--strae-oqa.de."""
    try:
        return _parsed(address).ascii_email
    except EmailNotValidError:
        return address.strip()
