"""Labelled set from O*NET: task statements (owner requests) against occupation profiles.

Data: O*NET 29.3 Database (May 2025), U.S. Department of Labor, Employment and Training
Administration (USDOL/ETA), onetcenter.org/database.html, used under the Creative Commons
Attribution 4.0 International licence (onetcenter.org/license_db.html). O*NET(R) is a trademark
of USDOL/ETA. The package ships the columns and rows of five release files that this module
reads (`matching/data/onet-29.3/`, made by `devtools/derive_onet.py`, attribution beside them);
a directory holding the full release, given at run time, is read the same way.

Ground truth is O*NET's own: a statement's occupation is grade 2, that occupation's "Primary"
(short or long) related occupations are grade 1. A profile is the occupation's title, reported
job titles, description and technology skills (software examples and their categories) - never
its task statements. Even Task IDs are the tune split, odd ones are held out.
"""

from __future__ import annotations

import csv
import gzip
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
DEFAULT_DIR = Path(__file__).parent / "data" / "onet-29.3"
CITATION = (
    "O*NET 29.3 Database, U.S. Department of Labor, Employment and Training Administration "
    "(USDOL/ETA), licensed under CC BY 4.0"
)


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get("ONET_DIR") or DEFAULT_DIR)


# What load() reads of each release file; the packaged set keeps exactly these columns.
COLUMNS = {
    "Occupation Data.txt": ("O*NET-SOC Code", "Title", "Description"),
    "Sample of Reported Titles.txt": ("O*NET-SOC Code", "Reported Job Title"),
    "Technology Skills.txt": ("O*NET-SOC Code", "Example", "Commodity Title"),
    "Related Occupations.txt": ("O*NET-SOC Code", "Related O*NET-SOC Code", "Relatedness Tier"),
    "Task Statements.txt": ("O*NET-SOC Code", "Task ID", "Task"),
}


def _path(directory: Path, name: str) -> Path:
    """The release's own tab-separated file, or its gzipped derivative when that is what's here."""
    plain = directory / name
    return plain if plain.exists() else directory / f"{name}.gz"


def has_data(directory: Path) -> bool:
    return all(_path(directory, name).exists() for name in COLUMNS)


def rows(directory: Path, name: str):
    """The COLUMNS of one file as tuples, found by header name (so either form reads alike)."""
    path = _path(directory, name)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        wanted = [header.index(column) for column in COLUMNS[name]]
        for r in reader:
            yield tuple(r[i] for i in wanted)


@dataclass
class LabelledSet:
    profiles: list[Assistant]
    tune: list[Task]
    held_out: list[Task]
    grades: dict[str, dict[str, int]]  # task id -> {occupation code: grade}


def load(directory: str | os.PathLike | None = None, pool: tuple[str, ...] | None = VA_POOL):
    """Profiles and graded statements for the occupations in `pool` (None: all of them)."""
    d = data_dir(directory)
    if not has_data(d):
        raise FileNotFoundError(f"O*NET 29.3 files not found in {d} (set --data or ONET_DIR)")
    occ = {code: (title, desc) for code, title, desc in rows(d, "Occupation Data.txt")}
    codes = list(pool) if pool is not None else sorted(occ)
    keep = set(codes)
    titles: dict[str, list[str]] = defaultdict(list)
    for code, title in rows(d, "Sample of Reported Titles.txt"):
        titles[code].append(title)
    tech: dict[str, dict[str, None]] = defaultdict(dict)
    for code, example, commodity in rows(d, "Technology Skills.txt"):
        tech[code].setdefault(example, None)
        tech[code].setdefault(commodity, None)
    related: dict[str, set[str]] = defaultdict(set)
    for code, other, tier in rows(d, "Related Occupations.txt"):
        if tier.startswith("Primary") and other in keep:
            related[code].add(other)
    profiles = [
        Assistant(
            id=c,
            headline="; ".join([occ[c][0], *titles[c]]),
            bio=occ[c][1],
            skills=tuple(tech[c]),
        )
        for c in codes
    ]
    tune: list[Task] = []
    held: list[Task] = []
    grades: dict[str, dict[str, int]] = {}
    for code, task_id, statement in rows(d, "Task Statements.txt"):
        if code not in keep:
            continue
        key = f"task-{task_id}"
        task = Task(id=key, title=statement)
        grades[key] = {**{c: 1 for c in related[code]}, code: 2}
        (tune if int(task_id) % 2 == 0 else held).append(task)
    return LabelledSet(profiles, tune, held, grades)
