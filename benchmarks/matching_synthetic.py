"""Synthetic assistants and tasks with a VA-market vocabulary, generated fast and reproducibly.

Text is assembled from role, duty and tool phrases (tools are real product names from the
matcher's vocabulary plus generic office words), so term frequencies look like a marketplace's:
a few very common words ("email", "clients") and a long tail of tools and specialities.
"""

from __future__ import annotations

import numpy as np

from matching import Assistant, Task
from matching.vocabulary import CONCEPTS

ROLES = [
    "virtual assistant",
    "executive assistant",
    "bookkeeper",
    "social media manager",
    "customer support specialist",
    "graphic designer",
    "content writer",
    "copy editor",
    "data entry specialist",
    "project coordinator",
    "travel coordinator",
    "event planner",
    "ecommerce assistant",
    "real estate assistant",
    "paralegal",
    "medical billing specialist",
    "recruiting coordinator",
    "research assistant",
    "email marketing specialist",
    "podcast editor",
    "video editor",
    "web designer",
    "sales assistant",
    "transcriptionist",
]
DUTIES = [
    "manage the inbox and reply to clients",
    "schedule meetings across time zones",
    "reconcile bank accounts every month",
    "prepare invoices and chase late payments",
    "post daily on instagram and linkedin",
    "design social graphics in canva",
    "write weekly blog posts and newsletters",
    "proofread proposals and reports",
    "enter orders into the store and track shipments",
    "book flights hotels and itineraries",
    "organise virtual and in-person events",
    "answer customer tickets within hours",
    "build monthly financial reports",
    "research competitors and summarise findings",
    "update the crm and clean contact lists",
    "coordinate projects and chase deadlines",
    "transcribe interviews and meeting minutes",
    "edit short videos for social media",
    "run payroll for a small team",
    "file documents and keep records tidy",
    "screen candidates and schedule interviews",
    "draft contracts and legal letters",
    "manage product listings and inventory",
    "set up automations between tools",
]
FILLER = [
    "small business",
    "startup founders",
    "agencies",
    "coaches",
    "online shops",
    "clients",
    "fast",
    "reliable",
    "detail oriented",
    "years of experience",
    "remote",
    "weekly",
    "confidential",
    "organised",
    "friendly",
    "english",
    "spanish",
    "growing team",
]
ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/St_Johns",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Warsaw",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Africa/Johannesburg",
    "Asia/Kolkata",
    "Asia/Karachi",
    "Asia/Dubai",
    "Asia/Manila",
    "Asia/Jakarta",
    "Asia/Singapore",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Asia/Kathmandu",
]
STARTS = ["06:00", "07:00", "08:00", "08:30", "09:00", "10:00", "13:00", "14:00", "20:00", "22:00"]
SKILLS = sorted({s for c, (syn, _r) in CONCEPTS.items() for s in (c, *syn)})


def _pick(rng, pool, n, size):
    return rng.integers(0, len(pool), size=(size, n))


def assistants(n: int, seed: int = 0) -> list[Assistant]:
    rng = np.random.default_rng(seed)
    role = rng.integers(0, len(ROLES), n)
    duties = _pick(rng, DUTIES, 3, n)
    fill = _pick(rng, FILLER, 4, n)
    skills = _pick(rng, SKILLS, 5, n)
    n_sk = rng.integers(2, 6, n)
    rate = np.round(np.exp(rng.normal(np.log(2200), 0.45, n))).astype(int)
    zone = rng.integers(0, len(ZONES), n)
    start = rng.integers(0, len(STARTS), n)
    length = rng.choice([4, 6, 8, 8, 8, 10], n)
    hours = rng.choice([10, 15, 20, 25, 30, 40], n)
    reviews = rng.geometric(0.08, n) - 1
    rating = np.clip(rng.normal(4.5, 0.4, n), 1, 5).round(1)
    out = []
    for i in range(n):
        s = STARTS[start[i]]
        h = (int(s[:2]) + int(length[i])) % 24
        out.append(
            Assistant(
                id=i,
                headline=f"{ROLES[role[i]]} for {FILLER[fill[i, 0]]}",
                bio=". ".join(DUTIES[d] for d in duties[i])
                + ". "
                + " ".join(FILLER[f] for f in fill[i]),
                skills=tuple(SKILLS[j] for j in skills[i, : n_sk[i]]),
                hourly_rate_cents=int(rate[i]),
                currency="USD",
                timezone=ZONES[zone[i]],
                work_start=s,
                work_end=f"{h:02d}:{s[3:]}",
                hours_per_week=float(hours[i]),
                rating=float(rating[i]) if reviews[i] else None,
                review_count=int(reviews[i]),
            )
        )
    return out


def tasks(n: int, seed: int = 1) -> list[Task]:
    rng = np.random.default_rng(seed)
    duties = _pick(rng, DUTIES, 2, n)
    fill = _pick(rng, FILLER, 2, n)
    skills = _pick(rng, SKILLS, 3, n)
    n_sk = rng.integers(0, 4, n)
    cap = rng.choice([None, 2500, 3500, 5000], n)
    zone = rng.integers(0, len(ZONES), n)
    overlap = rng.choice([0, 0, 1, 2, 3], n)
    need = rng.choice([None, 5, 10, 20], n)
    out = []
    for i in range(n):
        out.append(
            Task(
                id=f"t{i}",
                title=f"Need help to {DUTIES[duties[i, 0]]}",
                description=(
                    f"We are {FILLER[fill[i, 0]]}: {DUTIES[duties[i, 1]]}. {FILLER[fill[i, 1]]}"
                ),
                skills=tuple(SKILLS[j] for j in skills[i, : n_sk[i]]),
                max_hourly_rate_cents=None if cap[i] is None else int(cap[i]),
                currency="USD",
                timezone=ZONES[zone[i]],
                overlap_hours=float(overlap[i]),
                hours_per_week=None if need[i] is None else float(need[i]),
            )
        )
    return out
