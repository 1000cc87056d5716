"""One attachment scan as a self-contained job: runs on the crawl's thread or in a worker process.

Everything a scan needs travels in :class:`ScanJob` (bytes, names, limits, detector settings) and
everything it produces comes back in :class:`ScanResult` (masked hits, log lines), so the job can be
pickled to a process pool: scanning a 20 MB roster then costs the crawl nothing but the hand-over.
Log lines are returned rather than logged, so the crawl's log (and its masking filter) prints them.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import date

from inspectors.sensitive.detectors import RuleHits, Scanner
from inspectors.sensitive.extract import Limits, TimeUp, UnreadableFile, UnsafeFile, extract, recognise, sniff


@dataclass
class ScanJob:
    url: str
    body: bytes
    ext: str
    content_type: str
    disposition: str
    truncated: bool
    as_of: date | None
    limits: Limits
    formats: frozenset[str]
    phone_min: int = 3
    id15_context: bool = True
    max_samples: int = 5
    xlsx_reader: str = "fast"


@dataclass
class ScanResult:
    hits: dict[str, RuleHits] | None  # None: a format this inspector does not scan
    logs: list[tuple[int, str]] = field(default_factory=list)
    pid: int = field(default_factory=os.getpid)  # the process that scanned


def run(job: ScanJob) -> ScanResult:
    """Scan one file within the limits; problems are one clear log line each, never a crash."""
    logs: list[tuple[int, str]] = []
    scanner = Scanner(job.as_of, job.phone_min, job.id15_context, job.max_samples)
    started = time.monotonic()
    if job.truncated:
        logs.append((logging.WARNING, f"attachment {job.url} truncated at the download size limit; "
                                      "scanning what arrived"))
    try:
        fmt = recognise(job.body, job.ext, job.content_type, job.disposition)
        if fmt.name not in job.formats:
            logs.append((logging.DEBUG, f"attachment {job.url} is a {fmt.name} file: not scanned "
                                        "(LEAK_ATTACHMENT_FORMATS)"))
            return ScanResult(None, logs)
        for chunk in extract(job.body, job.ext, job.limits, job.xlsx_reader, job.content_type, job.disposition):
            scanner.scan(chunk)
    except UnsafeFile as exc:
        logs.append((logging.WARNING, f"attachment {job.url} not scanned: {exc}"))
    except UnreadableFile as exc:
        logs.append((logging.WARNING, f"attachment {job.url} ({sniff(job.body, job.ext)}) not readable: {exc}"))
    except TimeUp:
        logs.append((logging.WARNING, f"attachment {job.url}: scan stopped after {job.limits.max_seconds:.0f} s "
                                      "(LEAK_ATTACHMENT_MAX_SECONDS); partial results kept"))
    except Exception as exc:  # a reader bug on a strange file: the file is skipped, the run goes on
        logs.append((logging.WARNING, f"attachment {job.url} could not be scanned "
                                      f"({type(exc).__name__}: {str(exc)[:200]})"))
    logs.append((logging.DEBUG, f"scanned {job.url} ({len(job.body)} bytes) in {time.monotonic() - started:.2f} s"))
    return ScanResult(scanner.results(), logs)
