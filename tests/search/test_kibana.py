"""Kibana saved objects (``kibana/govinspect.ndjson``) and the importer.

Kibana itself cannot run on this machine (it is published on no registry reachable here and there is
no Docker), so: the NDJSON is checked for what Kibana's ``_import`` route requires (object types,
unique ids, references resolvable inside the file, JSON-in-string attributes, version stamps); every
field the objects use is checked against the real engines' ``_field_caps`` after indexing a run; and
the importer is tested against a loopback HTTP server of our own that enforces the route's rules
(``kbn-xsrf`` header, multipart field ``file``, ``.ndjson`` filename, 200 reply with
``success``/``errors``).
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import sys
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from govinspect.rectify.lists import IssueOptions, issue_lists
from govinspect.rectify.search import index_lists
from govinspect.search.adapter import SearchEngine
from govinspect.search.config import SearchConfig
from govinspect.search.kibana import KibanaImportError, import_saved_objects
from govinspect.search.mapping import IndexNames
from govinspect.search.sync import run_sync
from govinspect.store import FindingStore
from tests.search.helpers import SITE_A, SITE_B, broken, do_run, leak, stale

ROOT = Path(__file__).resolve().parents[2]
NDJSON = ROOT / "kibana" / "govinspect.ndjson"
TYPES = {"index-pattern", "search", "lens", "dashboard"}
KQL_FIELD = re.compile(r"([A-Za-z_@][\w.@]*)\s*:")


def objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in NDJSON.read_text(encoding="utf-8").splitlines() if line.strip()]


def by_id() -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["type"], o["id"]): o for o in objects()}


def test_ndjson_matches_its_generator() -> None:
    sys.path.insert(0, str(ROOT / "kibana"))
    try:
        import build
    finally:
        sys.path.pop(0)
    assert build.render() == NDJSON.read_text(encoding="utf-8"), "run: python kibana/build.py"


def test_ndjson_structure_is_importable() -> None:
    objs = objects()
    ids = [(o["type"], o["id"]) for o in objs]
    assert len(ids) == len(set(ids))
    kinds = {o["type"] for o in objs}
    assert kinds == TYPES
    known = set(ids)
    for o in objs:
        assert set(o) >= {"type", "id", "attributes", "references", "coreMigrationVersion", "migrationVersion"}
        assert o["type"] in o["migrationVersion"]
        assert o["attributes"]["title"]
        for ref in o["references"]:
            assert set(ref) == {"name", "type", "id"}
            assert (ref["type"], ref["id"]) in known, f"{o['id']} references missing {ref}"
    views = {o["attributes"]["title"]: o for o in objs if o["type"] == "index-pattern"}
    assert set(views) == {"govinspect-findings*", "govinspect-observations-*", "govinspect-rectification*"}
    assert all(v["attributes"]["timeFieldName"] == "@timestamp" for v in views.values())


def test_saved_searches_and_dashboard_shape() -> None:
    objs = by_id()
    titles = {o["attributes"]["title"] for (t, _), o in objs.items() if t == "search"}
    assert len(titles) == 5  # open critical, leaks, broken links, by unit, overdue rectification
    for (kind, _), o in objs.items():
        if kind == "search":
            source = json.loads(o["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert source["query"]["language"] == "kuery"
            ref_names = {r["name"] for r in o["references"]}
            assert source["indexRefName"] in ref_names
        if kind == "lens":
            layers = o["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
            ref_names = {r["name"] for r in o["references"]}
            for layer_id, layer in layers.items():
                assert f"indexpattern-datasource-layer-{layer_id}" in ref_names
                assert layer["columnOrder"] == list(layer["columns"])
            vis = o["attributes"]["state"]["visualization"]
            for vlayer in vis.get("layers", [vis]):
                assert vlayer["layerId"] in layers
    dash = objs[("dashboard", "govinspect-overview")]
    panels = json.loads(dash["attributes"]["panelsJSON"])
    json.loads(dash["attributes"]["optionsJSON"])
    refs = {r["name"]: r for r in dash["references"]}
    assert len(panels) >= 6
    for p in panels:
        ref = refs[f"{p['panelIndex']}:{p['panelRefName']}"]
        assert ref["type"] == p["type"] and (ref["type"], ref["id"]) in objs
    lens_titles = " ".join(objs[("lens", refs[f"{p['panelIndex']}:{p['panelRefName']}"]["id"])]["attributes"]["title"]
                           for p in panels if p["type"] == "lens")
    for needle in ("over time by rule", "by unit", "by severity", "Open vs fixed", "broken targets",
                   "Overdue rectification by unit"):
        assert needle in lens_titles


@pytest.fixture
def indexed(engine: SearchEngine, config: SearchConfig, store: FindingStore) -> Iterator[IndexNames]:
    """A run with every kind of finding the objects show, indexed into the real engine."""
    do_run(store, "r1", [broken(SITE_A, "a.html", "x.pdf"), leak(SITE_A, "b.html"), stale(SITE_A),
                         stale(SITE_B)], sites=(SITE_A, SITE_B))
    run_sync(store, config, engine=engine, refresh=True)
    # rectification lists issued a month ago (overdue now) and their entries index
    issue_lists(store, IssueOptions(as_of=date(2026, 11, 2)))
    index_lists(None, store, date(2026, 12, 1), engine=engine, refresh=True)
    yield IndexNames(config.index_prefix)
    engine.delete_template(f"{config.index_prefix}-rectification")


def test_every_referenced_field_exists_and_aggregates(engine: SearchEngine, indexed: IndexNames) -> None:
    objs = by_id()
    caps = {}
    for (kind, view_id), o in objs.items():
        if kind == "index-pattern":
            title = o["attributes"]["title"].replace("govinspect", indexed.prefix, 1)
            caps[view_id] = engine.field_caps(title)["fields"]
            assert o["attributes"]["timeFieldName"] in caps[view_id]
            assert "date" in caps[view_id]["@timestamp"]

    def check(view: str, field: str, aggregatable: bool, types: set[str] | None = None) -> None:
        entry = caps[view].get(field)
        assert entry, f"{field} missing from {view}"
        for type_name, info in entry.items():
            if types:
                assert type_name in types, f"{field} is {type_name}, want {types}"
            assert info["searchable"], field
            if aggregatable:
                assert info["aggregatable"], f"{field} ({type_name}) not aggregatable"

    checked = 0
    for (kind, _), o in objs.items():
        refs = {r["name"]: r["id"] for r in o["references"]}
        if kind == "search":
            view = refs["kibanaSavedObjectMeta.searchSourceJSON.index"]
            for col in o["attributes"]["columns"]:
                check(view, col, aggregatable=False)
            for field, _ in o["attributes"]["sort"]:
                check(view, field, aggregatable=True)
            query = json.loads(o["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"]
            for field in KQL_FIELD.findall(query):
                check(view, field, aggregatable=True, types={"keyword", "long"})
            checked += 1
        if kind == "lens":
            state = o["attributes"]["state"]
            for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
                view = refs[f"indexpattern-datasource-layer-{layer_id}"]
                for col in layer["columns"].values():
                    if col["sourceField"] == "___records___":
                        continue
                    want = {"date_histogram": {"date"}, "terms": {"keyword"}}.get(col["operationType"])
                    check(view, col["sourceField"], aggregatable=True, types=want)
            for field in KQL_FIELD.findall(state["query"]["query"]):
                check(view, field, aggregatable=True, types={"keyword", "long"})
            checked += 1
    assert checked >= 10


def test_saved_search_queries_find_what_they_promise(engine: SearchEngine, indexed: IndexNames) -> None:
    """The KQL of the saved searches, expressed as the equivalent DSL, selects the intended findings."""
    def rules(query: dict[str, Any]) -> list[str]:
        reply = engine.search(indexed.findings, {"size": 50, "query": query})
        return sorted(h["_source"]["rule"]["id"] for h in reply["hits"]["hits"])

    open_ = {"terms": {"govinspect.finding.status": ["open", "reopened"]}}
    assert rules({"bool": {"filter": [open_, {"term": {"govinspect.severity": "critical"}}]}}) == [
        "freshness.homepage-stale", "freshness.homepage-stale", "leak.id-number"]
    assert rules({"term": {"rule.category": "leak"}}) == ["leak.id-number"]
    assert rules({"bool": {"filter": [open_, {"term": {"rule.id": "link.broken"}}]}}) == ["link.broken"]
    # overdue rectification: open entries of open lists past their deadline (the KQL's DSL twin)
    overdue = {"bool": {"filter": [{"term": {"govinspect.rectification.list_status": "open"}},
                                   {"term": {"govinspect.rectification.entry_status": "open"}},
                                   {"range": {"govinspect.rectification.deadline": {"lt": "now/d"}}}]}}
    reply = engine.search(f"{indexed.prefix}-rectification", {"size": 50, "query": overdue})
    hits = [h["_source"] for h in reply["hits"]["hits"]]
    assert sorted(h["rule"]["id"] for h in hits) == ["freshness.homepage-stale", "freshness.homepage-stale",
                                                      "leak.id-number", "link.broken"]
    assert all(h["govinspect"]["rectification"]["overdue"] for h in hits)


# ---- the importer against a loopback server that enforces Kibana's route rules ----------------------

class FakeKibana(BaseHTTPRequestHandler):
    """Checks what Kibana's import route checks; records the request for the test."""

    requests: list[dict[str, Any]] = []
    reply: dict[str, Any] = {}

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        parts = urlsplit(self.path)
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        record = {"path": parts.path, "query": parse_qs(parts.query), "headers": dict(self.headers)}
        FakeKibana.requests.append(record)
        if not re.fullmatch(r"(/s/[a-z0-9_-]+)?/api/saved_objects/_import", parts.path):
            return self._send(404, {"statusCode": 404, "error": "Not Found"})
        if self.headers.get("kbn-xsrf") is None:
            return self._send(400, {"statusCode": 400, "message": "Request must contain a kbn-xsrf header."})
        ctype = self.headers.get_content_type()
        if ctype != "multipart/form-data":
            return self._send(415, {"statusCode": 415, "error": "Unsupported Media Type"})
        head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
        form = email.message_from_bytes(head + body, policy=email.policy.HTTP)
        files = {p.get_param("name", header="content-disposition"): p for p in form.iter_parts()}
        if "file" not in files:
            return self._send(400, {"statusCode": 400, "message": "[request body.file]: expected value"})
        item = files["file"]
        if not (item.get_filename() or "").lower().endswith(".ndjson"):
            return self._send(400, {"statusCode": 400, "message": f"Invalid file extension {item.get_filename()}"})
        content = item.get_payload(decode=True).decode("utf-8")
        lines = [json.loads(line) for line in content.splitlines() if line.strip()]
        record["objects"] = lines
        self._send(200, FakeKibana.reply or {"success": True, "successCount": len(lines),
                                             "successResults": [{"type": o["type"], "id": o["id"]} for o in lines]})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def kibana() -> Iterator[str]:
    FakeKibana.requests = []
    FakeKibana.reply = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKibana)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_importer_posts_what_kibana_accepts(kibana: str) -> None:
    reply = import_saved_objects(kibana, api_key="c2VjcmV0OmtleQ==")
    assert reply["success"] and reply["successCount"] == len(objects())
    req = FakeKibana.requests[-1]
    assert req["path"] == "/api/saved_objects/_import"
    assert req["query"] == {"overwrite": ["true"]}
    assert req["headers"]["Authorization"] == "ApiKey c2VjcmV0OmtleQ=="
    assert req["objects"] == objects()


