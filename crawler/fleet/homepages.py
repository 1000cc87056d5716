"""A homepage waiting for its companions, as the fleet keeps it: JSON in the run state, not a Page in memory.

In one process the homepage's parsed :class:`Page` rides in its companion requests' meta until the
last companion (footer iframe, ``document.write`` script) arrives and the page is inspected. A request
queued in Redis cannot carry a parsed page (an lxml tree, links pointing into it), and the companion
may be fetched by another worker. So a fleet worker stores what the page was built from (URL, status,
headers, the decoded text, render geometry) under the site in the run state; the companions' HTML is
stored beside it as each arrives, and the worker that handles the last companion rebuilds the page —
same text, same parse, same links — and inspects it. The site's namespace is dropped once it is folded.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from scrapy import Selector
from scrapy.http import HtmlResponse

from crawler.links import MALFORMED, extract_links
from crawler.markup import page_tree
from govinspect.registry import Site
from govinspect.vocabulary import ElementBox, Page, RenderInfo, RunContext

PAGE_KEY = "page"


def namespace(site_id: str) -> str:
    """The run-state namespace of a site's held homepage and its companions."""
    return f"fleet-home:{site_id}"


def page_record(page: Page, cut: bool) -> dict[str, Any]:
    """What rebuilds ``page`` (``cut``: its text was cut at ``PAGE_MAX_TEXT_CHARS``, parsed as such)."""
    rendered = None
    if page.rendered is not None:
        rendered = {"boxes": {k: asdict(b) for k, b in page.rendered.boxes.items()},
                    "screenshot": page.rendered.screenshot,
                    # what the browser reported, as JSON (a value JSON has no type for is kept as text)
                    "extra": json.loads(json.dumps(page.rendered.extra, default=str))}
    return {"url": page.url, "status": page.status, "headers": page.headers, "text": page.text, "cut": cut,
            "depth": page.depth, "is_homepage": page.is_homepage, "referer": page.referer,
            "link_text": page.link_text, "latency": page.latency, "rendered": rendered}


def page_from_record(record: dict[str, Any], site: Site, run: RunContext | None, max_links: int) -> Page:
    """The page :func:`page_record` describes, parsed again as the spider parsed it."""
    url, text = record["url"], record["text"]
    if record["cut"]:
        tree = Selector(text=text).root
    else:  # the same parse as crawler.markup.page_tree of the original response (its decoded text)
        tree = page_tree(HtmlResponse(url, status=record["status"], body=text.encode("utf-8"), encoding="utf-8"))
    links = [link for link in extract_links(tree, url) if link.kind != MALFORMED]
    if max_links:
        links = links[:max_links]
    rendered = None
    if record.get("rendered") is not None:
        raw = record["rendered"]
        extra = dict(raw.get("extra") or {})
        if isinstance(extra.get("document_size"), list):
            extra["document_size"] = tuple(extra["document_size"])
        rendered = RenderInfo(boxes={k: ElementBox(**b) for k, b in raw["boxes"].items()},
                              screenshot=raw.get("screenshot"), extra=extra)
    return Page(url=url, site=site, status=record["status"], headers=record["headers"], text=text, tree=tree,
                links=links, depth=record["depth"], is_homepage=record["is_homepage"], referer=record["referer"],
                link_text=record["link_text"], run=run, rendered=rendered, latency=record["latency"])
