"""Signals govinspect adds to Scrapy's (connect with ``crawler.signals.connect``).

They live here, not in ``crawler/``, so inspectors, pipelines and the crawler can all name them
without importing each other.

``work_done``: results of some requests are stored. Arguments: ``markers`` (list of
:class:`govinspect.findings.WorkDone`). Sent by the store pipeline after it wrote the items that came
before the markers, and by the spider for requests that were dropped; the finaliser counts the
work off the run state and folds the sites that are done.

``work_held``: the store pipeline keeps work markers back, or has just announced them (argument
``held``: bool). While held, their rows are only in the outage buffer (the database is unreachable):
a fleet worker does not acknowledge the requests behind them yet, so if it is killed meanwhile those
requests go back to the queue and are done again, markers included (the buffered rows are replayed
too; the fold takes the duplicate observations as one).

``store_flush_wanted``: some requests are about to be acknowledged to the rest of a fleet; receivers
write and announce (``work_done``) what they have buffered first, so that an acknowledged request's
rows and work markers are never lost with its worker. No arguments. Sent by the fleet scheduler once
per batch of acknowledgements, so the store writes in batches rather than once per request.

``site_concluding``: a site is about to be folded; receivers return the observations they conclude
(an iterable of :class:`govinspect.findings.Observation`). Arguments: ``site``, ``view`` (a
:class:`govinspect.vocabulary.RunView`). The inspector manager answers it (``site_finished``).

``site_finalized``: sent after a site's observations of a run were folded into findings in the store.
Arguments: ``site`` (:class:`govinspect.registry.Site`), ``run_id`` (str), ``store``
(:class:`govinspect.store.FindingStore`), ``counts`` (dict of new/seen/reopened/fixed).
Indexers (Elasticsearch) use it to push the lifecycle changes.

``render_wishes``: sent once by the render handler before its first render; receivers (inspectors)
return a :class:`govinspect.vocabulary.RenderWishes` (which images' bytes and which pages' captures
they want) or None. No arguments.

``run_finished``: sent once after every site was finalized and the run record closed.
Arguments: ``run_id``, ``store``, ``status``.
"""

work_done = object()
work_held = object()
store_flush_wanted = object()
site_concluding = object()
site_finalized = object()
run_finished = object()
render_wishes = object()
