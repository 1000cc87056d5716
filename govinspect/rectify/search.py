"""Rectification lists in Elasticsearch/OpenSearch: one document per list entry, in its own index.

``{prefix}-rectification`` holds each entry with its finding's facts under the same names as the
finding documents (``rule.*``, ``url.full``, ``organization.name``, ``govinspect.site.*``,
``govinspect.finding.fingerprint``) plus ``govinspect.rectification.*`` (number, list and entry
status, issued, deadline, overdue), so Kibana filters findings by list number and overdue state.
``@timestamp`` is the issue date. The index is small (lists are few): every call rewrites it whole.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from typing import Any

from govinspect.masking import mask_text, mask_url
from govinspect.rectify.lists import all_lists, is_overdue, load_list
from govinspect.rectify.tables import Tables
from govinspect.rules import RULES, category

logger = logging.getLogger(__name__)
TEMPLATE_VERSION = 1


def index_name(prefix: str) -> str:
    return f"{prefix}-rectification"


def template(prefix: str) -> dict[str, Any]:
    from govinspect.search.mapping import DEFAULT_ANALYZER, _kw
    from govinspect.search.mapping import template as base_template

    body = base_template(f"{index_name(prefix)}*", "rectification", DEFAULT_ANALYZER)
    body["version"] = TEMPLATE_VERSION
    props = body["template"]["mappings"]["properties"]
    props["govinspect"]["properties"]["rectification"] = {"properties": {
        "number": _kw(), "list_status": _kw(), "entry_status": _kw(), "position": {"type": "long"},
        "issued": {"type": "date"}, "deadline": {"type": "date"}, "closed_at": {"type": "date"},
        "fixed_at": {"type": "date"}, "overdue": {"type": "boolean"}, "issued_by": _kw(), "check_note": _kw(),
    }}
    return body


def entry_document(lst: dict[str, Any], e: dict[str, Any], today: date, finding_status: str | None) -> dict[str, Any]:
    rule = RULES.get(e["rule"])
    doc: dict[str, Any] = {
        "@timestamp": lst["issued"],
        "message": mask_text(e["message"]),
        "event": {"kind": "state", "dataset": "govinspect.rectification", "module": "govinspect",
                  "id": e["fingerprint"]},
        "rule": {"id": e["rule"], "name": rule.name if rule else e["rule"], "category": category(e["rule"]),
                 "ruleset": "govinspect"},
        "url": {"full": mask_url(e["page_url"])},
        "organization": {"name": lst["organizer"]},
        "govinspect": {
            "severity": e["severity"],
            "site": {"id": e["site_id"], "name": e["site_name"]},
            "finding": {"fingerprint": e["fingerprint"], "status": finding_status},
            "rectification": {
                "number": lst["number"], "list_status": lst["status"],
                "entry_status": "fixed" if e["status"] == "fixed" else "open", "position": e["position"],
                "issued": lst["issued"], "deadline": lst["deadline"], "closed_at": lst.get("closed_at"),
                "fixed_at": e.get("fixed_at"), "overdue": is_overdue(lst, today) and e["status"] != "fixed",
                "issued_by": lst["issued_by"], "check_note": e.get("check_note"),
            },
        },
    }
    if e.get("target_url"):
        doc["govinspect"]["target"] = {"url": mask_url(e["target_url"])}
    return doc


def documents(store: Any, today: date) -> list[tuple[str, dict[str, Any]]]:
    tables = Tables(store)
    statuses = {r["fingerprint"]: r["status"] for r in tables.query("SELECT fingerprint, status FROM findings")}
    out = []
    for head in all_lists(tables):
        lst = load_list(tables, head["number"])
        for e in lst["entries"]:
            doc_id = hashlib.sha1(f"{lst['number']}\x1f{e['fingerprint']}".encode()).hexdigest()
            out.append((doc_id, entry_document(lst, e, today, statuses.get(e["fingerprint"]))))
    return out


def index_lists(settings: Any, store: Any, today: date | None = None, engine: Any = None,
                refresh: bool = False) -> int | None:
    """Write every entry into the rectification index; None when no engine is configured or it is down."""
    from govinspect.search.adapter import EngineError, EngineUnavailable, SearchEngine
    from govinspect.search.config import SearchConfig

    config = engine.config if engine is not None else SearchConfig.load(settings)
    if not config.enabled:
        return None
    today = today or date.today()
    try:
        engine = engine or SearchEngine(config)
        prefix = config.index_prefix
        current = engine.get_template(index_name(prefix))
        if current is None or int(current.get("version") or 0) < TEMPLATE_VERSION:
            engine.put_template(index_name(prefix), template(prefix))
        ops: list[dict[str, Any]] = []
        for doc_id, doc in documents(store, today):
            ops.append({"index": {"_index": index_name(prefix), "_id": doc_id}})
            ops.append(doc)
        if ops:
            reply = engine.bulk(ops, refresh=refresh)
            if reply.get("errors"):
                logger.warning("some rectification entries were not indexed: %s", str(reply)[:500])
        return len(ops) // 2
    except (EngineUnavailable, EngineError) as exc:
        logger.warning("rectification lists not indexed (%s); they are in the store", exc)
        return None
