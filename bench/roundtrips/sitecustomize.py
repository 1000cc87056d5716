"""Loaded by the fleet benchmark's workers only (``bench_fleet.py --round-trips`` puts this directory on
their ``PYTHONPATH``): counts the worker's Redis round trips by the project function that made them.

Every round trip is one ``send_packed_command`` of redis-py (a command, or a whole pipeline). At exit
the counts go to ``$GOVINSPECT_BENCH_ROUND_TRIPS/<pid>.json``.
"""

from __future__ import annotations

import atexit
import builtins
import collections
import json
import os
import sys

_OUT = os.environ.get("GOVINSPECT_BENCH_ROUND_TRIPS", "")
_PROJECT = ("/crawler/", "/govinspect/", "/inspectors/", "/pipelines/")
counts: collections.Counter[str] = collections.Counter()


def _caller() -> str:
    """The innermost project function outside the Lua-step helpers (once.py)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if any(p in name for p in _PROJECT) and "site-packages" not in name and not name.endswith("once.py"):
            return f"{name.rsplit('/', 2)[-2]}/{name.rsplit('/', 1)[-1]}:{frame.f_code.co_name}"
        frame = frame.f_back
    return "?"


def _install(module) -> None:
    send = module.AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        counts[_caller()] += 1
        return send(self, command, check_health)

    module.AbstractConnection.send_packed_command = counted
    module._govinspect_counted = True


_import = builtins.__import__


def _watching(name, *args, **kwargs):
    """Patch redis-py once its connection module is complete (it is imported by many paths)."""
    module = _import(name, *args, **kwargs)
    conn = sys.modules.get("redis.connection")
    if conn is not None and hasattr(conn, "AbstractConnection") and not hasattr(conn, "_govinspect_counted"):
        _install(conn)
        builtins.__import__ = _import
    return module


if _OUT:
    builtins.__import__ = _watching

    @atexit.register
    def _dump() -> None:
        if counts:
            with open(os.path.join(_OUT, f"{os.getpid()}.json"), "w", encoding="utf-8") as fh:
                json.dump(dict(counts), fh)
