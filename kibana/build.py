"""Generates ``kibana/govinspect.ndjson`` (Kibana 8.8+ saved objects) from readable Python.

Hand-editing nested JSON-in-JSON strings is error-prone, so the file is generated and a test checks
that the committed file equals this script's output. Run: ``python kibana/build.py``.
Stamps are Kibana 8.8 (``coreMigrationVersion`` 8.8.0, Lens ``formBased`` 8.6.0, dashboard 8.7.0):
Kibana migrates older objects up on import but refuses newer ones, so the oldest supported is used.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("govinspect.ndjson")
CORE = "8.8.0"
FINDINGS_VIEW = "govinspect-findings"
OBSERVATIONS_VIEW = "govinspect-observations"
RECTIFICATION_VIEW = "govinspect-rectification"
OPEN = 'govinspect.finding.status : ("open" or "reopened")'
# open entries of open lists whose deadline has passed (KQL date math: stays true as days pass)
OVERDUE = ('govinspect.rectification.list_status : "open" and govinspect.rectification.entry_status : "open"'
           " and govinspect.rectification.deadline < now/d")


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def data_view(view_id: str, title: str, name: str) -> dict[str, Any]:
    return {"type": "index-pattern", "id": view_id,
            "attributes": {"title": title, "name": name, "timeFieldName": "@timestamp"},
            "references": [], "coreMigrationVersion": CORE, "migrationVersion": {"index-pattern": "8.0.0"}}


def saved_search(search_id: str, title: str, kql: str, columns: list[str],
                 sort: list[list[str]], view: str = FINDINGS_VIEW) -> dict[str, Any]:
    source = {"query": {"query": kql, "language": "kuery"}, "filter": [],
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    return {"type": "search", "id": search_id,
            "attributes": {"title": title, "description": "", "columns": columns, "sort": sort,
                           "kibanaSavedObjectMeta": {"searchSourceJSON": _j(source)}},
            "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern",
                            "id": view}],
            "coreMigrationVersion": CORE, "migrationVersion": {"search": "7.9.3"}}


def terms(field: str, size: int, order_by: str = "cnt") -> dict[str, Any]:
    return {"label": f"Top values of {field}", "dataType": "string", "operationType": "terms",
            "sourceField": field, "isBucketed": True, "scale": "ordinal",
            "params": {"size": size, "orderBy": {"type": "column", "columnId": order_by},
                       "orderDirection": "desc", "otherBucket": True, "missingBucket": False}}


DATE_HISTOGRAM = {"label": "@timestamp", "dataType": "date", "operationType": "date_histogram",
                  "sourceField": "@timestamp", "isBucketed": True, "scale": "interval",
                  "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False}}
COUNT = {"label": "Count of records", "dataType": "number", "operationType": "count",
         "sourceField": "___records___", "isBucketed": False, "scale": "ratio",
         "params": {"emptyAsNull": True}}


def metric(operation: str, field: str, label: str) -> dict[str, Any]:
    """A numeric metric column (max, min, average, sum) of a Lens layer."""
    return {"label": label, "customLabel": True, "dataType": "number", "operationType": operation,
            "sourceField": field, "isBucketed": False, "scale": "ratio", "params": {"emptyAsNull": True}}


def lens(lens_id: str, title: str, view: str, vis_type: str, columns: dict[str, Any],
         visualization: dict[str, Any], kql: str = "") -> dict[str, Any]:
    layer = {"columnOrder": list(columns), "columns": columns, "incompleteColumns": {}}
    state = {"datasourceStates": {"formBased": {"layers": {"L1": layer}}},
             "visualization": visualization, "query": {"query": kql, "language": "kuery"}, "filters": []}
    return {"type": "lens", "id": lens_id,
            "attributes": {"title": title, "description": "", "visualizationType": vis_type, "state": state},
            "references": [{"type": "index-pattern", "id": view, "name": "indexpattern-datasource-layer-L1"}],
            "coreMigrationVersion": CORE, "migrationVersion": {"lens": "8.6.0"}}


def xy(series: str, x: str, split: str | None = None) -> dict[str, Any]:
    layer: dict[str, Any] = {"layerId": "L1", "layerType": "data", "seriesType": series, "xAccessor": x,
                             "accessors": ["cnt"]}
    if split:
        layer["splitAccessor"] = split
    return {"legend": {"isVisible": True, "position": "right"}, "valueLabels": "hide",
            "preferredSeriesType": series, "layers": [layer]}


def pie(group: str) -> dict[str, Any]:
    return {"shape": "donut", "layers": [{
        "layerId": "L1", "layerType": "data", "primaryGroups": [group], "metrics": ["cnt"],
        "numberDisplay": "value", "categoryDisplay": "default", "legendDisplay": "default",
        "nestedLegend": False}]}


def table(*column_ids: str) -> dict[str, Any]:
    return {"layerId": "L1", "layerType": "data", "columns": [{"columnId": c} for c in column_ids]}


def dashboard(dash_id: str, title: str, panels: list[tuple[str, str, int, int, int, int]]) -> dict[str, Any]:
    """``panels``: (type, saved object id, x, y, w, h) on Kibana's 48-column grid."""
    items, refs = [], []
    for i, (kind, obj_id, x, y, w, h) in enumerate(panels, start=1):
        pid = f"p{i}"
        items.append({"version": CORE, "type": kind, "gridData": {"x": x, "y": y, "w": w, "h": h, "i": pid},
                      "panelIndex": pid, "embeddableConfig": {"enhancements": {}},
                      "panelRefName": f"panel_{pid}"})
        refs.append({"name": f"{pid}:panel_{pid}", "type": kind, "id": obj_id})
    options = {"useMargins": True, "syncColors": False, "syncCursor": True, "syncTooltips": False,
               "hidePanelTitles": False}
    return {"type": "dashboard", "id": dash_id,
            "attributes": {"title": title, "description": "政府网站检查发现总览 govinspect findings overview",
                           "timeRestore": False, "version": 1, "optionsJSON": _j(options),
                           "panelsJSON": _j(items),
                           "kibanaSavedObjectMeta": {"searchSourceJSON": _j(
                               {"query": {"query": "", "language": "kuery"}, "filter": []})}},
            "references": refs, "coreMigrationVersion": CORE, "migrationVersion": {"dashboard": "8.7.0"}}


