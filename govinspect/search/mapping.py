"""Index names and composable index templates for findings and per-run observations.

Only what both engines have without plugins: keyword, text with the ``standard`` analyzer (it splits
Chinese into characters, so ``match_phrase`` finds Chinese phrases), date, long, object. No
``wildcard``, ``match_only_text``, data streams or ILM: the ES integ-test build and OpenSearch lack
or differ on them. Templates are created when missing or older than :data:`TEMPLATE_VERSION`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govinspect.search.adapter import SearchEngine

log = logging.getLogger(__name__)

TEMPLATE_VERSION = 2
DEFAULT_ANALYZER = "standard"


@dataclass(frozen=True)
class IndexNames:
    """All index and template names derive from one prefix, so deployments and tests can share
    a cluster."""

    prefix: str = "govinspect"

    @property
    def findings(self) -> str:
        return f"{self.prefix}-findings"

    @property
    def observations_pattern(self) -> str:
        return f"{self.prefix}-observations-*"

    def observations(self, when: datetime) -> str:
        """One append-only index per month, so old months can be dropped whole."""
        return f"{self.prefix}-observations-{when:%Y.%m}"

    @property
    def findings_template(self) -> str:
        return f"{self.prefix}-findings"

    @property
    def observations_template(self) -> str:
        return f"{self.prefix}-observations"


def _kw(ignore_above: int = 1024) -> dict[str, Any]:
    return {"type": "keyword", "ignore_above": ignore_above}


def _text_kw(analyzer: str, ignore_above: int = 1024) -> dict[str, Any]:
    """Full-text (Chinese-searchable) with a ``.keyword`` sub-field for exact filters and terms."""
    return {"type": "text", "analyzer": analyzer,
            "fields": {"keyword": {"type": "keyword", "ignore_above": ignore_above}}}


def _kw_text(analyzer: str, ignore_above: int = 1024) -> dict[str, Any]:
    """Keyword (aggregatable, the ECS type) with a ``.text`` sub-field for full-text search."""
    return {"type": "keyword", "ignore_above": ignore_above,
            "fields": {"text": {"type": "text", "analyzer": analyzer}}}


def _props(**fields: Any) -> dict[str, Any]:
    return {"properties": fields}


DATE = {"type": "date"}
LONG = {"type": "long"}


def properties(analyzer: str = DEFAULT_ANALYZER) -> dict[str, Any]:
    """The field mapping shared by both indices (one Kibana field list for both data views)."""
    return {
        "@timestamp": DATE,
        "message": _text_kw(analyzer, 2048),
        "tags": _kw(),
        "ecs": _props(version=_kw()),
        "event": _props(
            kind=_kw(), category=_kw(), type=_kw(), dataset=_kw(), module=_kw(), id=_kw(),
            severity=LONG, created=DATE,
        ),
        "rule": _props(id=_kw(), name=_kw_text(analyzer), category=_kw(), ruleset=_kw()),
        "url": _props(full=_kw_text(analyzer, 4096), domain=_kw(), path=_kw(4096), scheme=_kw()),
        "http": _props(response=_props(status_code=LONG)),
        "organization": _props(name=_kw_text(analyzer)),
        "observer": _props(product=_kw(), vendor=_kw(), type=_kw()),
        "govinspect": _props(
            severity=_kw(),
            finding=_props(
                fingerprint=_kw(), status=_kw(), first_seen=DATE, last_seen=DATE, fixed_at=DATE,
                reopened_count=LONG, occurrences=LONG, run_id=_kw(), updated_at=DATE,
            ),
            run=_props(id=_kw()),
            site=_props(id=_kw(), name=_kw_text(analyzer)),
            target=_props(url=_kw(4096), domain=_kw()),
            referrers=_kw(4096),
            evidence_text=_text_kw(analyzer, 2048),
            # site.availability-low: the probe figures, for the dashboard's availability panel
            availability=_props(failure_rate={"type": "float"}, probes=LONG,
                                failed=LONG, probes_per_day={"type": "float"}),
            # The raw evidence object differs per rule: kept in _source for display, not indexed.
            evidence={"type": "object", "enabled": False},
            screenshot={"type": "keyword", "index": False, "doc_values": False},
        ),
    }


def template(pattern: str, kind: str, analyzer: str = DEFAULT_ANALYZER) -> dict[str, Any]:
    """A composable index template. ``dynamic: false`` keeps unknown fields in ``_source`` only, so a
    newer document never fails against an older template."""
    return {
        "index_patterns": [pattern],
        "priority": 200,
        "version": TEMPLATE_VERSION,
        "_meta": {"managed_by": "govinspect", "kind": kind},
        "template": {
            "settings": {"number_of_shards": 1, "auto_expand_replicas": "0-1"},
            "mappings": {"dynamic": False, "properties": properties(analyzer)},
        },
    }


def ensure_templates(engine: SearchEngine, names: IndexNames, analyzer: str = DEFAULT_ANALYZER) -> list[str]:
    """Create (or upgrade) both templates when missing or older; returns the names written."""
    wanted = {
        names.findings_template: template(f"{names.findings}*", "findings", analyzer),
        names.observations_template: template(names.observations_pattern, "observations", analyzer),
    }
    written = []
    for name, body in wanted.items():
        current = engine.get_template(name)
        if current is not None and int(current.get("version") or 0) >= TEMPLATE_VERSION:
            continue
        engine.put_template(name, body)
        written.append(name)
        log.info("index template %s %s", name, "created" if current is None else "upgraded")
    return written
