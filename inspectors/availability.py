"""``site.availability-low``: the share of failed homepage probes over the last 7 days of real time.

Probes come from ``govinspect probe`` (``govinspect/probing.py``) and from the crawl itself: this
inspector turns the crawl's homepage answer into a probe (``Probe`` item; a homepage that could not be
fetched at all is recorded by ``pipelines.monitor``). A probe fails when the homepage does not answer
within the timeout, fails in transport, answers HTTP >= 500, or answers a blank or maintenance page
(系统维护中). The window ends when the crawl ends; ``--as-of`` does not move it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from lxml import html as lxml_html
from lxml.html import HtmlElement

from govinspect.findings import Observation
from govinspect.monitoring import Probe, utc_iso
from govinspect.registry import Site
from inspectors.base import Inspector, Page, RunView
from inspectors.identity import visible_text
from inspectors.keywords import hits, load_phrases, norm

OUTCOME_TEXT = {
    "timeout": "超时", "dns": "域名解析失败", "refused": "连接被拒绝", "tls": "加密连接错误",
    "connection": "连接中断", "blank": "空白页面", "maintenance": "维护页面",
}


class AnswerClassifier:
    """Decides whether a homepage answer counts as available (shared by probes and the crawl)."""

    def __init__(self, blank_max_chars: int, maintenance_max_chars: int, phrases: list[str]):
        self.blank_max = blank_max_chars
        self.maintenance_max = maintenance_max_chars
        self.phrases = phrases

    @classmethod
    def from_settings(cls, settings) -> AnswerClassifier:
        return cls(settings.getint("AVAILABILITY_BLANK_MAX_CHARS"),
                   settings.getint("AVAILABILITY_MAINTENANCE_MAX_CHARS"),
                   load_phrases("maintenance-phrases.txt", settings.getlist("AVAILABILITY_MAINTENANCE_FILES")))

    def classify(self, status: int | None, error: str | None = None, tree: HtmlElement | None = None,
                 body: str | None = None) -> tuple[bool, str]:
        """(ok, outcome). A 4xx homepage answered: it is a broken page, not an outage."""
        if error:
            return False, error
        if status is None:
            return False, "connection"
        if status >= 500:
            return False, f"http-{status}"
        if status >= 300:
            return True, f"http-{status}"
        if tree is None:
            if body is None or not body.strip():
                return False, "blank"
            try:
                tree = lxml_html.document_fromstring(body)
            except Exception:  # not HTML at all (an image, a broken document): it answered
                return True, "ok"
        text = norm(visible_text(tree))
        title = norm(tree.findtext(".//title") or "")
        if hits(title, self.phrases) or (len(text) <= self.maintenance_max and hits(text, self.phrases)):
            return False, "maintenance"
        if len(text.replace(" ", "")) < self.blank_max and not _has_content_elements(tree):
            return False, "blank"
        return True, "ok"


def _has_content_elements(tree: HtmlElement) -> bool:
    """Script-built and framed homepages carry no text of their own but are not blank."""
    for tag in ("script", "iframe", "frame", "img", "embed", "object", "canvas"):
        for el in tree.iter(tag):
            if tag != "script" or el.get("src"):
                return True
    return False


class AvailabilityInspector(Inspector):
    enabled_setting = "INSPECT_AVAILABILITY_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        s = self.settings
        self.classifier = AnswerClassifier.from_settings(s)
        self.window_days = s.getint("AVAILABILITY_WINDOW_DAYS")
        self.warn_rate = s.getfloat("AVAILABILITY_WARN_RATE")
        self.critical_rate = s.getfloat("AVAILABILITY_CRITICAL_RATE")
        self.expected_per_day = s.getint("AVAILABILITY_EXPECTED_PER_DAY")
        self.min_probes = s.getint("AVAILABILITY_MIN_PROBES")

    def inspect_page(self, page: Page) -> Iterator[Probe]:
        if not page.is_homepage:
            return
        ok, outcome = self.classifier.classify(page.status, tree=page.tree)
        latency = int(page.latency * 1000) if page.latency is not None else None
        yield Probe(site_id=page.site.id, url=page.site.url, ok=ok, outcome=outcome, status=page.status,
                    latency_ms=latency, source="crawl", run_id=page.run.run_id if page.run else None)

    def site_finished(self, site: Site, view: RunView) -> Iterable[Observation]:
        until = datetime.now(UTC)
        since = until - timedelta(days=self.window_days)
        probes = view.probes(site.id, utc_iso(since), utc_iso(until))
        yield from self.judge(site, probes)

    def judge(self, site: Site, probes: list[dict]) -> Iterator[Observation]:
        total = len(probes)
        if total < max(1, self.min_probes):
            return
        failed = [p for p in probes if not p["ok"]]
        rate = len(failed) / total
        if rate < self.warn_rate:
            return
        critical = rate >= self.critical_rate
        per_day = total / self.window_days
        outcomes = Counter(p["outcome"] for p in failed)
        shown = "、".join(f"{OUTCOME_TEXT.get(o, o.replace('http-', 'HTTP '))}{n}次" for o, n in outcomes.most_common())
        line = "达到5%单项否决线" if critical else "超过3%预警线"
        short = f"，少于应有的每天{self.expected_per_day}次" if per_day < self.expected_per_day else ""
        yield Observation(
            rule="site.availability-low", site_id=site.id, page_url=site.url,
            severity="critical" if critical else None,
            message=(f"近{self.window_days}天首页可用性监测{total}次，失败{len(failed)}次（{rate:.1%}，{shown}），"
                     f"{line}；日均监测{per_day:.1f}次{short}。请排查服务器、网络和维护安排，保证首页稳定访问：{site.url}"),
            evidence={
                "probes": total, "failed": len(failed), "failure_rate": round(rate, 4),
                "window_days": self.window_days, "probes_per_day": round(per_day, 1),
                "expected_per_day": self.expected_per_day, "below_expected": per_day < self.expected_per_day,
                "outcomes": dict(outcomes), "first_probe": probes[0]["probed_at"],
                "last_probe": probes[-1]["probed_at"],
                "sources": dict(Counter(p["source"] for p in probes)),
            },
        )
