"""``link.soft-404``: a link whose target answers 200 but is an error page.

Two signs: the page's title or main heading *is* an error message (a segment such as "404" or
"页面不存在", give or take a site name, on a page with little text), or the page is the site's own
error page. The error page is learned once per run and site by asking for a URL that cannot exist
(a fetch wish on the homepage); pages met before it arrives are held (short pages only) and compared
when it does. An article *about* 404 errors has a long title and a long text: not an error page.

The learned error page, the homepage it is compared with and the pages held for it live in the run
state, so in a fleet a page is judged the same whichever worker learned the site's error page.
Shingles are hashed with CRC-32 (not ``hash()``, which differs between processes).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from govinspect.findings import Observation
from govinspect.registry import Site
from govinspect.runstate import MemoryRunState, RunState
from govinspect.urls import normalize_url
from inspectors.base import Fetched, FetchWish, Inspector, Page, RunContext, RunView
from inspectors.keywords import load_phrases, norm
from inspectors.referrers import spread_to_referrers

PURPOSE = "soft404:error-page"
#: run-state waiting room: site id → its error page (None: none learned); short pages wait for it there
ERROR_PAGES = "soft404.error-page"
#: run-state data: site id → its homepage's shape (an error page like the homepage teaches nothing)
HOMEPAGES = "soft404.homepage"
# the page's text without scripts and styles, in C (the inline-hidden walk of identity.visible_text costs
# ~1 ms a page, and an error page's text needs no such care)
_TEXT = etree.XPath("//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]",
                   smart_strings=False)  # plain strings: no back-reference to the tree built per node
_SEGMENTS = re.compile(r"\s*[-_|–—·:：,，!！。>»/]+\s*|\s{2,}")


@dataclass
class Shape:
    """What a page looks like for the comparison: its title and the shingles of its visible text."""

    url: str
    referer: str | None
    link_text: str | None
    title: str
    shingles: frozenset[int]
    status: int | None = None

    def to_json(self) -> dict[str, Any]:
        # field by field: ``dataclasses.asdict`` deep-copies the shingles first (~2 ms a page held)
        return {"url": self.url, "referer": self.referer, "link_text": self.link_text, "title": self.title,
                "shingles": sorted(self.shingles), "status": self.status}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Shape | None:
        return None if data is None else cls(**{**data, "shingles": frozenset(data["shingles"])})


def shingles(text: str, size: int = 5) -> frozenset[int]:
    """CRC-32 of every ``size`` characters (4 bytes each in UTF-32): the same in every process."""
    squeezed = text.replace(" ", "").encode("utf-32-le", "surrogatepass")
    width = 4 * size
    if len(squeezed) <= width:
        return frozenset({zlib.crc32(squeezed)}) if squeezed else frozenset()
    return frozenset(map(zlib.crc32, [squeezed[i:i + width] for i in range(0, len(squeezed) - width + 4, 4)]))


def page_text(tree) -> str:
    nodes = _TEXT(tree) if tree.find(".//body") is not None or tree.tag == "body" else tree.xpath(".//text()")
    return norm(" ".join(nodes))


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _heading(tree) -> str:
    for tag in ("h1", "h2"):
        for el in tree.iter(tag):
            text = norm(el.text_content())
            if text:
                return text
    return ""


class Soft404Inspector(Inspector):
    enabled_setting = "INSPECT_SOFT404_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        s = self.settings
        self.phrases = sorted(load_phrases("error-page-phrases.txt", s.getlist("SOFT404_PHRASE_FILES")),
                              key=len, reverse=True)
        self.max_text = s.getint("SOFT404_MAX_TEXT_CHARS")
        self.title_extra = s.getint("SOFT404_TITLE_EXTRA_CHARS")
        self.min_similarity = s.getfloat("SOFT404_SIMILARITY")
        self.max_candidates = s.getint("SOFT404_MAX_CANDIDATES")
        self.max_bytes = s.getint("SOFT404_MAX_BYTES")
        context = RunContext.of(s)
        self.state: RunState = context.state if context is not None and context.state is not None \
            else MemoryRunState("soft404")
        self._run_id: str | None = None
        # site id -> its error page (None: none learned), once the run state has it (it never changes)
        self._errors: dict[str, Shape | None] = {}

    def _reset(self, run_id: str | None) -> None:
        if run_id != self._run_id:
            self._run_id, self._errors = run_id, {}

    def _error_page(self, site_id: str) -> tuple[bool, Shape | None]:
        """Whether the site's error page is known yet (by any process), and what it is."""
        if site_id not in self._errors:
            got = self.state.results(ERROR_PAGES, [site_id])
            if site_id not in got:
                return False, None
            self._errors[site_id] = Shape.from_json(got[site_id])
        return True, self._errors[site_id]

    # ---- phrases ---------------------------------------------------------------------------------
    def error_phrase(self, title: str, heading: str) -> str | None:
        """The phrase a title or heading segment consists of (give or take a site name), if any."""
        for text in (title, heading):
            for segment in _SEGMENTS.split(text):
                segment = segment.strip()
                if not segment:
                    continue
                for phrase in self.phrases:
                    if phrase in segment and len(segment) - len(phrase) <= self.title_extra:
                        return phrase
        return None

    # ---- learning the site's error page ------------------------------------------------------------
    def wanted_fetches(self, page: Page) -> Iterator[FetchWish]:
        if not page.is_homepage:
            return
        token = hashlib.sha1(f"{page.run.run_id if page.run else ''}/{page.site.id}".encode()).hexdigest()[:12]
        url = urljoin(page.url, f"/govinspect-{token}/page-that-does-not-exist-{token}.html")
        yield FetchWish(url, PURPOSE, self.max_bytes, priority=90)

    def inspect_fetched(self, fetched: Fetched) -> Iterable[Observation]:
        if fetched.purpose != PURPOSE or fetched.site is None:
            return
        self._reset(fetched.run.run_id if fetched.run else None)
        site = fetched.site
        shape = None
        homepage = normalize_url(site.url)
        if fetched.text.strip() and fetched.status is not None and normalize_url(fetched.final_url) != homepage:
            try:
                from lxml import html as lxml_html

                tree = lxml_html.document_fromstring(fetched.text)
                token = fetched.url.rsplit("-", 1)[-1].split(".", 1)[0]
                text = page_text(tree).replace(token, "")
                shape = Shape(fetched.url, None, None, norm(tree.findtext(".//title") or ""), shingles(text),
                              fetched.status)
            except Exception:  # an error page lxml cannot read: nothing learned
                shape = None
        home = Shape.from_json(self.state.get(HOMEPAGES, site.id)) if shape is not None else None
        if shape is not None and home is not None and self._alike(home, shape):
            shape = None  # every URL answers the homepage (a script-built site's shell): nothing to learn
        self._errors[site.id] = shape
        # the pages held for it, by every process; a redo (its worker killed) gets the same ones again
        _, held = self.state.resolve(ERROR_PAGES, site.id, shape.to_json() if shape is not None else None)
        if shape is None:
            return
        for candidate in (Shape.from_json(h) for h in held):
            if self._alike(candidate, shape):
                yield self._observation(site.id, site.url, candidate, None,
                                        similarity(candidate.shingles, shape.shingles), shape)

    # ---- pages -----------------------------------------------------------------------------------
    def _alike(self, a: Shape, b: Shape) -> bool:
        return a.title == b.title and similarity(a.shingles, b.shingles) >= self.min_similarity

    def inspect_page(self, page: Page) -> Iterator[Observation]:
        if page.status != 200:
            return
        self._reset(page.run.run_id if page.run else None)
        site_id = page.site.id
        title = norm(page.tree.findtext(".//title") or "")
        if page.is_homepage:
            home = Shape(page.url, None, None, title, shingles(page_text(page.tree)))
            self.state.put(HOMEPAGES, site_id, home.to_json())
            return
        phrase = self.error_phrase(title, _heading(page.tree))
        known, error = self._error_page(site_id)
        if not phrase and known and (error is None or error.title != title):
            return  # the common case, decided without reading the text
        text = page_text(page.tree)
        if len(text) > self.max_text:
            return
        shape = Shape(page.url, page.referer, page.link_text, title, frozenset())
        if phrase:
            yield self._observation(site_id, page.site.url, shape, phrase, None, None)
            return
        shape.shingles = shingles(text)
        if not known:  # held for the error page, unless it was learned meanwhile
            got = self.state.wait_for(ERROR_PAGES, [(site_id, shape.to_json())], self.max_candidates)
            if site_id not in got:
                return
            error = self._errors[site_id] = Shape.from_json(got[site_id])
        if error is not None and self._alike(shape, error):
            yield self._observation(site_id, page.site.url, shape, None, similarity(shape.shingles, error.shingles),
                                    error)

    def _observation(self, site_id: str, site_url: str, shape: Shape, phrase: str | None, score: float | None,
                     error: Shape | None) -> Observation:
        why = f"标题或主标题为“{phrase}”" if phrase else "与本站的错误页面相同"
        evidence = {"status": 200, "title": shape.title[:200], "link_text": (shape.link_text or "")[:200],
                    "matched": "phrase" if phrase else "site-error-page"}
        if phrase:
            evidence["phrase"] = phrase
        if score is not None and error is not None:
            evidence.update(similarity=round(score, 3), error_page_probe=error.url,
                            error_page_status=error.status)
        return Observation(
            rule="link.soft-404", site_id=site_id, page_url=shape.referer or site_url, target_url=shape.url,
            message=f"链接指向的页面返回正常状态码（200）但实为错误页面（{why}），请修正或删除该链接：{shape.url}",
            evidence=evidence,
        )

    def site_finished(self, site: Site, view: RunView) -> Iterable[Observation]:
        """Every other page of the site that links a target judged here gets its observation."""
        yield from spread_to_referrers(site, view, "link.soft-404")
