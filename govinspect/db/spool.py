"""Writes held back while the database server is unreachable: in memory and in a local file.

Each process that has to buffer appends its writes (one JSON line each: the SQL and its rows) to
``<dir>/<database key>-<host>-<pid>.jsonl`` and keeps the file locked (``flock``) while it lives.
The lines are flushed to the kernel at once, so a killed process loses none of them (a power cut
may). When the server answers again the process replays them in order, in one transaction, and
empties the file. A file whose lock can be taken belongs to a process that died: the next store
opened on this machine for the same database replays it (:meth:`Spool.orphans`) and deletes it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)


def database_key(target: str) -> str:
    """A short name for a database (its URL without password), so spools of different databases never mix."""
    return hashlib.sha1(target.encode("utf-8")).hexdigest()[:12]


@dataclass
class Entry:
    sql: str
    rows: list[list[Any]]
    run_id: str | None = None


# Rows kept in memory besides the file; a longer outage is replayed from the file alone, so memory
# stays bounded however long the database is away.
MEMORY_ROWS = 200_000


@dataclass
class Spool:
    directory: Path
    key: str
    memory_rows: int = MEMORY_ROWS
    _entries: list[Entry] = field(default_factory=list)
    _in_memory: bool = True
    _count: int = 0
    _rows: int = 0
    _file: IO[str] | None = None

    @property
    def path(self) -> Path:
        return self.directory / f"{self.key}-{socket.gethostname()}-{os.getpid()}.jsonl"

    def __len__(self) -> int:
        """Buffered writes (entries)."""
        return self._count

    @property
    def rows(self) -> int:
        return self._rows

    @property
    def entries(self) -> list[Entry]:
        """Everything buffered, oldest first (from memory, or read back from the file)."""
        if self._in_memory:
            return list(self._entries)
        with self.path.open(encoding="utf-8") as fh:
            return list(read_entries(fh))

    def append(self, entry: Entry) -> None:
        if self._file is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._file.write(json.dumps({"sql": entry.sql, "rows": entry.rows, "run_id": entry.run_id},
                                    ensure_ascii=False) + "\n")
        self._file.flush()
        self._count += 1
        self._rows += len(entry.rows)
        if self._in_memory:
            self._entries.append(entry)
            if self._rows > self.memory_rows:
                logger.warning("over %d buffered rows: the rest of the buffer is kept in %s only",
                               self.memory_rows, self.path)
                self._entries, self._in_memory = [], False

    def clear(self) -> None:
        """Everything was replayed: forget it (the file is emptied, and removed at close)."""
        self._entries, self._in_memory, self._count, self._rows = [], True, 0, 0
        if self._file is not None:
            self._file.truncate(0)
            self._file.seek(0)
            self._file.flush()

    def close(self) -> None:
        if self._file is None:
            return
        if not self._count:
            self.path.unlink(missing_ok=True)
        self._file.close()
        self._file = None

    @contextmanager
    def _claimed(self, path: Path) -> Iterator[IO[str] | None]:
        """The file, locked, if no live process holds it; else None."""
        try:
            fh = path.open("r+", encoding="utf-8")
        except FileNotFoundError:
            yield None
            return
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None
                return
            yield fh
        finally:
            fh.close()

    def orphan_paths(self) -> list[Path]:
        """Spool files of other processes for this database (live or dead; :meth:`claim` tells)."""
        if not self.directory.is_dir():
            return []
        return [p for p in sorted(self.directory.glob(f"{self.key}-*.jsonl")) if p != self.path]

    @contextmanager
    def claim(self, path: Path) -> Iterator[list[Entry] | None]:
        """The entries of a dead process's spool, locked while the caller replays them; None if alive.

        When the caller's block ends normally the file is deleted; if it raises (the database went
        away again), the file stays for a later attempt.
        """
        with self._claimed(path) as fh:
            if fh is None:
                yield None
                return
            entries = list(read_entries(fh))
            yield entries
            path.unlink(missing_ok=True)


def read_entries(fh: IO[str]) -> Iterator[Entry]:
    for number, line in enumerate(fh, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            # The process died while writing its last line: that write never finished.
            logger.warning("spool %s line %d is cut short; skipped", getattr(fh, "name", "?"), number)
            continue
        yield Entry(data["sql"], data["rows"], data.get("run_id"))
