"""Per-site crawl progress: now kept in the run state (:mod:`govinspect.runstate`); re-exported here."""

from govinspect.runstate.base import SiteProgress

__all__ = ["SiteProgress"]
