"""Signals of the fleet worker.

``request_done``: the spider finished a request's callback or errback (its output is handed to
Scrapy: the links it found are queued). Argument: ``meta`` (the request's meta, carrying its
in-flight token). The scheduler acknowledges the request in Redis.

``seed_popped``: the scheduler popped a seed queued by ``govinspect seed`` (``seed``: a request whose
meta names the site). The fleet spider's receiver returns the site's homepage request.

``leases_wanted``: the scheduler's pop found requests queued, all for hosts at their limit. The
politeness middleware's receiver returns the leases this worker has finished with but not yet
returned, and answers how many (the scheduler then pops again).
"""

request_done = object()
leases_wanted = object()
seed_popped = object()
