"""Probe benchmark: availability probes per second against loopback homepages, stored as the verb does.

Serves ``--sites`` homepages (a realistic 60 KB government homepage each, every 20th answer a 503)
from one loopback server, registers them, and runs ``govinspect probe``'s loop (``run_probes``) with
no interval, so the figure is the probe machinery's own ceiling: request, read, classify (blank or
maintenance page), store. Real probes are spread over the interval (20 a day per site by default);
this says how many sites one probe process could serve.

    .venv/bin/python bench/bench_probe.py [--sites 200] [--rounds 5] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govinspect.config import build_settings  # noqa: E402
from govinspect.probing import ProbeConfig, run_probes, store_recorder  # noqa: E402
from govinspect.registry import Site  # noqa: E402
from govinspect.store import FindingStore  # noqa: E402
from inspectors.availability import AnswerClassifier  # noqa: E402

HOME = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>示例市人民政府</title></head><body>"
        + "".join(f"<li><a href='/xxgk/t{i}.html'>关于开展第{i}批政务公开工作的通知</a>"
                  f"<span>2026-11-{i % 28 + 1:02d}</span></li>" for i in range(600)) + "</body></html>").encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        with Handler.lock:
            Handler.count += 1
            fail = Handler.count % 20 == 0
        body = b"<html><body><h1>503</h1></body></html>" if fail else HOME
        self.send_response(503 if fail else 200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    sites = [Site(id=f"34160{i:05d}", name=f"站点{i}", organizer="x", level="department",
                  url=f"http://127.0.0.1:{port}/site{i}/") for i in range(args.sites)]
    settings = build_settings(extra={"PROBE_CONCURRENCY": args.concurrency})
    config = ProbeConfig.from_settings(settings)
    classifier = AnswerClassifier.from_settings(settings)
    with tempfile.TemporaryDirectory() as tmp:
        store = FindingStore(Path(tmp) / "probes.sqlite3")
        started = time.monotonic()
        made = run_probes(sites, config, classifier, store_recorder(store), args.rounds, 0.0,
                          log=io.StringIO())
        wall = time.monotonic() - started
        [row] = store.query("SELECT COUNT(*) AS n, SUM(1-ok) AS failed FROM probes")
        stored, failed = row["n"], row["failed"]
        store.close()
    server.shutdown()
    print(f"{made} probes of {args.sites} homepages ({len(HOME) // 1024} KB each) in {wall:.1f}s: "
          f"{made / wall:.0f} probes/s with {args.concurrency} in flight; {stored} stored, {failed} failed (503)")
    print(f"at 20 probes a day per site, one probe process could serve ~{made / wall * 86400 / 20:,.0f} sites")


if __name__ == "__main__":
    main()
