"""Findings of the issue-10 rules (interaction, coordination, page meta, domain, superior link, annual
report) flow like the others: from the demo crawl's store through ``govinspect export`` (jsonl, csv,
xlsx) and ``govinspect es sync`` into a real engine."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl

from govinspect.export import HEADERS_ZH
from govinspect.search.adapter import SearchEngine
from govinspect.search.config import SearchConfig
from govinspect.search.mapping import IndexNames
from tests.support.cli import clean_env, govinspect

RULES = {
    "interaction.unanswered", "interaction.reply-fields-missing", "policy.repost-late", "identity.meta-missing",
    "identity.domain-nonstandard", "identity.superior-link-missing", "identity.annual-report-missing",
}


def test_issue10_findings_in_every_export(demo_crawl, tmp_path: Path) -> None:
    rules: dict[str, set[str]] = {}
    for fmt in ("jsonl", "csv", "xlsx"):
        out = tmp_path / f"f.{fmt}"
        result = govinspect("export", "--store", str(demo_crawl.store), "--format", fmt, "--out", str(out))
        assert result.returncode == 0, result.stderr[-2000:]
        if fmt == "jsonl":
            records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            rules[fmt] = {r["rule"] for r in records}
            meta = [r for r in records if r["rule"] == "identity.meta-missing"]
            assert all(r["evidence"]["page_kind"] and r["evidence"]["tag"] for r in meta)
        elif fmt == "csv":
            with out.open(encoding="utf-8-sig") as fh:
                rules[fmt] = {row["rule"] for row in csv.DictReader(fh)}
        else:
            sheet = openpyxl.load_workbook(out, read_only=True).active
            rows = list(sheet.iter_rows(values_only=True))
            col = rows[0].index(HEADERS_ZH["rule"])  # one header row, in Chinese
            rules[fmt] = {r[col] for r in rows[1:]}
    for fmt, found in rules.items():
        assert RULES <= found, (fmt, RULES - found)


def test_issue10_findings_reach_the_index(demo_crawl, engine_url: str, config: SearchConfig,
                                          engine: SearchEngine) -> None:
    env = clean_env(GOVINSPECT_ES_URL=engine_url, GOVINSPECT_ES_INDEX_PREFIX=config.index_prefix)
    result = govinspect("es", "sync", "--store", str(demo_crawl.store), env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    names = IndexNames(config.index_prefix)
    engine.refresh(names.findings)
    body = {"size": 0, "aggs": {"rules": {"terms": {"field": "rule.id", "size": 100}},
                                "cats": {"terms": {"field": "rule.category", "size": 100}}}}
    aggs = engine.search(names.findings, body)["aggregations"]
    assert RULES <= {b["key"] for b in aggs["rules"]["buckets"]}
    assert {"interaction", "policy", "identity"} <= {b["key"] for b in aggs["cats"]["buckets"]}
