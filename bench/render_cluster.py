"""Shared by the rendering benchmarks: a generated cluster where a share of pages need JavaScript, a
crawl in a subprocess with the peak memory of its whole process tree sampled, and its Scrapy stats.

A page "needs JavaScript" when its article text is not in the HTML but written by an inline script
(``innerHTML = "…"`` into an empty ``<div class="content">``): the static fetch sees an empty page,
``render=auto`` must find it (``looks_script_built``) and render it. Only article pages are turned,
so every mode crawls the same set of pages (their links are in the page chrome, not the article).
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tree_cpu import CountedRun  # noqa: E402  (same folder)

from govinspect.demo.generator import build_cluster  # noqa: E402
from govinspect.demo.seeds import SEEDS  # noqa: E402

COMMON = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "CONCURRENT_REQUESTS=32",
          "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0",
          "-s", "PROGRESS_INTERVAL=0", "-s", "LOG_LEVEL=INFO", "-s", "RENDER_LOOPBACK_ONLY=true"]

_OPEN = '<div class="content">'
_CHARSET = re.compile(rb"charset=[\"']?([A-Za-z0-9_-]+)", re.IGNORECASE)
_ARTICLE = re.compile(r"/t\d{8}_\d+\.html?$")


def _content_span(html: str) -> tuple[int, int] | None:
    """Start and end of the article body inside ``<div class="content">…</div>`` (nested divs counted)."""
    start = html.find(_OPEN)
    if start < 0:
        return None
    i, depth = start + len(_OPEN), 1
    for m in re.finditer(r"<div\b|</div>", html[i:]):
        depth += 1 if m.group(0) == "<div" else -1
        if depth == 0:
            return i, i + m.start()
    return None


def script_built(html: str) -> str | None:
    """The same page with its article written by script (None: no article body found)."""
    span = _content_span(html)
    if span is None or span[1] - span[0] < 20:
        return None
    body = json.dumps(html[span[0]:span[1]]).replace("</", "<\\/")
    fill = f"<script>document.getElementById('gi-js-content').innerHTML = {body};</script>"
    return (html[:span[0] - len(_OPEN)] + '<div class="content" id="gi-js-content"></div>' + fill
            + html[span[1] + len("</div>"):])


def make_js_pages(hosts: Path, share: float) -> tuple[int, int]:
    """Turn article pages, spread evenly over the hosts, into script-built pages until ``share`` of all
    pages are; returns (pages turned, pages)."""
    pages = sorted(p for p in hosts.rglob("*.htm*") if p.is_file())
    articles = [p for p in pages if _ARTICLE.search(p.as_posix())]
    wanted = min(len(articles), round(share * len(pages)))
    step = len(articles) / wanted if wanted else 0
    turned = 0
    for path in (articles[int(k * step)] for k in range(wanted)):
        raw = path.read_bytes()
        m = _CHARSET.search(raw[:2048])
        charset = (m.group(1).decode() if m else "utf-8").lower()
        charset = "gbk" if charset in ("gb2312", "gbk") else charset
        try:
            new = script_built(raw.decode(charset))
        except (UnicodeDecodeError, LookupError):
            continue
        if new is not None:
            path.write_bytes(new.encode(charset))
            turned += 1
    return turned, len(pages)


def build(work: Path, sites: int, pages_per_site: int, js_share: float):
    """The cluster (no crawler traps: the plain baselines cannot survive them) with JS pages made."""
    cluster = build_cluster(work / "cluster", sites=sites, pages_per_site=pages_per_site, hang_seconds=1.0,
                            seed_names=[s for s in SEEDS if s != "traps"])
    turned, _ = make_js_pages(work / "cluster" / "hosts", js_share)
    return cluster, turned


def registry_with(source: Path, target: Path, render: str, always: int = 0) -> Path:
    """Every site ``render``; the first ``always`` department sites ``render=always``."""
    rows = list(csv.DictReader(source.open(encoding="utf-8")))
    left = always
    for row in rows:
        row["render"] = render
        if left and row["level"] == "department":
            row["render"], left = "always", left - 1
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


def proxied_env(proxy_url: str) -> dict[str, str]:
    """The environment for a crawl subprocess: every request through the cluster's loopback proxy."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    env["http_proxy"] = env["HTTP_PROXY"] = proxy_url
    return env


def _pss_kib(pid: int) -> int:
    """PSS of one process from ``/proc/<pid>/smaps_rollup`` (shared pages split between their users)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(c) for c in fh.read().split())
    except OSError:
        pass
    return out


class TreePss(threading.Thread):
    """Peak summed PSS of a process and all its descendants (the crawler, the Playwright driver,
    Chromium's processes), sampled every ``interval`` s from ``smaps_rollup``."""

    def __init__(self, pid: int, interval: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kib = self.peak_procs = 0
        self.stop = threading.Event()

    def tree(self) -> list[int]:
        todo, seen = [self.pid], []
        while todo:
            pid = todo.pop()
            seen.append(pid)
            todo.extend(_children(pid))
        return seen

    def run(self) -> None:
        while not self.stop.is_set():
            procs = self.tree()
            total = sum(_pss_kib(p) for p in procs)
            if total > self.peak_kib:
                self.peak_kib, self.peak_procs = total, len(procs)
            self.stop.wait(self.interval)


def _stats(stderr: str) -> dict:
    """Scrapy's stats dump at the end of the crawl log (a Python dict literal)."""
    at = stderr.rfind("Dumping Scrapy stats:")
    if at < 0:
        return {}
    text = stderr[stderr.index("{", at): stderr.index("}", at) + 1]
    text = re.sub(r"datetime\.datetime\([^)]*\)", "None", text)
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return {}


def crawl(registry: Path, store: Path, env: dict[str, str], extra: list[str] = ()) -> dict:
    """One ``govinspect crawl``: wall, CPU (the tree, orphans included), peak PSS of the tree, pages, stats."""
    cmd = [sys.executable, "-m", "govinspect.cli", "crawl", "--registry", str(registry), "--store", str(store),
           *COMMON, *extra]
    run = CountedRun(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=store.parent)
    proc = run.proc
    mem = TreePss(proc.pid)
    mem.start()
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: proc.stderr.read(65536), b"")), daemon=True)
    reader.start()
    code, wall, cpu = run.wait()
    mem.stop.set()
    mem.join()
    reader.join()
    err = b"".join(chunks).decode("utf-8", "replace")
    if code not in (0, 1):
        raise SystemExit(f"crawl failed:\n{err[-3000:]}")
    db = sqlite3.connect(store)
    pages = db.execute("SELECT COALESCE(SUM(pages), 0) FROM run_sites").fetchone()[0]
    db.close()
    stats = _stats(err)
    return {"pages": pages, "wall_s": round(wall, 1), "pages_per_s": round(pages / wall, 1),
            "cpu_s": round(cpu, 1), "peak_pss_mib": round(mem.peak_kib / 1024),
            "processes_at_peak": mem.peak_procs,
            "stats": {k.split("/", 1)[1]: v for k, v in stats.items() if k.startswith("govinspect/render")}}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"
