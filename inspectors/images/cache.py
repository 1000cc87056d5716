"""One analysis per image per run: by URL, and by content hash so copies at other URLs are free.

The store is shared by the image inspector and the emblem-presence inspector (one per crawler). Its
shared part lives in the run state (``RunContext.of(settings).state``), so a fleet judges like one
process: the analysis of each image URL, the page contexts still waiting for an image's bytes (a
page and its image's download may be handled by different workers, and a worker killed after taking
them leaves them for the request's redo), and the images asked for, counted per site. What stays in
this process is a cache: analyses known here, and the verdicts by content hash (never pixels).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govinspect.runstate import MemoryRunState, RunState
from govinspect.vocabulary import RunContext
from inspectors.images.context import ImageContext
from inspectors.images.decode import ImageRejected, decode
from inspectors.images.emblem import EmblemFacts, Reference, analyse_emblem, load_references
from inspectors.images.flag import FlagFacts, analyse_flag

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

#: run-state waiting room: image URL → its analysis; page contexts wait there for it
ANALYSES = "images.analysis"
#: run-state claims: image URLs the crawl downloads for analysis, counted per site (IMAGE_MAX_PER_SITE)
REQUESTED = "images.requested"


@dataclass
class Analysis:
    sha256: str
    width: int = 0
    height: int = 0
    format: str = ""
    flag: FlagFacts | None = None
    emblem: EmblemFacts | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON value (numbers as Python floats and ints, the reference emblem by name)."""
        f, e = self.flag, self.emblem
        return {
            "sha256": self.sha256, "width": int(self.width), "height": int(self.height), "format": self.format,
            "error": self.error,
            "flag": None if f is None else {
                "orientation": f.orientation, "red_field": bool(f.red_field), "aspect": float(f.aspect),
                "field_box": [float(x) for x in f.field_box], "field_lab": [float(x) for x in f.field_lab],
                "star_lab": [float(x) for x in f.star_lab], "delta_e_field": float(f.delta_e_field),
                "delta_e_star": float(f.delta_e_star), "greyscale": bool(f.greyscale)},
            "emblem": None if e is None else {
                "distance": None if e.distance is None else int(e.distance),
                "reference": e.reference.name if e.reference is not None else None,
                "coloured": float(e.coloured), "off_colour": float(e.off_colour), "red": float(e.red)},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], references: Sequence[Reference]) -> Analysis:
        f, e = data.get("flag"), data.get("emblem")
        flag = None if f is None else FlagFacts(**{**f, "field_box": tuple(f["field_box"]),
                                                   "field_lab": tuple(f["field_lab"]),
                                                   "star_lab": tuple(f["star_lab"])})
        emblem = None
        if e is not None:
            ref = next((r for r in references if r.name == e["reference"]), None)
            emblem = EmblemFacts(distance=e["distance"], reference=ref, coloured=e["coloured"],
                                 off_colour=e["off_colour"], red=e["red"])
        return cls(data["sha256"], data["width"], data["height"], data["format"], flag=flag, emblem=emblem,
                   error=data.get("error"))


