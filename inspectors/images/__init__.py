"""Image checks: the national flag, the national emblem and maps without a 审图号.

``inspector.ImageInspector`` is the Scrapy-facing part; ``flag``, ``emblem``, ``decode``,
``colour`` and ``context`` are plain functions over bytes and lxml trees, testable without a crawl.
"""

from inspectors.images.inspector import ImageInspector

__all__ = ["ImageInspector"]
