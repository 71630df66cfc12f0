"""Hypothesis strategies shared by the matcher tests."""

import datetime as dt

from hypothesis import strategies as st

from matching import Assistant, Task

REFERENCE = dt.date(2025, 3, 3)
ZONES = [None, "UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "America/St_Johns",
         "Australia/Sydney"]
WORDS = ["bookkeeping", "quickbooks", "invoices", "inbox", "email", "calendar", "scheduling",
         "social", "media", "canva", "design", "travel", "research", "data", "entry", "excel",
         "customer", "support", "writing", "payroll"]
SKILLS = ["QuickBooks", "bookkeeping", "Inbox", "email management", "Canva", "Excel",
          "travel planning", "Zendesk", "data entry", "Obsidian"]
HHMM = st.sampled_from(["00:00", "06:30", "08:00", "09:00", "13:30", "17:00", "22:00", None])


def text(max_words=8):
    return st.lists(st.sampled_from(WORDS), max_size=max_words).map(" ".join)


def opt(s):
    return st.one_of(st.none(), s)


def assistants(ids):
    return st.builds(
        Assistant, id=ids, headline=text(4), bio=text(10),
        skills=st.lists(st.sampled_from(SKILLS), max_size=4).map(tuple),
        hourly_rate_cents=opt(st.integers(500, 8000)),
        currency=opt(st.sampled_from(["USD", "EUR"])),
        timezone=st.sampled_from(ZONES), work_start=HHMM, work_end=HHMM,
        hours_per_week=opt(st.integers(0, 60)), rating=opt(st.floats(0, 5)),
        review_count=opt(st.integers(0, 200)),
    )


def tasks(ids):
    return st.builds(
        Task, id=ids, title=text(4), description=text(10),
        skills=st.lists(st.sampled_from(SKILLS), max_size=3).map(tuple),
        max_hourly_rate_cents=opt(st.integers(500, 8000)),
        currency=opt(st.sampled_from(["USD", "EUR"])), timezone=st.sampled_from(ZONES),
        overlap_hours=opt(st.sampled_from([0, 1, 2.5, 4, 8])),
        hours_per_week=opt(st.integers(1, 40)),
    )


def corpus(max_size=12):
    a = st.lists(assistants(st.integers(0, 10_000)), max_size=max_size,
                 unique_by=lambda x: x.id)
    t = st.lists(tasks(st.text("abcdef", min_size=1, max_size=4)), max_size=6,
                 unique_by=lambda x: x.id)
    return st.tuples(a, t)
