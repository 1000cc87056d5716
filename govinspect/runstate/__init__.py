"""Run state: what the processes doing one run share (see :mod:`govinspect.runstate.base`).

``open_run_state(settings, run_id)`` builds the backend that ``RUN_STATE_BACKEND`` names:
``memory`` (one process, the default) or ``redis`` (a fleet; ``REDIS_URL`` / env ``GOVINSPECT_REDIS_URL``).
"""

from __future__ import annotations

from typing import Any

from govinspect.runstate.base import COUNTERS, RunState, SiteProgress
from govinspect.runstate.memory import MemoryRunState

__all__ = ["COUNTERS", "BACKENDS", "MemoryRunState", "RunState", "SiteProgress", "open_run_state"]

BACKENDS = ("memory", "redis")


def open_run_state(settings: Any, run_id: str) -> RunState:
    backend = settings.get("RUN_STATE_BACKEND")
    if backend == "memory":
        return MemoryRunState(run_id)
    if backend == "redis":
        from govinspect.runstate.redis import RedisRunState

        url = settings.get("REDIS_URL")
        if not url:
            raise ValueError("RUN_STATE_BACKEND=redis needs REDIS_URL (or GOVINSPECT_REDIS_URL)")
        return RedisRunState.from_url(run_id, url, settings.get("REDIS_KEY_PREFIX"),
                                      settings.getint("REDIS_RETRIES"))
    raise ValueError(f"RUN_STATE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
