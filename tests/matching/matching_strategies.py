"""Hypothesis strategies shared by the matcher tests."""

import datetime as dt
import re

from hypothesis import strategies as st
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from matching import Assistant, Task
from matching.text import words
from matching.vocabulary import CONCEPTS

REFERENCE = dt.date(2025, 3, 3)
ZONES = [
    None,
    "UTC",
    "America/New_York",
    "Europe/London",
    "Asia/Kolkata",
    "America/St_Johns",
    "Australia/Sydney",
]
WORDS = [
    "bookkeeping",
    "quickbooks",
    "invoices",
    "inbox",
    "email",
    "calendar",
    "scheduling",
    "social",
    "media",
    "canva",
    "design",
    "travel",
    "research",
    "data",
    "entry",
    "excel",
    "customer",
    "support",
    "writing",
    "payroll",
]
SKILLS = [
    "QuickBooks",
    "bookkeeping",
    "Inbox",
    "email management",
    "Canva",
    "Excel",
    "travel planning",
    "Zendesk",
    "data entry",
    "Obsidian",
]
HHMM = st.sampled_from(["00:00", "06:30", "08:00", "09:00", "13:30", "17:00", "22:00", None])


def text(max_words=8):
    return st.lists(st.sampled_from(WORDS), max_size=max_words).map(" ".join)


def opt(s):
    return st.one_of(st.none(), s)


def assistants(ids):
    return st.builds(
        Assistant,
        id=ids,
        headline=text(4),
        bio=text(10),
        skills=st.lists(st.sampled_from(SKILLS), max_size=4).map(tuple),
        hourly_rate_cents=opt(st.integers(500, 8000)),
        currency=opt(st.sampled_from(["USD", "EUR"])),
        timezone=st.sampled_from(ZONES),
        work_start=HHMM,
        work_end=HHMM,
        hours_per_week=opt(st.integers(0, 60)),
        rating=opt(st.floats(0, 5)),
        review_count=opt(st.integers(0, 200)),
    )


def tasks(ids):
    return st.builds(
        Task,
        id=ids,
        title=text(4),
        description=text(10),
        skills=st.lists(st.sampled_from(SKILLS), max_size=3).map(tuple),
        max_hourly_rate_cents=opt(st.integers(500, 8000)),
        currency=opt(st.sampled_from(["USD", "EUR"])),
        timezone=st.sampled_from(ZONES),
        overlap_hours=opt(st.sampled_from([0, 1, 2.5, 4, 8])),
        hours_per_week=opt(st.integers(1, 40)),
    )


def corpus(max_size=12):
    a = st.lists(assistants(st.integers(0, 10_000)), max_size=max_size, unique_by=lambda x: x.id)
    t = st.lists(
        tasks(st.text("abcdef", min_size=1, max_size=4)), max_size=6, unique_by=lambda x: x.id
    )
    return st.tuples(a, t)


# Text as people write it: vocabulary skills and tools amid stop words, marketplace filler,
# contractions, numbers with and without units, single letters and punctuation.
VOCABULARY = sorted(
    {name for concept, (synonyms, _rel) in CONCEPTS.items() for name in (concept, *synonyms)}
)
FILLER = [
    "need",
    "needs",
    "needed",
    "help",
    "looking",
    "someone",
    "task",
    "tasks",
    "work",
    "working",
    "hours",
    "hour",
    "hrs",
    "week",
    "weekly",
    "month",
    "monthly",
    "asap",
    "assistant",
    "virtual",
    "business",
    "I'll",
    "don't",
    "we're",
    "I've",
    "it's",
]
NUMBERS = ["10", "2", "40", "10am", "5pm", "2nd", "20h", "30mins", "9-5", "24/7", "$300"]
# every 7th stop word, so filler and numbers are drawn about as often
NOISE = [*sorted(ENGLISH_STOP_WORDS)[::7], *FILLER, *NUMBERS, "a", "b", "x", "I", ",", ";"]
# what no explanation may offer as a word in common, and a number with or without its unit
NOT_MEANINGFUL = {w for f in FILLER for w in words(f)} | set(ENGLISH_STOP_WORDS)
NUMBER = re.compile(r"\d+(am|pm|st|nd|rd|th|h|hrs?|mins?)?")


def prose(max_words: int):
    word = st.one_of(st.sampled_from(VOCABULARY), st.sampled_from(NOISE))
    return st.lists(word, max_size=max_words).map(" ".join)


def spelled_skills(names: list[str]):
    """Up to five of `names`, each as typed, in capitals or in title case."""
    spelled = st.sampled_from(names).flatmap(lambda s: st.sampled_from([s, s.upper(), s.title()]))
    return st.lists(spelled, max_size=5).map(tuple)


def noisy_people(skills):
    return st.lists(
        st.builds(
            Assistant,
            id=st.integers(0, 10_000),
            headline=prose(6),
            bio=prose(30),
            skills=skills,
            timezone=st.sampled_from(ZONES),
        ),
        min_size=1,
        max_size=12,
        unique_by=lambda a: a.id,
    )


def noisy_jobs(skills):
    return st.lists(
        st.builds(
            Task,
            id=st.text("abc", min_size=1, max_size=3),
            title=prose(6),
            description=prose(30),
            skills=skills,
            timezone=st.sampled_from(ZONES),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda t: t.id,
    )
