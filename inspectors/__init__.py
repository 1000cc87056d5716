"""Inspectors: components that look at one parsed page (or attachment) and return observations.

They are listed in the ``INSPECTORS`` setting, like Scrapy's ``ITEM_PIPELINES``: a dict of import
path to order. A new inspector needs only a module and a settings line.
"""

from inspectors.base import Attachment, Inspector, InspectorManager, Link, Page, RunView

__all__ = ["Attachment", "Inspector", "InspectorManager", "Link", "Page", "RunView"]
