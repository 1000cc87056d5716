"""One analysis per image per run: by URL, and by content hash so copies at other URLs are free.

The store is shared by the image inspector and the emblem-presence inspector (one per crawler). It
keeps small verdict records, never pixels, and the page contexts still waiting for an image's bytes.
Pending contexts live in this process: in a distributed run, a page and its image's download may be
handled by different workers, and that image is then judged only for the pages its worker saw.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inspectors.images.context import ImageContext
from inspectors.images.decode import ImageRejected, decode
from inspectors.images.emblem import EmblemFacts, analyse_emblem, load_references
from inspectors.images.flag import FlagFacts, analyse_flag

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


@dataclass
class Analysis:
    sha256: str
    width: int = 0
    height: int = 0
    format: str = ""
    flag: FlagFacts | None = None
    emblem: EmblemFacts | None = None
    error: str | None = None


class ImageStore:
    def __init__(self, settings: BaseSettings):
        self.max_bytes = settings.getint("IMAGE_MAXSIZE")
        self.max_pixels = settings.getint("IMAGE_MAX_PIXELS")
        self.hash_distance = settings.getint("IMAGE_EMBLEM_HASH_DISTANCE")
        self.references = load_references(settings.get("IMAGE_EMBLEM_REFERENCE_DIR") or None, self.max_pixels)
        self.by_url: dict[str, str] = {}
        self.by_sha: dict[str, Analysis] = {}
        self.pending: dict[str, list[ImageContext]] = defaultdict(list)
        self.requested: set[str] = set()
        self.per_site: Counter[str] = Counter()
        self.decoded = 0
        self.seconds = 0.0

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> ImageStore:
        store = getattr(crawler, "_govinspect_image_store", None)
        if store is None:
            store = cls(crawler.settings)
            crawler._govinspect_image_store = store
        return store

    def get(self, url: str) -> Analysis | None:
        sha = self.by_url.get(url)
        return self.by_sha.get(sha) if sha else None

    def analyse(self, url: str, body: bytes) -> Analysis:
        """Analyse (or recall) the image at ``url`` whose bytes are ``body``."""
        known = self.get(url)
        if known is not None:
            return known
        sha = hashlib.sha256(body).hexdigest()
        self.by_url[url] = sha
        if sha in self.by_sha:
            return self.by_sha[sha]
        started = time.perf_counter()
        result = self._analyse(sha, body)
        self.seconds += time.perf_counter() - started
        self.by_sha[sha] = result
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
