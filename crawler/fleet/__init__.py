"""The fleet: many ``govinspect worker`` processes, on any number of machines, sharing one run in Redis.

Built on scrapy-redis (its scheduler, priority queue and duplicate filter over a real Redis), with
what a crash-safe, polite fleet needs on top:

* :mod:`.queue` / :mod:`.scheduler`: popping a request moves it into the worker's in-flight hash in
  the same Redis step; it is acknowledged when its callback or errback has run. A worker that stops
  heartbeating is *reaped*: its in-flight requests go back to the queue (stock scrapy-redis deletes a
  request on pop, so a killed worker's pages were lost).
* :mod:`.membership`: heartbeats, reaping, and "is the run done" (queue empty and nothing in flight
  anywhere) -- a worker never closes while the shared queue or another worker still has work.
* :mod:`.politeness`: per-host concurrency and delay for the whole fleet (leases with expiry and a
  shared next-allowed time per host in Redis).
* :mod:`.runs`: run records, the seed lock, and run listing for ``govinspect runs``.
"""
