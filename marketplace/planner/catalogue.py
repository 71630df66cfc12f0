"""The catalogue of admin work owners list in the audit: what it is, the skills it takes, and
whether it needs the owner's own judgement (then it is a poor thing to hand off)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from ..tasks.models import Category


@dataclass(frozen=True)
class CatalogueItem:
    key: str
    label: str
    category: Category
    skills: tuple[str, ...]
    text: str  # what the matcher reads, in the words a task would use
    judgement: str | None = None  # why it needs the owner, when it does

    @property
    def delegable(self) -> bool:
        return self.judgement is None


C = Category
CATALOGUE: tuple[CatalogueItem, ...] = (
    CatalogueItem(
        "inbox", "Inbox triage and routine replies", C.INBOX_CALENDAR,
        ("inbox management", "email management", "Gmail"),
        "Triage my inbox every morning, draft replies to routine questions and flag what "
        "needs me.",
    ),
    CatalogueItem(
        "calendar", "Calendar and scheduling", C.INBOX_CALENDAR,
        ("calendar management", "scheduling", "Google Calendar"),
        "Schedule meetings across time zones, confirm and reschedule appointments, keep my "
        "calendar free of double bookings.",
    ),
    CatalogueItem(
        "bookkeeping", "Bookkeeping and reconciliation", C.BOOKKEEPING,
        ("bookkeeping", "bank reconciliation", "QuickBooks"),
        "Reconcile bank and card accounts, categorise transactions and send a monthly profit "
        "and loss.",
    ),
    CatalogueItem(
        "invoicing", "Invoicing and chasing payments", C.BOOKKEEPING,
        ("invoicing", "accounts receivable", "bookkeeping"),
        "Send invoices, follow up on late payments politely and record payments received.",
    ),
    CatalogueItem(
        "customer_email", "Customer emails and support tickets", C.CUSTOMER_SUPPORT,
        ("customer service", "email support", "Zendesk"),
        "Answer customer emails and support tickets, process returns and escalate what needs "
        "the owner.",
    ),
    CatalogueItem(
        "social", "Social media posts", C.SOCIAL_MEDIA,
        ("social media management", "Instagram", "content scheduling"),
        "Plan, write and schedule social media posts, reply to comments and report what "
        "worked.",
    ),
    CatalogueItem(
        "data_entry", "Data entry and spreadsheets", C.DATA_ENTRY,
        ("data entry", "Excel", "Google Sheets"),
        "Enter data from forms, receipts and emails into spreadsheets and the CRM, and clean "
        "up duplicates.",
    ),
    CatalogueItem(
        "travel", "Travel booking", C.TRAVEL,
        ("travel booking", "itinerary planning"),
        "Book flights, hotels and ground transport, and keep a day-by-day itinerary.",
    ),
    CatalogueItem(
        "research", "Research and lead lists", C.RESEARCH,
        ("market research", "lead generation", "web research"),
        "Research suppliers, competitors and prospects and build tidy lead lists.",
    ),
    CatalogueItem(
        "orders", "Order and shipping follow-ups", C.ECOMMERCE,
        ("order management", "Shopify", "customer service"),
        "Follow up on orders and shipments, update tracking and answer where-is-my-order "
        "emails.",
    ),
    CatalogueItem(
        "listings", "Product listings", C.ECOMMERCE,
        ("product listings", "Shopify", "copywriting"),
        "Write and update product listings, photos and prices in the online shop.",
    ),
    CatalogueItem(
        "writing", "Blog posts and newsletters", C.WRITING,
        ("copywriting", "blog writing", "newsletters"),
        "Draft blog posts and the monthly newsletter from my notes, in my voice.",
    ),
    CatalogueItem(
        "sales_calls", "Sales calls", C.OTHER,
        ("sales",),
        "Call prospects, pitch and close deals.",
        judgement="Sales calls sell you: buyers want the owner, so keep them.",
    ),
    CatalogueItem(
        "client_relationships", "Key client relationships", C.OTHER,
        ("account management",),
        "Look after the most important clients and their renewals.",
        judgement="Your best clients are your relationships: keep them, delegate the admin "
        "around them.",
    ),
)  # fmt: skip

BY_KEY = {item.key: item for item in CATALOGUE}
# A typed-in item takes the judgement flag from nothing: the owner says what it is.
CUSTOM_PREFIX = "custom:"


def custom_key(plan_item_id: int) -> str:
    return f"{CUSTOM_PREFIX}{plan_item_id}"


# -- the nearest catalogue item to words typed in ----------------------------------------------
# A typed-in item waits for its own pricing job; until then its page shows the market of the
# catalogue item nearest to it. Nearness is the cosine of TF-IDF weights (smoothed IDF, as the
# matcher's scikit-learn vectoriser computes it) over the catalogue's words, done here in plain
# Python: a web request never loads the matcher. Below NEAR_ENOUGH nothing is near.
NEAR_ENOUGH = 0.25
TEXT_WEIGHT = 0.5
_WORD = re.compile(r"[a-z]+")
_STOP = frozenset((
    "a", "about", "all", "an", "and", "any", "are", "as", "at", "be", "by", "each", "every",
    "for", "from", "i", "in", "into", "is", "it", "me", "my", "of", "on", "or", "our", "per",
    "that", "the", "their", "them", "this", "to", "up", "we", "what", "with", "you", "your",
))  # fmt: skip
_SUFFIXES = ("iations", "iation", "ations", "ation", "ings", "ing", "ies", "es", "ed", "s", "e")


def _stem(word: str) -> str:
    """A crude English stem, enough for "invoices", "invoicing" and "invoice" to meet."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def terms(*texts: str) -> set[str]:
    words = (w for text in texts for w in _WORD.findall(text.casefold()))
    return {_stem(w) for w in words if w not in _STOP and len(w) > 1}


