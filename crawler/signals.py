"""govinspect's signals (defined in :mod:`govinspect.signals`; re-exported here for older imports)."""

from govinspect.signals import run_finished, site_concluding, site_finalized, work_done

__all__ = ["run_finished", "site_concluding", "site_finalized", "work_done"]
