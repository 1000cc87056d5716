"""Optional indexing of findings into Elasticsearch or OpenSearch (see ``docs/elasticsearch.md``).

The embedded store stays the source of truth; this package mirrors it into an index set for
analysts (Kibana) and can always catch up with :func:`run_sync`.
"""

from govinspect.search.adapter import EngineUnavailable, SearchEngine
from govinspect.search.config import ConfigError, SearchConfig
from govinspect.search.sync import run_sync

__all__ = ["ConfigError", "EngineUnavailable", "SearchConfig", "SearchEngine", "run_sync"]
