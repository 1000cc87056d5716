"""``image.flag-misuse``, ``image.emblem-misuse`` and ``image.map-no-approval``.

Each ``img`` of a page becomes an :class:`ImageContext`. Its bytes come from the browser when the page
was rendered, otherwise the crawl downloads the image once per run (``wants_attachment``) and calls
:meth:`inspect_attachment`; contexts wait in the run state (:class:`ImageStore`) until then, so the
download may happen in any process of a fleet. Findings on rendered pages carry a screenshot cropped
around the image.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from urllib.parse import unquote, urlsplit

from govinspect import signals as gi_signals
from govinspect.findings import Observation
from govinspect.urls import extension
from govinspect.vocabulary import RenderedImage
from inspectors.base import Attachment, Inspector, Link, Page, RenderInfo
from inspectors.evidence import evidence_screenshot
from inspectors.images import emblem as emblem_mod
from inspectors.images import flag as flag_mod
from inspectors.images.cache import Analysis, ImageStore
from inspectors.images.context import EMBLEM_WORDS, FLAG_WORDS, MAP_WORDS, NOT_MAP, ImageContext, image_contexts

SKIP_EXTENSIONS = {"svg", "ico"}


class ImageInspector(Inspector):
    enabled_setting = "INSPECT_IMAGES_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        s = self.settings
        self.store = ImageStore.for_crawler(crawler)
        self.max_per_site = s.getint("IMAGE_MAX_PER_SITE")
        self.min_side = s.getfloat("IMAGE_MIN_SIDE")
        self.flag_tolerance = s.getfloat("IMAGE_FLAG_ASPECT_TOLERANCE")
        self.max_delta_e = s.getfloat("IMAGE_FLAG_MAX_DELTA_E")
        self.emblem_tolerance = s.getfloat("IMAGE_EMBLEM_ASPECT_TOLERANCE")
        self.emblem_off = s.getfloat("IMAGE_EMBLEM_MAX_OFF_COLOUR")
        self.map_min_side = s.getfloat("IMAGE_MAP_MIN_SIDE")
        # the images of the last page inspected that the crawl should download (wants_attachment)
        self._wanted: tuple[Page | None, set[str]] = (None, set())
        crawler.signals.connect(self._render_wishes, signal=gi_signals.render_wishes)

    # ---- what renders should hand over (govinspect.vocabulary.RenderWishes) ---------------------------
    def _render_wishes(self) -> ImageInspector:
        return self

    def _rendered_worth(self, image: RenderedImage) -> tuple[bool, str]:
        """The browser's view of :meth:`_worth` (same rule), and the image's words for the hints."""
        if extension(image.url) in SKIP_EXTENSIONS:
            return False, ""
        words = " ".join((image.alt, image.title, unquote(urlsplit(image.url).path.rsplit("/", 1)[-1]), image.text))
        shown = (image.width, image.height) if image.visible else None
        worth = (not shown or min(shown) >= self.min_side or bool(FLAG_WORDS.search(words))
                 or bool(EMBLEM_WORDS.search(words)))
        return worth, words

    def wants_image_body(self, image: RenderedImage) -> bool:
        """Bytes only of images this inspector will examine and has not analysed yet in this run."""
        return self._rendered_worth(image)[0] and self.store.get(image.url) is None

    def wants_evidence(self, image: RenderedImage) -> bool:
        """The page capture is wanted when a finding on this image is possible: not analysed yet, or
        its analysis or words can make one (a flag, an emblem, a map); known clean pictures need none."""
        worth, words = self._rendered_worth(image)
        if not worth:
            return False
        analysis = self.store.get(image.url)
        if analysis is None:
            return True
        if analysis.error:
            return False
        if analysis.flag is not None and (analysis.flag.red_field or FLAG_WORDS.search(words)):
            return True
        if analysis.emblem and (self.store.is_emblem(analysis) or EMBLEM_WORDS.search(words)):
            return True
        return bool(MAP_WORDS.search(NOT_MAP.sub(" ", words)))

    # ---- crawl hooks -----------------------------------------------------------------------------
    def inspect_page(self, page: Page) -> Iterator[Observation]:
        everything = image_contexts(page)
        contexts = [c for c in everything if self._worth(c)]
        self._wanted = (page, set())
        if page.rendered is not None:
            captured = page.rendered.extra.get("images") or {}
            for ctx in contexts:
                if ctx.url in captured and self.store.known(ctx.url) is None:
                    analysis = self.store.analyse(ctx.url, captured[ctx.url])
                    first, waiting = self.store.publish(ctx.url, analysis)
                    for other in waiting if first else ():  # contexts of other pages met before
                        yield from self.judge(other, analysis)
        ready, waiting_urls = self.store.wait(contexts)
        for ctx, analysis in ready:
            yield from self.judge(ctx, analysis)
        # downloads for the images still waiting, within the site's budget; any other image is still
        # "wanted" when it was asked for (the crawl dedupes: no extra HEAD check of it)
        wanted = {u for u, ok in zip(waiting_urls, self.store.request(page.site.id, waiting_urls, self.max_per_site),
                                     strict=True) if ok}
        waiting = set(waiting_urls)
        done = list(dict.fromkeys(c.url for c in everything if c.url not in waiting))
        wanted.update(u for u, ok in zip(done, self.store.requested(done), strict=True) if ok)
        self._wanted = (page, wanted)

    def wants_attachment(self, link: Link, page: Page) -> bool:
        if link.tag != "img":
            return False
        last, wanted = self._wanted
        if last is page:
            return link.url in wanted
        # a page not inspected first (a homepage waiting for its companions): only an image some page
        # asked for already (the crawl fetches it once; this site then waits for it too)
        return self.store.requested([link.url])[0]

    def inspect_attachment(self, attachment: Attachment) -> Iterator[Observation]:
        if not self.store.requested([attachment.url])[0]:
            return  # not an image this inspector asked for
        if attachment.truncated:
            analysis = self.store.failed(attachment.url, "download truncated")
        else:
            analysis = self.store.analyse(attachment.url, attachment.body)
        # every context waiting, from any page and process; a redone download (its worker was killed)
        # gets the contexts handed over before again (duplicate observations fold into one finding)
        _, waiting = self.store.publish(attachment.url, analysis)
        for ctx in waiting:
            yield from self.judge(ctx, analysis)

    def _worth(self, ctx: ImageContext) -> bool:
        if extension(ctx.url) in SKIP_EXTENSIONS:
            return False
        if ctx.box is not None:  # rendered: hidden images (carousels) are still files worth checking
            shown = (ctx.box.width, ctx.box.height) if ctx.box.visible else None
        else:
            shown = ctx.declared
        return not shown or min(shown) >= self.min_side or ctx.emblem_hint or ctx.flag_hint

    # ---- verdicts ----------------------------------------------------------------------------------
    def judge(self, ctx: ImageContext, analysis: Analysis) -> Iterable[Observation]:
        if analysis.error:
            return
        intrinsic = (analysis.width, analysis.height)
        facts = analysis.flag
        is_flag = facts is not None and (facts.red_field or ctx.flag_hint)
        if is_flag:
            verdict = flag_mod.judge_flag(facts, ctx.shown, intrinsic, self.flag_tolerance, self.max_delta_e)
            if verdict.problems:
                texts = "；".join(flag_mod.PROBLEM_TEXT[p] for p in verdict.problems)
                yield self._observe("image.flag-misuse", ctx, analysis, verdict.problems, verdict.details,
                                    f"国旗图片使用不规范（{texts}），请更换为标准国旗图案：{ctx.url}",
                                    "content" if facts.red_field else "context")
        matched = self.store.is_emblem(analysis)
        if not is_flag and analysis.emblem and (matched or (ctx.emblem_hint and 0.75 <= intrinsic[0] / intrinsic[1]
                                                            <= 1.33)):
            problems, details = emblem_mod.judge_emblem(analysis.emblem, intrinsic, ctx.shown, matched,
                                                        self.emblem_tolerance, self.emblem_off)
            if problems:
                texts = "；".join(emblem_mod.PROBLEM_TEXT[p] for p in problems)
                yield self._observe("image.emblem-misuse", ctx, analysis, problems, details,
                                    f"国徽图片使用不规范（{texts}），请使用标准国徽图案：{ctx.url}",
                                    "reference" if matched else "context")
        if ctx.map_hint and not ctx.approval and not is_flag and not matched:
            side = max(ctx.shown or intrinsic)
            if side >= self.map_min_side:
                yield self._observe("image.map-no-approval", ctx, analysis, ["no-approval"], {},
                                    f"页面使用的地图图片未标注审图号，请使用标准地图并标注审图号：{ctx.url}", "context")

    def _observe(self, rule: str, ctx: ImageContext, analysis: Analysis, problems: list[str], details: dict,
                 message: str, found_by: str) -> Observation:
        evidence = {"problems": problems, "found_by": found_by, "alt": ctx.alt, "title": ctx.title,
                    "caption": ctx.caption, "intrinsic_size": [analysis.width, analysis.height],
                    "format": analysis.format, "sha256": analysis.sha256, **details}
        if ctx.declared:
            evidence["declared_size"] = list(ctx.declared)
        return Observation(rule=rule, site_id=ctx.site_id, page_url=ctx.page_url, target_url=ctx.url,
                           message=message, evidence=evidence, screenshot=self._screenshot(rule, ctx))

    def _screenshot(self, rule: str, ctx: ImageContext) -> str | None:
        if not (ctx.page_shot and ctx.gi_id and ctx.box):
            return None
        render = RenderInfo(boxes={ctx.gi_id: ctx.box}, screenshot=ctx.page_shot,
                            extra={"evidence_dir": ctx.evidence_dir})
        digest = hashlib.sha1(f"{ctx.page_url}\x1f{ctx.url}".encode()).hexdigest()[:16]
        return evidence_screenshot(render, f"{rule.replace('.', '-')}-{digest}", ctx.gi_id)
