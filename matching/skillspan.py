"""Labelled set from real job postings: a posting's opening against the other postings' rest.

Data: the "tech" postings of SkillSpan (Mike Zhang, Kristian Nørgaard Jensen, Sif Dam Sonniks,
Barbara Plank, "SkillSpan: Hard and Soft Skill Extraction from English Job Postings", NAACL 2022),
github.com/kris927b/SkillSpan, MIT licence (LICENSE and ATTRIBUTION.md beside the file, made by
`devtools/derive_skillspan.py`). The text is the postings' own, written by the employers who
posted them on a developer job board; the labels are that board's own skill tags.

An owner posts a title and the start of a description; an assistant's profile says what they
do. So a query is a posting's title and the first half of its description's words, and the pool
holds every posting's second half (the part that usually lists what the hire must know) as a
profile - no title, no tags. Ground truth comes from the tags, which neither side's text holds:
the posting's own second half is grade 2, another posting's is grade 1 when the two share at
least `SHARED_TAGS` tags. A posting is held out when the SHA-256 of its id is odd, so the split
is fixed by the data, not by the order it is read in; the matcher is fitted on the tune queries
only.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

from .models import Assistant, Task
from .onet import LabelledSet

DEFAULT_DIR = Path(__file__).parent / "data" / "skillspan-tech"
FILE = "postings.jsonl.gz"
SHARED_TAGS = 2
CITATION = (
    "SkillSpan tech postings (Zhang et al., NAACL 2022), github.com/kris927b/SkillSpan, MIT licence"
)


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get("SKILLSPAN_DIR") or DEFAULT_DIR)


def postings(directory: str | os.PathLike | None = None) -> list[dict]:
    path = data_dir(directory) / FILE
    if not path.exists():
        raise FileNotFoundError(f"SkillSpan postings not found at {path} (set SKILLSPAN_DIR)")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def held_out(posting_id: str) -> bool:
    return int(hashlib.sha256(posting_id.encode()).hexdigest(), 16) % 2 == 1


def halves(description: str) -> tuple[str, str]:
    words = description.split()
    mid = len(words) // 2
    return " ".join(words[:mid]), " ".join(words[mid:])


def load(directory: str | os.PathLike | None = None) -> LabelledSet:
    return labelled(postings(directory))


def labelled(rows: list[dict]) -> LabelledSet:
    """Queries, profiles and grades from derived postings (any order gives the same split)."""
    tags = {r["id"]: set(r["tags"]) for r in rows}
    profiles: list[Assistant] = []
    tune: list[Task] = []
    held: list[Task] = []
    grades: dict[str, dict[str, int]] = {}
    for r in rows:
        opening, rest = halves(r["description"])
        profiles.append(Assistant(id=r["id"], bio=rest))
        key = f"post-{r['id']}"
        (held if held_out(r["id"]) else tune).append(
            Task(id=key, title=r["title"], description=opening)
        )
        related = {
            other: 1
            for other, theirs in tags.items()
            if other != r["id"] and len(theirs & tags[r["id"]]) >= SHARED_TAGS
        }
        grades[key] = {**related, r["id"]: 2}
    return LabelledSet(profiles, tune, held, grades)
