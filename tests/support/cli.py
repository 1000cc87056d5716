"""Running the real ``govinspect`` command in a subprocess, as a scheduler would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# NETWORK_ALLOW: the tests' loopback servers on other ports stand for the internet (SSRF tests leave it out).
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "PROGRESS_INTERVAL=0",
        "-s", 'NETWORK_ALLOW=["127.0.0.0/8"]']
STRICT = FAST[:-2]  # FAST without the loopback allowance
# Only the link and reachability inspectors: for tests about link checking and the lifecycle, whose
# bare test pages would otherwise (rightly) collect identity and freshness findings too.
LINKS_ONLY = ["-s", 'INSPECTORS={"inspectors.links.BrokenLinkInspector": 100, '
              '"inspectors.reachability.ReachabilityInspector": 110}']


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without proxy variables (tests set them explicitly when they want one)."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    env.update(extra)
    return env


def govinspect(*args: str, env: dict[str, str] | None = None, timeout: float = 180,
               cwd: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "govinspect.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env or clean_env(),
                          cwd=cwd)


def write_registry(path: Path, rows: list[dict[str, str]]) -> Path:
    import csv

    cols = ["id", "name", "organizer", "level", "url", "parent", "archive_paths", "extra_hosts", "render"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        for row in rows:
            writer.writerow({"level": "portal", "render": "never", **row})
    return path
