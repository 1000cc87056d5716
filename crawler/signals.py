"""Signals govinspect adds to Scrapy's (connect with ``crawler.signals.connect``).

``site_finalized``: sent after a site's observations of a run were folded into findings in the store.
Arguments: ``site`` (:class:`govinspect.registry.Site`), ``run_id`` (str), ``store``
(:class:`govinspect.store.FindingStore`), ``counts`` (dict of new/seen/reopened/fixed).
Indexers (Elasticsearch) use it to push the lifecycle changes.

``run_finished``: sent once after every site was finalized and the run record closed.
Arguments: ``run_id``, ``store``, ``status``.
"""

site_finalized = object()
run_finished = object()
