"""Browser rendering: which pages to render, a bounded Playwright download handler, rendered geometry.

Rendering costs about 70× a plain fetch, so the registry ``render`` field decides: ``always``
(every HTML page), ``never``, or ``auto`` (the homepage, plus pages whose static HTML looks built by
script). Pages to render are fetched statically first, whatever the field, so the crawl goes on while
the browser works, and the rendered copy is the one inspected. Rendered pages carry
:class:`govinspect.vocabulary.RenderInfo`:

* ``boxes`` — geometry keyed by the ``data-gi-id`` attribute that the browser stamps on every
  ``img``, ``a``, ``area``, ``iframe`` and ``input[type=image]`` before measuring. The response body is
  the DOM *after* stamping, so ``el.get("data-gi-id")`` on the page's lxml tree is the key.
* ``screenshot`` — a full-page JPEG (height capped) in ``<store folder>/screenshots/pages/``, of
  homepages and of pages where an inspector may need it as evidence (``RenderWishes``; every page
  with ``RENDER_SCREENSHOTS_ALL``); ``inspectors.evidence.evidence_screenshot`` crops it around an
  element for a finding.
* ``extra`` — ``images`` (bytes the browser already loaded of the images inspectors asked for, by
  URL, so they are not fetched twice), ``document_size``, ``evidence_dir``.

The handler renders at most ``RENDER_MAX_PAGES`` pages at once and gives each ``RENDER_PAGE_TIMEOUT``
seconds in all; a render that fails, hangs or crashes the browser falls back to a plain fetch of
that page, so one bad page costs its render, never the run.

Modules: ``policy`` (what to render), ``download`` (picks the download handler: the browser's only
when rendering is on), ``handler`` (the browser download handler), ``pool`` (reused browser pages),
``browser`` (code run on each browser page), ``guard`` (where the browser may connect); evidence
crops live in ``inspectors.evidence``.
"""

from crawler.rendering.browser import MEASURED, init_page, measure_page
from crawler.rendering.download import RenderDownloadHandler
from crawler.rendering.guard import (
    BASE_ARGS,
    LOOPBACK_RESOLVER_RULES,
    NetworkGuard,
    is_loopback,
    launch_options,
    proxy_from_env,
)
from crawler.rendering.policy import RenderPolicy, looks_script_built, screenshot_dir

__all__ = [
    "BASE_ARGS", "LOOPBACK_RESOLVER_RULES", "MEASURED", "NetworkGuard", "RenderDownloadHandler", "RenderPolicy",
    "init_page", "is_loopback", "launch_options", "looks_script_built", "measure_page",
    "proxy_from_env", "screenshot_dir",
]
