"""Seeds: pluggable modules that plant problems (and deliberate non-problems) in the demo cluster.

A seed is a module in this package with either or both of

* ``plan(b: ClusterBuilder)`` -- runs before articles are dated and pages rendered: change site and
  column specs (encodings, missing footer marks, stale columns, a site that is down);
* ``apply(b: ClusterBuilder)`` -- runs after the base content exists: add pages, files and server
  behaviours, inject HTML into pages, and record manifest entries with ``b.expect(...)``.

Adding a seed is a new module plus one line in ``SEEDS``. Order matters only when a seed reads what
an earlier one planned.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType

SEEDS: list[str] = [
    "encodings",
    "availability",
    "identity",
    "freshness",
    "links",
    "traps",
    "images",
    "ads",
    "leaks",
    "archives",
    # issue 10: availability probes, soft 404s, hijacked external links, injected content
    "probes",
    "soft404",
    "hijacked",
    "injected",
    "endpoints",
    "interaction",
    "coordination",
    "site_marks",  # last: it records the meta tags other seeds' pages lack
]


def load(names: Sequence[str] | None = None) -> list[ModuleType]:
    """Import the seed modules named (default: all of ``SEEDS``, in order)."""
    return [importlib.import_module(f"{__name__}.{name}") for name in (SEEDS if names is None else names)]
