"""The orphan sweep: stored files no database row points at, once past a grace period.

A file is stored before its row is written (storage.put_in_transaction), so a process that
dies in between (killed, out of memory, the host gone) leaves a file with no row and no
rollback hook to remove it. Only files older than the grace period are looked at: a younger
one may belong to an upload whose transaction is still open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice

from sqlalchemy.orm import Session

from ..db import utcnow
from . import Storage, _delete_quietly

# Keys checked against the database per query: well under any database's bound-parameter limit.
BATCH = 500

# Which of these keys some row points at (every kind of row that holds a storage key).
Referenced = Callable[[Session, list[str]], set[str]]


@dataclass(frozen=True)
class SweepReport:
    removed: int  # files no row pointed at
    partials: int  # uploads left half-written


def _batches(keys: Iterable[str], size: int) -> Iterator[list[str]]:
    keys = iter(keys)
    while batch := list(islice(keys, size)):
        yield batch


def sweep_orphans(
    session: Session, storage: Storage, referenced: Referenced, grace: timedelta
) -> SweepReport:
    """Delete the files stored more than `grace` ago that no row points at. Read-only on the
    database; safe to run beside another sweep (deletes may repeat)."""
    cutoff = utcnow() - grace
    removed = 0
    for keys in _batches(storage.stored_before(cutoff), BATCH):
        kept = referenced(session, keys)
        for key in keys:
            if key not in kept:
                _delete_quietly(storage, key)
                removed += 1
    return SweepReport(removed, storage.remove_partials_before(cutoff))
