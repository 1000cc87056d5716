"""Older name of the run API: see :mod:`govinspect.api`."""

from govinspect.api import RunResult, new_run_id, run_crawl

__all__ = ["RunResult", "new_run_id", "run_crawl"]
