"""``link.hijacked-external``: an external link whose landing page now sells gambling, lottery,
pornography, or the domain itself.

Expired domains linked from government pages are re-registered for gambling and porn (外链变异).
The landing page of each external non-government link target is fetched once per run (GET,
size-limited, redirects followed: a fetch wish the crawl carries out) and its title, meta keywords and
visible text are classified with keyword lists (``inspectors/data/hijack-keywords.txt``, extensible):
one keyword in the title is enough; in the text it takes several of one category (a news site that
mentions 体育彩票 once is not a lottery site); a parked-domain phrase counts anywhere.

Verdicts, the referrers waiting for them and the landing pages asked for per site live in the run
state: in a fleet the page that links a target, the landing page's fetch and the site's end may each
happen in another worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lxml import html as lxml_html

from govinspect.findings import Observation
from govinspect.registry import Site
from govinspect.runstate import MemoryRunState, RunState
from govinspect.urls import host_key, is_government_host, normalize_url
from inspectors.base import PAGE, Fetched, FetchWish, Inspector, Page, RunContext, RunView
from inspectors.identity import visible_text
from inspectors.keywords import hits, load_categories, norm
from inspectors.referrers import spread_to_referrers

PURPOSE = "hijack:landing"
CATEGORY_TEXT = {"gambling": "赌博", "lottery": "彩票", "porn": "色情", "parked": "域名出售（停放）"}
MAX_REFERRERS = 20
#: run-state waiting room: landing page (normalised target) → verdict (None: not hijacked); referrers
#: ``[site id, page URL, link text]`` wait there for it
VERDICTS = "hijack.verdict"
#: run-state claims: landing pages asked for, counted per site (HIJACK_MAX_PER_SITE)
WISHED = "hijack.wished"
MAX_TEXT = 20_000


def _meta(tree, name: str) -> str:
    for el in tree.iter("meta"):
        if (el.get("name") or "").lower() == name:
            return el.get("content") or ""
    return ""


class LandingClassifier:
    def __init__(self, categories: dict[str, list[str]], min_text_hits: int, parked_max_text: int):
        self.categories = categories
        self.min_text_hits = min_text_hits
        self.parked_max_text = parked_max_text

    def classify(self, title: str, text: str) -> tuple[str, list[str]] | None:
        """(category, keywords) of a landing page, or None when it looks like an ordinary site."""
        title, text = norm(title), norm(text)
        for category, phrases in self.categories.items():
            found = hits(title, phrases)
            if found:
                return category, found
        for category, phrases in self.categories.items():
            found = hits(text, phrases)
            parked = category == "parked" and len(text) <= self.parked_max_text  # not a news item about one
            if found and (parked or category != "parked" and len(set(found)) >= self.min_text_hits):
                return category, found
        return None


class HijackedExternalInspector(Inspector):
    enabled_setting = "INSPECT_HIJACKED_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        s = self.settings
        self.classifier = LandingClassifier(
            load_categories("hijack-keywords.txt", s.getlist("HIJACK_KEYWORD_FILES")), s.getint("HIJACK_MIN_TEXT_HITS"),
            s.getint("HIJACK_PARKED_MAX_TEXT_CHARS"))
        self.max_bytes = s.getint("HIJACK_MAX_BYTES")
        self.max_per_site = s.getint("HIJACK_MAX_PER_SITE")
        context = RunContext.of(s)
        self.state: RunState = context.state if context is not None and context.state is not None \
            else MemoryRunState("hijack")
        self._run_id: str | None = None
        self._verdicts: dict[str, dict | None] = {}  # verdicts the run state gave (they never change)
        self._hosts: dict[str, frozenset[str]] = {}
        self._last: tuple[Page, list[tuple[str, str]]] | None = None
        self._prepared: tuple[Page, list[str]] | None = None  # the last page's landing pages to fetch

    def _reset(self, run_id: str | None) -> None:
        if run_id != self._run_id:
            self._run_id, self._verdicts, self._prepared = run_id, {}, None

    def _external(self, page: Page) -> list[tuple[str, str]]:
        """(normalised target, link text) of the page's links to non-government hosts outside the cluster.

        Called twice per page (``inspect_page``, ``wanted_fetches``): the answer for the last page is kept.
        Most links stay on the site: a plain split of the URL settles those before any URL parsing.
        """
        if self._last is not None and self._last[0] is page:
            return self._last[1]
        site = page.site
        own = self._hosts.get(site.id)
        if own is None:
            own = self._hosts[site.id] = site.hosts
        registry = page.run.registry if page.run else None
        seen: set[str] = set()
        out: list[tuple[str, str]] = []
        for link in page.links:
            if link.kind != PAGE or link.tag in ("script", "img", "link"):
                continue
            if link.url.partition("://")[2].split("/", 1)[0].split("?", 1)[0].lower() in own:
                continue
            host = host_key(link.url)
            if host in own or is_government_host(host):
                continue
            if registry is not None and registry.site_for_host(host) is not None:
                continue
            target = normalize_url(link.url)
            if target not in seen:
                seen.add(target)
                out.append((target, link.text))
        self._last = (page, out)
        return out

    def _prepare(self, page: Page) -> list[str]:
        """The page's external targets in the run state, once per page (``inspect_page`` and
        ``wanted_fetches`` both ask; a homepage with companions asks for its fetches first): the page
        waits as a referrer for every target not judged yet, and the landing pages to fetch (asked
        for before by any site, or now within this site's budget) are returned. Every linking site
        yields its wish, so it waits for the verdict before it ends; the crawl fetches each once."""
        if self._prepared is not None and self._prepared[0] is page:
            return self._prepared[1]
        site_id = page.site.id
        open_ = [(t, text) for t, text in self._external(page) if t not in self._verdicts]
        wishes: list[str] = []
        if open_:
            verdicts, asked = self.state.wait_or_claim(
                VERDICTS, [(t, [site_id, page.url, text]) for t, text in open_], MAX_REFERRERS,
                WISHED, site_id, self.max_per_site)
            self._verdicts.update(verdicts)
            wishes = [t for t, ok in asked.items() if ok]
        self._prepared = (page, wishes)
        return wishes

    def inspect_page(self, page: Page) -> Iterator[Observation]:
        self._reset(page.run.run_id if page.run else None)
        self._prepare(page)
        for target, text in self._external(page):
            verdict = self._verdicts.get(target)
            if verdict:
                yield self._observation(page.site.id, page.url, target, text, verdict)

    def wanted_fetches(self, page: Page) -> Iterator[FetchWish]:
        self._reset(page.run.run_id if page.run else None)
        for target in self._prepare(page):
            yield FetchWish(target, PURPOSE, self.max_bytes)

    def inspect_fetched(self, fetched: Fetched) -> Iterable[Observation]:
        if fetched.purpose != PURPOSE:
            return
        self._reset(fetched.run.run_id if fetched.run else None)
        target = normalize_url(fetched.url)
        verdict = self.judge(fetched)
        self._verdicts[target] = verdict
        # the referrers of every process; a redo (its worker killed) gets the same ones again
        _, waiting = self.state.resolve(VERDICTS, target, verdict)
        if verdict:
            for site_id, page_url, text in waiting:
                yield self._observation(site_id, page_url, target, text, verdict)

    def judge(self, fetched: Fetched) -> dict | None:
        if fetched.error or fetched.status is None or fetched.status >= 400 or not fetched.text.strip():
            return None
        try:
            tree = lxml_html.document_fromstring(fetched.text)
        except Exception:  # not HTML: nothing to classify
            return None
        title = (tree.findtext(".//title") or "").strip()
        text = " ".join((_meta(tree, "keywords"), _meta(tree, "description"), visible_text(tree)[:MAX_TEXT]))
        found = self.classifier.classify(title, text)
        if found is None:
            return None
        category, keywords = found
        return {"category": category, "keywords": sorted(set(keywords))[:10], "title": title[:200],
                "final_url": fetched.final_url, "status": fetched.status}

    def _observation(self, site_id: str, page_url: str, target: str, link_text: str, verdict: dict) -> Observation:
        what = CATEGORY_TEXT.get(verdict["category"], verdict["category"])
        title = f"“{verdict['title']}”" if verdict["title"] else ""
        return Observation(
            rule="link.hijacked-external", site_id=site_id, page_url=page_url, target_url=target,
            message=f"外部链接指向的网站现为{what}内容{title}，疑似域名过期被抢注，请立即删除该链接：{target}",
            evidence={**verdict, "link_text": (link_text or "")[:200]},
        )

    def site_finished(self, site: Site, view: RunView) -> Iterable[Observation]:
        """Every other page of the site that links a target judged here gets its observation."""
        yield from spread_to_referrers(site, view, "link.hijacked-external")