class ImageStore:
    def __init__(self, settings: BaseSettings, state: RunState | None = None):
        self.max_bytes = settings.getint("IMAGE_MAXSIZE")
        self.max_pixels = settings.getint("IMAGE_MAX_PIXELS")
        self.hash_distance = settings.getint("IMAGE_EMBLEM_HASH_DISTANCE")
        self.references = load_references(settings.get("IMAGE_EMBLEM_REFERENCE_DIR") or None, self.max_pixels)
        self.state: RunState = state if state is not None else MemoryRunState("images")
        self.by_url: dict[str, Analysis] = {}  # analyses known in this process (a cache of the run state's)
        self.by_sha: dict[str, Analysis] = {}
        self._asked: set[str] = set()  # image URLs known to be asked for (claims never go back)
        self.decoded = 0
        self.seconds = 0.0

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> ImageStore:
        store = getattr(crawler, "_govinspect_image_store", None)
        if store is None:
            context = RunContext.of(crawler.settings)
            store = cls(crawler.settings, context.state if context is not None else None)
            crawler._govinspect_image_store = store
        return store

    # ---- analyses ------------------------------------------------------------------------------
    def known(self, url: str) -> Analysis | None:
        """The analysis of ``url`` if this process has it (no run-state round trip)."""
        return self.by_url.get(url)

    def get(self, url: str) -> Analysis | None:
        """The analysis of ``url``, made here or by any process of the run."""
        return self.get_many([url])[0]

    def get_many(self, urls: Sequence[str]) -> list[Analysis | None]:
        missing = [u for u in urls if u not in self.by_url]
        if missing:
            for url, data in self.state.results(ANALYSES, missing).items():
                self.by_url[url] = Analysis.from_json(data, self.references)
        return [self.by_url.get(u) for u in urls]

    def analyse(self, url: str, body: bytes) -> Analysis:
        """Analyse (or recall) the image at ``url`` whose bytes are ``body`` (in this process)."""
        known = self.known(url)
        if known is not None:
            return known
        sha = hashlib.sha256(body).hexdigest()
        if sha in self.by_sha:
            self.by_url[url] = self.by_sha[sha]
            return self.by_sha[sha]
        started = time.perf_counter()
        result = self._analyse(sha, body)
        self.seconds += time.perf_counter() - started
        self.by_sha[sha] = self.by_url[url] = result
        return result

    def failed(self, url: str, error: str) -> Analysis:
        """An image whose bytes cannot be analysed (truncated download): recorded, so nothing waits for it."""
        result = self.by_url[url] = Analysis("", error=error)
        return result

    def _analyse(self, sha: str, body: bytes) -> Analysis:
        if len(body) > self.max_bytes:
            return Analysis(sha, error=f"larger than {self.max_bytes} bytes")
        try:
            img = decode(body, self.max_pixels)
        except ImageRejected as exc:
            return Analysis(sha, error=str(exc))
        self.decoded += 1
        try:
            return Analysis(sha, img.width, img.height, img.format, flag=analyse_flag(img),
                            emblem=analyse_emblem(img, self.references))
        except Exception as exc:  # a pathological picture costs its own analysis only
            logger.warning("image analysis failed (%s): %s", sha[:12], exc)
            return Analysis(sha, img.width, img.height, img.format, error=f"analysis failed: {exc}")

    def is_emblem(self, analysis: Analysis | None) -> bool:
        e = analysis.emblem if analysis else None
        return bool(e and e.distance is not None and e.distance <= self.hash_distance)

    # ---- contexts waiting for their image (run state) -----------------------------------------------
    def wait(self, contexts: Iterable[ImageContext]) -> tuple[list[tuple[ImageContext, Analysis]], list[str]]:
        """Contexts whose image some process has analysed, with the analysis, to be judged now; the
        others wait in the run state for :meth:`publish` (their image URLs are returned, in order)."""
        ready: list[tuple[ImageContext, Analysis]] = []
        rest: list[ImageContext] = []
        for ctx in contexts:
            known = self.known(ctx.url)
            if known is not None:
                ready.append((ctx, known))
            else:
                rest.append(ctx)
        if rest:
            answered = self.state.wait_for(ANALYSES, [(ctx.url, ctx.to_json()) for ctx in rest])
            for url, data in answered.items():
                self.by_url.setdefault(url, Analysis.from_json(data, self.references))
            ready += [(ctx, self.by_url[ctx.url]) for ctx in rest if ctx.url in answered]
        return ready, list(dict.fromkeys(ctx.url for ctx in rest if ctx.url not in self.by_url))

    def publish(self, url: str, analysis: Analysis) -> tuple[bool, list[ImageContext]]:
        """Share the analysis of ``url`` and take the contexts waiting for it (see :meth:`RunState.resolve`:
        ``first`` is False when the image was published before, with the contexts handed over then)."""
        first, items = self.state.resolve(ANALYSES, url, analysis.to_json())
        return first, [ImageContext.from_json(item) for item in items]

    # ---- downloads asked for (run state) ----------------------------------------------------------
    def request(self, site_id: str, urls: Sequence[str], limit: int) -> list[bool]:
        """Ask for the images' downloads: True for each asked for (now or before, by any site), within
        ``limit`` new images per site."""
        todo = [u for u in urls if u not in self._asked]
        if todo:
            for url, ok in zip(todo, self.state.claim_within(REQUESTED, site_id, todo, limit), strict=True):
                if ok:
                    self._asked.add(url)
        return [u in self._asked for u in urls]

    def requested(self, urls: Sequence[str]) -> list[bool]:
        """Whether each image was asked for, by any process."""
        todo = [u for u in urls if u not in self._asked]
        if todo:
            for url, ok in zip(todo, self.state.claimed(REQUESTED, todo), strict=True):
                if ok:
                    self._asked.add(url)
        return [u in self._asked for u in urls]