COLUMNS = ["organization.name", "govinspect.site.name", "rule.name", "govinspect.severity",
           "govinspect.finding.status", "url.full", "message"]


def objects() -> list[dict[str, Any]]:
    return [
        data_view(FINDINGS_VIEW, "govinspect-findings*", "govinspect 检查发现 findings (state)"),
        data_view(OBSERVATIONS_VIEW, "govinspect-observations-*",
                  "govinspect 每次检查 observations (per run)"),
        data_view(RECTIFICATION_VIEW, "govinspect-rectification*",
                  "govinspect 整改清单 rectification entries"),
        saved_search("govinspect-search-open-critical", "未整改严重问题 Open critical findings",
                     f'{OPEN} and govinspect.severity : "critical"', COLUMNS, [["@timestamp", "desc"]]),
        saved_search("govinspect-search-leaks", "信息泄露 Leaks", 'rule.category : "leak"',
                     [*COLUMNS, "govinspect.target.url"], [["@timestamp", "desc"]]),
        saved_search("govinspect-search-broken-links", "不可用链接 Broken links",
                     f'rule.id : "link.broken" and {OPEN}',
                     ["organization.name", "govinspect.target.url", "http.response.status_code",
                      "govinspect.finding.occurrences", "url.full"],
                     [["govinspect.finding.occurrences", "desc"]]),
        saved_search("govinspect-search-by-unit", "按单位未整改问题 Open findings by unit", OPEN, COLUMNS,
                     [["organization.name", "asc"], ["event.severity", "desc"]]),
        lens("govinspect-lens-rule-over-time", "按规则的问题趋势 Findings over time by rule",
             OBSERVATIONS_VIEW, "lnsXY",
             {"rule": terms("rule.name", 10), "time": DATE_HISTOGRAM, "cnt": COUNT},
             xy("bar_stacked", "time", "rule")),
        lens("govinspect-lens-severity-over-time", "按严重程度的问题趋势 Findings over time by severity",
             OBSERVATIONS_VIEW, "lnsXY",
             {"sev": terms("govinspect.severity", 4), "time": DATE_HISTOGRAM, "cnt": COUNT},
             xy("area_stacked", "time", "sev")),
        lens("govinspect-lens-by-unit", "各单位未整改问题 Open findings by unit", FINDINGS_VIEW, "lnsXY",
             {"unit": terms("organization.name", 20), "cnt": COUNT}, xy("bar_horizontal", "unit"), OPEN),
        lens("govinspect-lens-by-severity", "未整改问题严重程度 Open findings by severity", FINDINGS_VIEW,
             "lnsPie", {"sev": terms("govinspect.severity", 4), "cnt": COUNT}, pie("sev"), OPEN),
        lens("govinspect-lens-open-vs-fixed", "整改情况 Open vs fixed", FINDINGS_VIEW, "lnsPie",
             {"status": terms("govinspect.finding.status", 3), "cnt": COUNT}, pie("status")),
        lens("govinspect-lens-broken-targets", "不可用链接排行 Top broken targets", FINDINGS_VIEW,
             "lnsDatatable", {"target": terms("govinspect.target.url", 20), "cnt": COUNT},
             table("target", "cnt"), f'rule.id : "link.broken" and {OPEN}'),
        saved_search("govinspect-search-overdue-rectification", "逾期未整改 Overdue rectification", OVERDUE,
                     ["govinspect.rectification.number", "organization.name", "govinspect.site.name", "rule.name",
                      "govinspect.rectification.deadline", "url.full", "message"],
                     [["govinspect.rectification.deadline", "asc"]], view=RECTIFICATION_VIEW),
        lens("govinspect-lens-overdue-by-unit", "各单位逾期未整改 Overdue rectification by unit", RECTIFICATION_VIEW,
             "lnsXY", {"unit": terms("organization.name", 20), "cnt": COUNT}, xy("bar_horizontal", "unit"),
             OVERDUE),
        lens("govinspect-lens-availability", "首页可用性（近7天监测） Homepage availability", FINDINGS_VIEW,
             "lnsDatatable",
             {"site": terms("govinspect.site.name", 50, order_by="rate"), "sev": terms("govinspect.severity", 2),
              "rate": metric("max", "govinspect.availability.failure_rate", "失败率 failure rate"),
              "probes": metric("max", "govinspect.availability.probes", "监测次数 probes"),
              "perday": metric("min", "govinspect.availability.probes_per_day", "日均次数 probes/day")},
             table("site", "sev", "rate", "probes", "perday"), f'rule.id : "site.availability-low" and {OPEN}'),
        dashboard("govinspect-overview", "政府网站检查总览 govinspect overview", [
            ("lens", "govinspect-lens-rule-over-time", 0, 0, 24, 15),
            ("lens", "govinspect-lens-severity-over-time", 24, 0, 24, 15),
            ("lens", "govinspect-lens-by-unit", 0, 15, 24, 15),
            ("lens", "govinspect-lens-by-severity", 24, 15, 12, 15),
            ("lens", "govinspect-lens-open-vs-fixed", 36, 15, 12, 15),
            ("lens", "govinspect-lens-broken-targets", 0, 30, 24, 15),
            ("search", "govinspect-search-open-critical", 24, 30, 24, 15),
            ("lens", "govinspect-lens-availability", 0, 45, 48, 12),
            ("lens", "govinspect-lens-overdue-by-unit", 0, 57, 24, 15),
            ("search", "govinspect-search-overdue-rectification", 24, 57, 24, 15),
        ]),
    ]


def render() -> str:
    return "".join(_j(obj) + "\n" for obj in objects())


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT} ({len(objects())} objects)")
