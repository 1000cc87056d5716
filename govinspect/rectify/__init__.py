"""Rectification lists (整改清单): issue numbered lists per unit, re-check them, close them out (销号).

``calendar`` counts working days by the Chinese calendar, ``tables`` keeps lists and entries in the
store, ``lists`` issues and refreshes them, ``xlsx``/``html`` write the documents, ``recheck`` runs
the targeted re-check crawl.
"""
