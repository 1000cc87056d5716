"""Signals of the fleet worker.

``request_done``: the spider finished a request's callback or errback (its output is handed to
Scrapy: the links it found are queued). Argument: ``meta`` (the request's meta, carrying its
in-flight token). The scheduler acknowledges the request in Redis.

``seed_popped``: the scheduler popped a seed queued by ``govinspect seed`` (``seed``: a request whose
meta names the site). The fleet spider's receiver returns the site's homepage request.
"""

request_done = object()
seed_popped = object()