def _category_term(category: Category) -> str | None:
    # "Other" says nothing about the work, and would pull every "other" item to sales calls.
    return None if category == Category.OTHER else f"category:{category.value}"


def _item_terms(label: str, skills: tuple[str, ...] | list[str], category: Category) -> set[str]:
    found = terms(label, *skills)
    category_term = _category_term(category)
    return found | {category_term} if category_term else found


@cache
def _catalogue_vectors() -> tuple[dict[str, float], list[tuple[CatalogueItem, dict[str, float]]]]:
    named = [_item_terms(c.label, c.skills, c.category) for c in CATALOGUE]
    described = [terms(c.text) for c in CATALOGUE]
    df: dict[str, int] = {}
    for found in (a | b for a, b in zip(named, described, strict=True)):
        for term in found:
            df[term] = df.get(term, 0) + 1
    idf = {t: math.log((1 + len(CATALOGUE)) / (1 + n)) + 1 for t, n in df.items()}
    vectors = []
    for c, name, text in zip(CATALOGUE, named, described, strict=True):
        # What an item is called and the skills it takes say more than its description's
        # words, as a task's title does in the matcher.
        weights = {t: TEXT_WEIGHT * idf[t] for t in text} | {t: idf[t] for t in name}
        vectors.append((c, _unit(weights)))
    return idf, vectors


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {t: v / norm for t, v in vector.items()}


def nearest(
    label: str, skills: list[str], category: Category
) -> tuple[CatalogueItem, float] | None:
    """The catalogue item most like this typed-in work, and how alike (cosine, 0-1); None
    when none reaches NEAR_ENOUGH. Words the catalogue never uses cannot make it nearer."""
    idf, vectors = _catalogue_vectors()
    query = _unit({t: idf[t] for t in _item_terms(label, skills, category) if t in idf})
    if not query:
        return None
    scored = [(sum(w * doc.get(t, 0.0) for t, w in query.items()), c) for c, doc in vectors]
    best, item = max(scored, key=lambda pair: pair[0])
    return (item, round(best, 3)) if best >= NEAR_ENOUGH else None
