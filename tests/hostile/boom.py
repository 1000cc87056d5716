"""A leak inspector with a bug: it crashes on pages whose URL contains ``boom`` (loaded by dotted path
in test subprocesses, standing for any exception while a page is processed)."""

from __future__ import annotations

from inspectors.leaks import LeakInspector


class CrashingLeakInspector(LeakInspector):
    def inspect_page(self, page):
        if "boom" in page.url:
            raise RuntimeError("simulated inspector bug")
        yield from super().inspect_page(page)
