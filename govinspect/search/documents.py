"""Finding records (``findings.md``) and per-run observations → index documents (ECS names).

The field-by-field table is in ``docs/elasticsearch.md``. Text is masked again here: the store masks
what it keeps, but the index is another writer and masking is idempotent, so a record that reached
this module by another path still cannot put personal data into the index.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from govinspect.masking import mask_text, mask_value
from govinspect.rules import RULES, category

ECS_VERSION = "8.11.0"
AVAILABILITY_FIELDS = ("failure_rate", "probes", "failed", "probes_per_day")
SEVERITY_SCORE = {"critical": 4, "high": 3, "medium": 2, "low": 1}


@lru_cache(maxsize=4096)
def _url_parts(url: str) -> tuple[str | None, str, str]:
    """(host, path, scheme) of a URL; pages and targets repeat a lot within a run."""
    parts = urlsplit(url)
    return parts.hostname, parts.path or "/", parts.scheme


def _domain(url: str | None) -> str | None:
    return (_url_parts(url)[0] or None) if url else None


def evidence_text(evidence: Any) -> str:
    """All evidence values as one searchable line (keys dropped, values in order). Callers pass
    evidence already masked by :func:`mask_value`; masking is not repeated here."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)
        elif value is not None and not isinstance(value, bool):
            parts.append(str(value))

    walk(evidence)
    return " ".join(parts)


def _status_code(evidence: Any) -> int | None:
    if isinstance(evidence, dict):
        for key in ("status", "http_status", "status_code"):
            value = evidence.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
                return value
    return None


def _common(rec: dict[str, Any], dataset: str, kind: str) -> dict[str, Any]:
    """Fields both the finding and the observation document carry."""
    rule_id = rec["rule"]
    rule = RULES.get(rule_id)
    page = rec["page_url"]
    target = rec.get("target_url")
    evidence = mask_value(rec.get("evidence") or {})
    host, path, scheme = _url_parts(page)
    doc: dict[str, Any] = {
        "message": mask_text(rec["message"]),
        "ecs": {"version": ECS_VERSION},
        "event": {
            "kind": kind, "category": ["web"], "type": ["info"], "dataset": dataset,
            "module": "govinspect", "id": rec["fingerprint"],
            "severity": SEVERITY_SCORE.get(rec["severity"], 0),
        },
        "rule": {"id": rule_id, "name": rule.name if rule else rule_id, "category": category(rule_id),
                 "ruleset": "govinspect"},
        "url": {"full": page, "domain": host, "path": path, "scheme": scheme},
        "organization": {"name": rec["organizer"]},
        "observer": {"product": "govinspect", "vendor": "govinspect", "type": "crawler"},
        "govinspect": {
            "severity": rec["severity"],
            "site": {"id": rec["site_id"], "name": rec["site_name"]},
            "finding": {"fingerprint": rec["fingerprint"]},
            "evidence": evidence,
            "evidence_text": evidence_text(evidence),
        },
    }
    if target:
        doc["govinspect"]["target"] = {"url": target, "domain": _domain(target)}
    if rule_id == "site.availability-low" and isinstance(evidence, dict):
        doc["govinspect"]["availability"] = {k: evidence[k] for k in AVAILABILITY_FIELDS if k in evidence}
    status_code = _status_code(evidence)
    if status_code is not None:
        doc["http"] = {"response": {"status_code": status_code}}
    if rec.get("screenshot"):
        doc["govinspect"]["screenshot"] = rec["screenshot"]
    return doc


def finding_document(
    record: dict[str, Any], *, reopened_count: int = 0, updated_at: str | None = None
) -> dict[str, Any]:
    """The state document of one finding (``_id`` = fingerprint); ``@timestamp`` = ``last_seen``."""
    doc = _common(record, "govinspect.finding", "state")
    doc["@timestamp"] = record["last_seen"]
    doc["govinspect"]["finding"].update({
        "status": record["status"], "first_seen": record["first_seen"], "last_seen": record["last_seen"],
        "fixed_at": record.get("fixed_at"), "reopened_count": reopened_count,
        "occurrences": record["occurrences"], "run_id": record["run_id"], "updated_at": updated_at,
    })
    doc["govinspect"]["run"] = {"id": record["run_id"]}
    doc["govinspect"]["referrers"] = list(record.get("referrers") or [])
    return doc


def observation_document(
    run_id: str, fingerprint: str, rows: list[dict[str, Any]], site_name: str, organizer: str
) -> dict[str, Any]:
    """One finding as one run saw it (``_id`` = ``fingerprint:run_id``): the append-only trend record.

    ``rows`` are that run's observation rows of the finding, oldest first (as the store keeps them).
    """
    latest = rows[-1]
    pages: list[str] = []
    for r in rows:
        if r["page_url"] not in pages:
            pages.append(r["page_url"])
    evidence = latest["evidence"]
    record = {
        "fingerprint": fingerprint, "rule": latest["rule"], "severity": latest["severity"],
        "site_id": latest["site_id"], "site_name": site_name, "organizer": organizer,
        "page_url": pages[0], "target_url": latest.get("target_url"), "message": latest["message"],
        "evidence": json.loads(evidence) if isinstance(evidence, str) else evidence,
        "screenshot": latest.get("screenshot"),
    }
    doc = _common(record, "govinspect.observation", "alert")
    seen = [r["seen_at"] for r in rows]
    doc["@timestamp"] = max(seen)
    doc["govinspect"]["finding"].update({
        "first_seen": min(seen), "last_seen": max(seen), "occurrences": len(pages), "run_id": run_id,
    })
    doc["govinspect"]["run"] = {"id": run_id}
    doc["govinspect"]["referrers"] = pages[:20]
    return doc


def observation_id(fingerprint: str, run_id: str) -> str:
    return f"{fingerprint}:{run_id}"


def parse_time(value: str) -> datetime:
    """ISO 8601 (as the store writes it) → aware datetime."""
    return datetime.fromisoformat(value)
