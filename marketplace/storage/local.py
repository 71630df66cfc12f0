"""Files in a folder on this machine (the default: ``instance/attachments``)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, BinaryIO

from ..db import utcnow

_KEY = re.compile(r"[0-9a-f]{32}")
_PARTIAL = ".upload-"  # the temporary name a file is written under before its rename


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        # Keys are made by storage.new_key; anything else is refused before it nears a path.
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key[:2] / key

    def put(self, key: str, stream: IO[bytes]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name and renamed: a reader never sees half a file.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out)
            # Stamped by the app's clock, which the orphan sweep's grace period is counted on.
            stamp = utcnow().timestamp()
            os.utime(temporary, (stamp, stamp))
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _files(self, cutoff: datetime, partial: bool) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/*"):
            is_partial = path.name.startswith(_PARTIAL)
            if is_partial != partial or not (is_partial or _KEY.fullmatch(path.name)):
                continue
            try:
                modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            except FileNotFoundError:  # deleted or renamed since the listing
                continue
            if modified < cutoff:
                yield path

    def stored_before(self, cutoff: datetime) -> Iterator[str]:
        for path in self._files(cutoff, partial=False):
            yield path.name

    def remove_partials_before(self, cutoff: datetime) -> int:
        removed = 0
        for path in self._files(cutoff, partial=True):
            path.unlink(missing_ok=True)
            removed += 1
        return removed
