"""Availability probes (``site.availability-low``): homepages that fail the first probes of a run.

The demo (and the demo test) probes every homepage ``DEMO_PROBE_ROUNDS`` times before it crawls; the
failures meet probes only (the server matches the probes' User-Agent), so the crawl and other clients
see the homepages as usual: 教育局 answers 503 to the first two (2 of 21 probes with the
crawl's own: critical), 民政局 shows a 系统维护中 page to the first one (1 of 21, 4.8 %: high), the
site that is down fails all of them. Decoy: 示南县's homepage carries a notice about maintenance of
another system, which is no maintenance page.
"""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder

DEMO_PROBE_ROUNDS = 20  # probes per homepage before the crawl (govinspect demo, tests/conftest.py)
WINDOW = 3600.0  # the server's counting window for the failing first requests
PROBE_AGENT = "availability probe"  # in PROBE_USER_AGENT: only probes meet these failures
MAINTENANCE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>系统维护中</title></head>'
               "<body><p>系统维护中，预计30分钟后恢复访问，给您带来不便敬请谅解。</p></body></html>")


def apply(b: ClusterBuilder) -> None:
    if (site := b.site("jyj")) and not site.down:
        b.behave(site.host, "/", status=503, times=2, window=WINDOW, user_agent=PROBE_AGENT)
        b.expect("site.availability-low", site, page_url=site.url, severity="critical",
                 note="2 of 21 probes answered 503 (9.5 %)")
    if (site := b.site("mzj")) and not site.down:
        b.behave(site.host, "/", status=200, body=MAINTENANCE, times=1, window=WINDOW, user_agent=PROBE_AGENT)
        b.expect("site.availability-low", site, page_url=site.url, severity="high",
                 note="1 of 21 probes showed 系统维护中 (4.8 %)")
    for site in b.sites:
        if site.down:
            b.expect("site.availability-low", site, page_url=site.url, severity="critical",
                     note="every probe answered 503")
    if (site := b.site("county_a")) and not site.down:
        b.inject(site.url, '<div class="block"><h2>公告</h2><p>关于12345热线业务系统维护中暂停网上受理的公告：'
                           "本周六凌晨系统升级期间，请通过电话办理。</p></div>")
        b.expect("site.availability-low", site, page_url=site.url, expect="no-finding",
                 note="homepage notice about maintenance of another system")
