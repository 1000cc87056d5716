"""scrapy-playwright internals the render handler relies on (pinned in pyproject.toml).

If an upgrade renames one of them, this fails here, by name, instead of every render falling back to
a plain fetch at run time.
"""

from __future__ import annotations

import inspect

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


def test_context_internals_exist():
    assert inspect.iscoroutinefunction(ScrapyPlaywrightDownloadHandler._create_browser_context)
    params = list(inspect.signature(ScrapyPlaywrightDownloadHandler._create_browser_context).parameters)
    assert params[:3] == ["self", "name", "context_kwargs"]
    assert inspect.iscoroutinefunction(ScrapyPlaywrightDownloadHandler._maybe_launch_browser)
    assert inspect.iscoroutinefunction(ScrapyPlaywrightDownloadHandler._launch)
    source = inspect.getsource(ScrapyPlaywrightDownloadHandler.__init__)
    assert "self.context_wrappers" in source and "self.context_launch_lock" in source
