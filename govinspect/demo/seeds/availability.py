"""A registered site whose every URL answers 503: ``site.unreachable``, and broken 站群 links to it
(those manifest entries are derived by the generator from ``down``)."""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder

BODY = "<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1></body></html>"


def plan(b: ClusterBuilder) -> None:
    if site := b.site("down"):
        site.down = True


def apply(b: ClusterBuilder) -> None:
    for site in b.sites:
        if site.down:
            b.behave(site.host, None, status=503, body=BODY, content_type="text/html; charset=utf-8")
