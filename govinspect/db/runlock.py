"""Which runs still have a live process: each process taking part in a run holds a shared lock on it
for as long as it lives; a run nobody holds (all its processes died) may be recovered as interrupted.

The locks end with the process however it ends (``kill -9`` included), so no heartbeat or timeout
is needed: PostgreSQL session advisory locks for a server store (any machine), ``flock`` on small
files beside the SQLite file for an embedded store (one machine).
"""

from __future__ import annotations

import fcntl
import hashlib
from pathlib import Path
from typing import IO, Any


def run_key(run_id: str) -> int:
    """A run's lock key: a signed 64-bit number from its id (PostgreSQL advisory-lock keys are bigint)."""
    return int.from_bytes(hashlib.sha256(b"govinspect-run:" + run_id.encode("utf-8")).digest()[:8], "big",
                          signed=True)


class PgRunLocks:
    def __init__(self, db: Any):
        self.db = db
        self.held: set[str] = set()

    def hold(self, run_id: str) -> None:
        if run_id not in self.held:
            self.db.execute("SELECT pg_advisory_lock_shared(?)", (run_key(run_id),))
            self.held.add(run_id)

    def rehold(self) -> None:
        """After a reconnection: session locks ended with the lost connection; take them again."""
        for run_id in sorted(self.held):
            self.db.execute("SELECT pg_advisory_lock_shared(?)", (run_key(run_id),))

    def release(self, run_id: str) -> None:
        if run_id in self.held:
            self.held.discard(run_id)
            self.db.execute("SELECT pg_advisory_unlock_shared(?)", (run_key(run_id),))

    def is_live(self, run_id: str) -> bool:
        if run_id in self.held:
            return True
        key = run_key(run_id)
        free = bool(self.db.execute("SELECT pg_try_advisory_lock(?)", (key,)).fetchone()[0])
        if free:
            self.db.execute("SELECT pg_advisory_unlock(?)", (key,))
        return not free

    def close(self) -> None:
        self.held.clear()  # the session's end releases them


class FileRunLocks:
    def __init__(self, directory: Path):
        self.directory = directory
        self.files: dict[str, IO[bytes]] = {}

    @property
    def held(self) -> set[str]:
        return set(self.files)

    def _path(self, run_id: str) -> Path:
        return self.directory / f"{run_key(run_id) & 0xFFFFFFFFFFFFFFFF:016x}.lock"

    def hold(self, run_id: str) -> None:
        if run_id in self.files:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        fh = self._path(run_id).open("ab")
        fcntl.flock(fh, fcntl.LOCK_SH)
        self.files[run_id] = fh

    def rehold(self) -> None:
        pass

    def release(self, run_id: str) -> None:
        fh = self.files.pop(run_id, None)
        if fh is not None:
            # The (empty) file stays: other processes of the run may still hold it.
            fh.close()

    def is_live(self, run_id: str) -> bool:
        if run_id in self.files:
            return True
        try:
            fh = self._path(run_id).open("rb")
        except FileNotFoundError:
            return False
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()
        self.files.clear()
