"""Placeholder while issue 3 is built: the inspector exists so the INSPECTORS setting loads."""

from __future__ import annotations

from inspectors.base import Inspector


class LeakInspector(Inspector):
    enabled_setting = "INSPECT_LEAKS_ENABLED"
