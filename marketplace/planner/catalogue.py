"""The catalogue of admin work owners list in the audit: what it is, the skills it takes, and
whether it needs the owner's own judgement (then it is a poor thing to hand off)."""

from __future__ import annotations

from dataclasses import dataclass

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
