"""Run locks: scheduled runs never overlap, and a live run is never taken for an interrupted one.

``with run_lock(settings, run_id, kind="crawl"):`` holds two locks for the block:

* the *kind* lock (``crawl``, ``probe``, …; ``kind=None`` skips it): one run of that kind at a time.
  A second start raises :class:`LockHeld`, whose message names the holder's run id, host, pid and
  start time (the CLI exits 3 with it). ``seed`` takes ``kind="crawl"``: a fleet run and a local
  crawl of the same store must not overlap either.
* the *run* lock of ``run_id``, held as long as the run is being done in this process, so
  :func:`run_alive` can tell a live run from one whose process died.

Backends (chosen like the run state, by ``RUN_STATE_BACKEND``): ``memory`` → file locks with
``fcntl.flock`` next to the store (``RUN_LOCK_DIR``); the kernel releases them when the holder dies,
so a stale lock file from a dead pid is simply taken over. ``redis`` → keys with an expiry
(``RUN_LOCK_TTL``) renewed by a heartbeat thread (``RUN_LOCK_HEARTBEAT``); a holder that died stops
renewing, and one that died on this host (pid gone) is taken over at once.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govinspect.db import is_database_url

logger = logging.getLogger(__name__)


@dataclass
class Holder:
    """Who holds a lock."""

    run_id: str
    kind: str
    host: str
    pid: int
    started_at: str

    @classmethod
    def me(cls, run_id: str, kind: str) -> Holder:
        return cls(run_id, kind, socket.gethostname(), os.getpid(),
                   datetime.now(UTC).astimezone().isoformat(timespec="seconds"))

    @classmethod
    def parse(cls, text: str | bytes | None) -> Holder | None:
        try:
            data = json.loads(text or "")
            return cls(str(data["run_id"]), str(data["kind"]), str(data["host"]), int(data["pid"]),
                       str(data["started_at"]))
        except (ValueError, KeyError, TypeError):
            return None

    def dumps(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    def describe(self) -> str:
        return f"run {self.run_id} on host {self.host} (pid {self.pid}), started {self.started_at}"


class LockHeld(RuntimeError):
    """Another run holds the lock (``holder``; None when it could not be read)."""

    def __init__(self, kind: str, holder: Holder | None):
        self.kind = kind
        self.holder = holder
        who = holder.describe() if holder else "another run (holder unknown)"
        super().__init__(f"not started: {who} holds the {kind} lock")


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def _safe(name: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9._-]{1,100}", name):
        return name
    return hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()


# ---- file locks (one machine) ----------------------------------------------------------------------------
def lock_dir(settings: Any) -> Path:
    folder = settings.get("RUN_LOCK_DIR")
    if folder:
        return Path(folder).expanduser()
    store = settings.get("GOVINSPECT_STORE")
    if is_database_url(store):  # a database server: the locks live with this machine's spool
        return Path(settings.get("STORE_SPOOL_DIR")).expanduser().resolve()
    return Path(store).expanduser().resolve().parent


def _store_tag(settings: Any) -> str:
    """A file-name-safe tag of the store: its file name, or a digest of a database URL."""
    store = settings.get("GOVINSPECT_STORE")
    if is_database_url(store):
        return "db-" + hashlib.sha1(store.encode()).hexdigest()[:12]
    return Path(store).name


class FileLock:
    """An exclusive ``flock`` on a file that also records its holder (readable by the refused)."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def acquire(self, holder: Holder) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockHeld(holder.kind, Holder.parse(_read(self.path))) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.dumps().encode(), 0)
        os.fsync(fd)
        self.fd = fd

    def release(self, unlink: bool = False) -> None:
        if self.fd is None:
            return
        if unlink:
            with contextlib.suppress(OSError):
                self.path.unlink()
        else:  # the lock file stays (unlinking a lock file others may have open races), emptied
            os.ftruncate(self.fd, 0)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def _file_held(path: Path) -> bool | None:
    """True if some process holds the lock on ``path``; False if not; None if there is no such file."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's own lock
    return False


def kind_lock_path(settings: Any, kind: str) -> Path:
    return lock_dir(settings) / f"{_store_tag(settings)}.{_safe(kind)}.lock"


def run_lock_path(settings: Any, run_id: str, member: str | None = None) -> Path:
    # "+" never occurs in a _safe name: a member's file cannot be mistaken for another run's
    name = _safe(run_id) + (f"+{_safe(member)}" if member else "")
    return lock_dir(settings) / f".{_store_tag(settings)}.runs" / f"{name}.lock"


def _run_key(settings: Any, run_id: str, member: str | None = None) -> str:
    prefix = settings.get("REDIS_KEY_PREFIX")
    if member is None:
        return f"{prefix}:lock:run:{run_id}"
    return f"{prefix}:lock:run-member:{hashlib.sha1(run_id.encode()).hexdigest()}:{member}"


# ---- Redis locks (a fleet) -------------------------------------------------------------------------------
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisLock:
    """``SET NX PX`` with the holder as value, renewed by a heartbeat thread while held."""

    def __init__(self, client: Any, key: str, ttl: float, heartbeat: float):
        self.r = client
        self.key = key
        self.ttl_ms = max(1000, int(ttl * 1000))
        self.heartbeat = heartbeat
        self.value: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, holder: Holder) -> None:
        value = holder.dumps()
        for _ in range(2):
            if self.r.set(self.key, value, nx=True, px=self.ttl_ms):
                self.value = value
                self._thread = threading.Thread(target=self._beat, name=f"lock-heartbeat {self.key}", daemon=True)
                self._thread.start()
                return
            current = self.r.get(self.key)
            other = Holder.parse(current)
            # a holder on this host whose process is gone will never release: take it over now
            if other is not None and other.host == holder.host and not pid_alive(other.pid):
                logger.warning("taking over the %s lock of %s (its process is gone)", holder.kind, other.describe())
                self.r.register_script(_RELEASE)(keys=[self.key], args=[current])
                continue
            raise LockHeld(holder.kind, other)
        raise LockHeld(holder.kind, Holder.parse(self.r.get(self.key)))

    def _beat(self) -> None:
        renew = self.r.register_script(_RENEW)
        while not self._stop.wait(self.heartbeat):
            try:
                if not renew(keys=[self.key], args=[self.value, self.ttl_ms]):
                    logger.error("lost the lock %s (expired before its heartbeat)", self.key)
                    return
            except Exception as exc:  # Redis away for a moment: try again at the next beat
                logger.warning("lock heartbeat for %s failed: %s", self.key, exc)

    def release(self, unlink: bool = False) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.value is not None:
            with contextlib.suppress(Exception):
                self.r.register_script(_RELEASE)(keys=[self.key], args=[self.value])
        self.value = None


def _redis(settings: Any) -> Any:
    from govinspect.runstate.redis import connect

    url = settings.get("REDIS_URL")
    if not url:
        raise ValueError("RUN_STATE_BACKEND=redis needs REDIS_URL (or GOVINSPECT_REDIS_URL)")
    return connect(url, settings.getint("REDIS_RETRIES"))


def _fleet(settings: Any) -> bool:
    return settings.get("RUN_STATE_BACKEND") == "redis"


# ---- the API -------------------------------------------------------------------------------------------
@contextlib.contextmanager
def run_lock(settings: Any, run_id: str, kind: str | None = "crawl", member: str | None = None) -> Iterator[Holder]:
    """Hold the ``kind`` lock (unless None) and the run's own lock for the block; raises :class:`LockHeld`.

    ``member``: one of several processes doing the same run (a fleet worker's id): each holds a run
    lock of its own, and the run is alive while any of them does (:func:`run_alive`).
    """
    holder = Holder.me(run_id, kind or "run")
    locks: list[FileLock | RedisLock] = []
    client = _redis(settings) if _fleet(settings) else None
    try:
        if client is not None:
            prefix = settings.get("REDIS_KEY_PREFIX")
            ttl, beat = settings.getfloat("RUN_LOCK_TTL"), settings.getfloat("RUN_LOCK_HEARTBEAT")
            if kind:
                locks.append(RedisLock(client, f"{prefix}:lock:{kind}", ttl, beat))
            locks.append(RedisLock(client, _run_key(settings, run_id, member), ttl, beat))
        else:
            if kind:
                locks.append(FileLock(kind_lock_path(settings, kind)))
            locks.append(FileLock(run_lock_path(settings, run_id, member)))
        for lock in locks:
            lock.acquire(holder)
        yield holder
    finally:
        for lock in reversed(locks):
            if lock.__class__ is FileLock and lock.fd is not None:
                lock.release(unlink=lock is locks[-1])
            else:
                lock.release()
        if client is not None:
            client.close()


def run_alive(settings: Any, run: dict[str, Any]) -> bool:
    """Whether a ``running`` run (its store record) is still being done by a live process.

    Asked before a run is folded as interrupted: a run held by a process (its run lock, in Redis or
    on this machine's file system) is alive; a run recorded with this host and a pid that is gone is
    dead; a run of another host that no lock speaks for is taken for alive (never fold a live run).
    """
    run_id = run["run_id"]
    if _fleet(settings):
        client = _redis(settings)
        try:
            members = _run_key(settings, run_id, "*")
            if client.exists(_run_key(settings, run_id)) or next(client.scan_iter(match=members, count=1000), None):
                return True
        finally:
            client.close()
    own = run_lock_path(settings, run_id)
    files = [own, *own.parent.glob(own.stem + "+*.lock")] if own.parent.is_dir() else [own]
    held = [_file_held(path) for path in files]
    if any(held):
        return True
    if any(h is False for h in held):
        return False
    args = run.get("args") or {}
    host, pid = args.get("host"), args.get("pid")
    if host is None or pid is None:
        return False  # recorded before runs carried their holder: the old rule (taken for dead)
    if host == socket.gethostname():
        return pid_alive(int(pid))
    if _fleet(settings):
        return False  # the fleet's lock key would exist: the run's holder stopped renewing it
    logger.warning("run %s was started on host %s: not folded as interrupted from here", run_id, host)
    return True
