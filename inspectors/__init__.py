"""Inspectors: components that look at one parsed page (or attachment) and return observations.

They are listed in the ``INSPECTORS`` setting, like Scrapy's ``ITEM_PIPELINES``: a dict of import
path to order. A new inspector needs only a module and a settings line.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Attachment", "Inspector", "InspectorManager", "Link", "Page", "RunView"]


def __getattr__(name: str) -> Any:
    """``inspectors.Page`` and the like from ``inspectors.base``, imported on first use: a module of the
    package that needs no Scrapy (``inspectors.sensitive.scanjob``, run in the attachment-scan worker
    processes) does not import it through this package."""
    if name in __all__:
        from inspectors import base

        return getattr(base, name)
    raise AttributeError(f"module 'inspectors' has no attribute {name!r}")
