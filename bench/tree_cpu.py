"""CPU seconds of a command and of every process it started, orphans included.

``os.wait4`` on the command counts only the descendants that their own parents reaped. Chromium's
renderer, GPU and utility processes outlive the browser process when it closes, so init reaped them
and their CPU was lost: 41 of 124 CPU s of a ``render=auto`` crawl of ``bench_render_auto.py``'s
cluster (system-wide ``/proc/stat`` against the tree's ``wait4``). Here the bench process becomes a
child subreaper (``PR_SET_CHILD_SUBREAPER``): orphans of the command are re-parented to it, reaped by
it and counted in its ``RUSAGE_CHILDREN``. One counted run at a time: the count is the growth of
``RUSAGE_CHILDREN`` while it runs, and every child the bench has is reaped.
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import time
from typing import Any

_PR_SET_CHILD_SUBREAPER = 36
ORPHANS_GRACE_S = 10.0  # how long the command's orphans get to exit after it did


def _become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CountedRun:
    """A subprocess whose CPU seconds include every process it started, orphans included."""

    def __init__(self, cmd: list[str], **popen_kwargs: Any):
        _become_subreaper()
        self._cpu_before = _children_cpu()
        self._started = time.monotonic()
        self.proc = subprocess.Popen(cmd, **popen_kwargs)

    def wait(self) -> tuple[int, float, float]:
        """Exit code, wall seconds until the command exited, CPU seconds of the whole tree."""
        code, exited = 0, None
        while True:
            try:
                pid, status = os.waitpid(-1, 0 if exited is None else os.WNOHANG)
            except ChildProcessError:  # nothing left to reap
                break
            if pid == self.proc.pid:
                code, exited = os.waitstatus_to_exitcode(status), time.monotonic()
                self.proc.returncode = code
            elif pid == 0:  # orphans still running after the command exited
                if time.monotonic() - exited > ORPHANS_GRACE_S:
                    break
                time.sleep(0.05)
        return code, exited - self._started, _children_cpu() - self._cpu_before
