"""Labelled set from O*NET: task statements (owner requests) against occupation profiles.

Data: O*NET 29.3 Database (May 2025), U.S. Department of Labor, Employment and Training
Administration (USDOL/ETA), onetcenter.org/database.html, used under the Creative Commons
Attribution 4.0 International licence (onetcenter.org/license_db.html). O*NET(R) is a trademark
of USDOL/ETA. The files are read from a directory given at run time and never copied here.

Ground truth is O*NET's own: a statement's occupation is grade 2, that occupation's "Primary"
(short or long) related occupations are grade 1. A profile is the occupation's title, reported
job titles, description and technology skills (software examples and their categories) - never
its task statements. Even Task IDs are the tune split, odd ones are held out.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .models import Assistant, Task

VA_POOL = tuple(
    [
        "11-3012.00",
        "13-1071.00",
        "13-1121.00",
        "13-1161.00",
        "13-1161.01",
        "13-2011.00",
        "13-2082.00",
        "15-1232.00",
        "15-1254.00",
        "15-1255.00",
        "23-2011.00",
        "27-1024.00",
        "27-3031.00",
        "27-3041.00",
        "27-3042.00",
        "27-3043.00",
        "27-3091.00",
        "27-4032.00",
        "29-2072.00",
        "31-9094.00",
        "41-3041.00",
        "41-9041.00",
        "43-1011.00",
        "43-3011.00",
        "43-3021.00",
        "43-3031.00",
        "43-3051.00",
        "43-3061.00",
        "43-4021.00",
        "43-4051.00",
        "43-4071.00",
        "43-4151.00",
        "43-4161.00",
        "43-4171.00",
        "43-4181.00",
        "43-6011.00",
        "43-6012.00",
        "43-6013.00",
        "43-6014.00",
        "43-9021.00",
        "43-9022.00",
        "43-9031.00",
        "43-9061.00",
        "43-9081.00",
        "43-9111.00",
    ]
)
DEFAULT_DIR = Path("..") / "shared" / "data" / "onet-29.3"
CITATION = (
    "O*NET 29.3 Database, U.S. Department of Labor, Employment and Training Administration "
    "(USDOL/ETA), licensed under CC BY 4.0"
)


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get("ONET_DIR") or DEFAULT_DIR)


def _rows(path: Path):
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        yield from reader


@dataclass
class LabelledSet:
    profiles: list[Assistant]
    tune: list[Task]
    held_out: list[Task]
    grades: dict[str, dict[str, int]]  # task id -> {occupation code: grade}


def load(directory: str | os.PathLike | None = None, pool: tuple[str, ...] | None = VA_POOL):
    """Profiles and graded statements for the occupations in `pool` (None: all of them)."""
    d = data_dir(directory)
    if not (d / "Occupation Data.txt").exists():
        raise FileNotFoundError(f"O*NET 29.3 files not found in {d} (set --data or ONET_DIR)")
    occ = {r[0]: (r[1], r[2]) for r in _rows(d / "Occupation Data.txt")}
    codes = list(pool) if pool is not None else sorted(occ)
    keep = set(codes)
    titles: dict[str, list[str]] = defaultdict(list)
    for r in _rows(d / "Sample of Reported Titles.txt"):
        titles[r[0]].append(r[2])
    tech: dict[str, dict[str, None]] = defaultdict(dict)
    for r in _rows(d / "Technology Skills.txt"):
        tech[r[0]].setdefault(r[2], None)
        tech[r[0]].setdefault(r[4], None)
    related: dict[str, set[str]] = defaultdict(set)
    for r in _rows(d / "Related Occupations.txt"):
        if r[4].startswith("Primary") and r[2] in keep:
            related[r[0]].add(r[2])
    profiles = [
        Assistant(
            id=c,
            headline="; ".join([occ[c][0], *titles[c]]),
            bio=occ[c][1],
            skills=tuple(tech[c]),
        )
        for c in codes
    ]
    tune, held, grades = [], [], {}
    for r in _rows(d / "Task Statements.txt"):
        if r[0] not in keep:
            continue
        task = Task(id=f"task-{r[2]}", title=r[3])
        grades[task.id] = {**{c: 1 for c in related[r[0]]}, r[0]: 2}
        (tune if int(r[2]) % 2 == 0 else held).append(task)
    return LabelledSet(profiles, tune, held, grades)