def test_importer_space_basic_auth_and_prefix(kibana: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVINSPECT_KIBANA_PASSWORD", "pw")
    import_saved_objects(kibana, username="analyst", space="inspect", index_prefix="gov-prod")
    req = FakeKibana.requests[-1]
    assert req["path"] == "/s/inspect/api/saved_objects/_import"
    assert req["headers"]["Authorization"] == "Basic YW5hbHlzdDpwdw=="  # analyst:pw
    titles = {o["attributes"]["title"] for o in req["objects"] if o["type"] == "index-pattern"}
    assert titles == {"gov-prod-findings*", "gov-prod-observations-*", "gov-prod-rectification*"}


def test_importer_reports_object_errors(kibana: str) -> None:
    FakeKibana.reply = {"success": False, "successCount": 12, "errors": [
        {"id": "govinspect-overview", "type": "dashboard", "error": {"type": "missing_references"}}]}
    with pytest.raises(KibanaImportError) as err:
        import_saved_objects(kibana)
    assert "dashboard/govinspect-overview: missing_references" in str(err.value)
    assert err.value.errors[0]["id"] == "govinspect-overview"


def test_importer_reports_http_refusal(kibana: str) -> None:
    with pytest.raises(KibanaImportError, match="HTTP 404"):
        import_saved_objects(kibana + "/wrong-base")
