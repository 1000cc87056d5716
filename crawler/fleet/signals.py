"""Signals of the fleet worker.

``request_done``: the spider finished a request's callback or errback (its output is handed to
Scrapy: the links it found are queued). Arguments: ``meta`` (the request's meta, carrying its
in-flight token) and ``progress`` (the site's :class:`crawler.progress.SiteProgress`, or None).
The scheduler acknowledges the request in Redis with that site's progress.
"""

request_done = object()
