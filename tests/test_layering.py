"""The project's import rules (DEVELOPERS.md, "Architecture to keep"), checked on the source.

* ``inspectors/`` never imports ``crawler/`` or ``pipelines/``; ``crawler/`` never imports
  ``inspectors/`` or ``pipelines/``: they meet in ``govinspect.vocabulary``.
* ``pipelines/`` imports neither ``crawler/`` nor ``inspectors/`` (signals live in ``govinspect.signals``).
* ``settings/`` imports nothing of the project (components are named by dotted path).
* The vocabulary and the pure modules it stands on import the standard library and each other only.
* Components other than the spider never read attributes off the spider (``spider.registry``,
  ``crawler.spider``, ``getattr(spider, …)``): run facts come from the run context.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {"crawler", "inspectors", "pipelines", "settings", "govinspect"}
PURE = {"govinspect.vocabulary", "govinspect.findings", "govinspect.rules", "govinspect.urls",
        "govinspect.runstate.base", "govinspect.signals"}


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (also inside functions)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def top(name: str) -> str:
    return name.split(".", 1)[0]


@pytest.mark.parametrize(("package", "forbidden"), [
    ("inspectors", {"crawler", "pipelines"}),
    ("crawler", {"inspectors", "pipelines"}),
    ("pipelines", {"crawler", "inspectors"}),
    ("settings", PROJECT),
])
def test_package_does_not_import(package: str, forbidden: set[str]) -> None:
    offenders = [f"{path.relative_to(ROOT)} imports {name}"
                 for path in files(package) for name in imports_of(path) if top(name) in forbidden]
    assert offenders == []


@pytest.mark.parametrize("module", sorted(PURE))
def test_vocabulary_depends_on_nothing(module: str) -> None:
    path = ROOT / (module.replace(".", "/") + ".py")
    stdlib = sys.stdlib_module_names | {"__future__"}
    offenders = sorted(name for name in imports_of(path) if name not in PURE and top(name) not in stdlib
                       and not name.startswith(("lxml", "govinspect.registry")))
    assert offenders == [], f"{module} imports {offenders}"


def test_rule_sees_a_violation(tmp_path: Path) -> None:
    """The checker itself works: a planted import is found."""
    planted = tmp_path / "x.py"
    planted.write_text("def f():\n    from crawler.links import extract_links\n")
    assert "crawler.links" in imports_of(planted)


def spider_reads(path: Path) -> list[str]:
    """Attribute reads off a spider: ``spider.x`` / ``self.spider.x``, ``crawler.spider``, ``getattr(spider, …)``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id == "spider" and node.attr not in ("name",):
                found.append(f"spider.{node.attr}")
            elif node.attr == "spider" and isinstance(base, (ast.Name, ast.Attribute)):
                found.append(f"{ast.unparse(base)}.spider")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
              and node.args and "spider" in ast.unparse(node.args[0])):
            found.append(ast.unparse(node))
    return found


COMPONENTS = [p for pkg in ("pipelines", "inspectors", "crawler") for p in files(pkg)
              if "spiders" not in p.parts]


@pytest.mark.parametrize("path", COMPONENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_components_do_not_read_the_spider(path: Path) -> None:
    assert spider_reads(path) == []


def test_spider_rule_sees_a_violation(tmp_path: Path) -> None:
    planted = tmp_path / "x.py"
    planted.write_text("def f(self, spider):\n    a = spider.registry\n    b = self.crawler.spider\n"
                       "    c = getattr(spider, 'progress', {})\n    d = spider.name\n")
    assert spider_reads(planted) == ["spider.registry", "self.crawler.spider", "getattr(spider, 'progress', {})"]


def test_attachment_scan_workers_start_without_scrapy() -> None:
    """A scan worker process imports the main module again (multiprocessing) and the scan job: neither
    may pull in Scrapy and Twisted, most of a worker's start-up CPU."""
    import subprocess

    code = ("import sys, govinspect.cli, inspectors.sensitive.scanjob; "
            "print(sorted(m for m in ('scrapy', 'twisted') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
