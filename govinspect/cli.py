"""The ``govinspect`` command: crawl, inspect, export, and the bundled demo (``shared/spec/cli.md``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from govinspect.faults import StoreUnavailable
from govinspect.locks import LockHeld
from govinspect.registry import Registry, RegistryError, adhoc_site, load_registry

# Scrapy (through govinspect.config) is imported when a command needs it, not with this module: the
# attachment-scan worker processes import the main module again (multiprocessing), and Scrapy's import
# was most of a worker's start (~0.7 CPU s of ~1.1).


def _epilog() -> str:
    from govinspect.config import ENV_HELP

    return "environment:\n" + "\n".join(f"  {k:<38} {v}" for k, v in ENV_HELP.items())


def _as_of(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--as-of takes YYYY-MM-DD, not {value!r}") from None


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line (``govinspect crawl: error: …``) and exit 2, as for every bad input."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _open_store(settings, readonly: bool = False):
    """The store, or :class:`StoreUnavailable` with one line saying why (corrupted, read-only, full…)."""
    import sqlite3

    from govinspect.faults import describe_store_error
    from govinspect.store import FindingStore

    path = settings.get("GOVINSPECT_STORE")
    try:
        return FindingStore(path, spool_dir=settings.get("STORE_SPOOL_DIR"), readonly=readonly,
                            wait_seconds=settings.getfloat("STORE_DB_WAIT_SECONDS"),
                            connect_timeout=settings.getfloat("STORE_DB_CONNECT_TIMEOUT"))
    except (sqlite3.Error, OSError) as exc:
        raise StoreUnavailable(describe_store_error(path, exc)) from None


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--settings-file", help="TOML/YAML/JSON file of Scrapy settings")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override one setting (repeatable)")
    p.add_argument("--store", help="SQLite store path or postgresql:// URL (overrides GOVINSPECT_STORE)")


def _crawl_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", help="inspection date YYYY-MM-DD (default today)")
    p.add_argument("--run-id", help="id of this run (default: a timestamp)")
    p.add_argument("--max-pages", type=_positive_int, help="pages crawled per site at most (default 2000)")


def build_parser() -> argparse.ArgumentParser:
    epilog = _epilog()
    parser = _Parser(
        prog="govinspect", description="Inspect a cluster of government websites (政府网站群).",
        epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    fmt = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser("crawl", help="crawl and inspect every registered site once", epilog=epilog,
                       formatter_class=fmt)
    p.add_argument("--registry", required=True, help="registry file (CSV or YAML, see registry.md)")
    p.add_argument("--sites", help="only these site ids, comma-separated")
    _crawl_args(p)
    _common(p)

    p = sub.add_parser("inspect", help="inspect one site on demand (need not be registered)", epilog=epilog,
                       formatter_class=fmt)
    p.add_argument("url", help="homepage URL")
    p.add_argument("--name", help="the site's name (default: its host)")
    _crawl_args(p)
    _common(p)

    p = sub.add_parser("export", help="write findings as jsonl, csv or xlsx", epilog=epilog,
                       formatter_class=fmt)
    p.add_argument("--format", required=True, choices=("jsonl", "csv", "xlsx"))
    p.add_argument("--out", required=True, help="output file")
    p.add_argument("--status", choices=("open", "fixed", "reopened"))
    p.add_argument("--site", help="site id")
    p.add_argument("--organizer", help="主办单位")
    p.add_argument("--run", help="run id (findings last seen by that run)")
    _common(p)

    p = sub.add_parser("demo", help="build the bundled demo cluster, serve it on loopback, crawl and export",
                       epilog=epilog, formatter_class=fmt)
    p.add_argument("--out", default="demo-output", help="folder for the cluster, store and exports")
    p.add_argument("--as-of", help="inspection date YYYY-MM-DD (default today)")
    p.add_argument("--max-pages", type=_positive_int)
    _common(p)

    p = sub.add_parser("summary", help="print the summary table of a run")
    p.add_argument("--run", help="run id (default: the latest)")
    _common(p)

    p = sub.add_parser("seed", help="start a fleet run: queue its sites in Redis and print the run id",
                       epilog=epilog, formatter_class=fmt)
    p.add_argument("--registry", required=True, help="registry file (CSV or YAML, see registry.md)")
    p.add_argument("--sites", help="only these site ids, comma-separated")
    _crawl_args(p)
    _common(p)

    p = sub.add_parser("worker", help="work queued fleet runs (any number of workers, any machines)",
                       epilog=epilog, formatter_class=fmt)
    p.add_argument("--run-id", help="work (or resume) this run; default: the oldest run with work")
    p.add_argument("--forever", action="store_true", help="keep working every run as it is seeded")
    _common(p)

    p = sub.add_parser("runs", help="fleet runs with status, per-site progress and workers", epilog=epilog,
                       formatter_class=fmt)
    p.add_argument("--json", action="store_true", help="print JSON")
    _common(p)

    p = sub.add_parser("probe", help="availability probes of every registered homepage (stored for the rule)",
                       epilog=epilog, formatter_class=fmt)
    p.add_argument("--registry", required=True, help="registry file (CSV or YAML, see registry.md)")
    p.add_argument("--count", type=int, help="rounds to make (default: probe until stopped)")
    p.add_argument("--interval", type=float, help="seconds between rounds; a round's probes are spread over it"
                                                  " (default PROBE_INTERVAL: 20 rounds a day)")
    p.add_argument("--sites", help="only these site ids, comma-separated")
    _common(p)

    from govinspect.search.cli import add_cli_arguments

    add_cli_arguments(sub, common=_common)

    from govinspect.rectify.cli import add_cli_arguments as add_rectify_arguments

    add_rectify_arguments(sub, common=_common)

    from govinspect.monthly.cli import add_cli_arguments as add_report_arguments

    add_report_arguments(sub, common=_common)
    return parser


def _settings(args: argparse.Namespace, extra: dict | None = None):
    extra = dict(extra or {})
    if getattr(args, "store", None):
        extra["GOVINSPECT_STORE"] = args.store
    from govinspect.config import build_settings

    return build_settings(args.settings_file, args.set, extra)


def cmd_crawl(args: argparse.Namespace, registry: Registry | None = None, extra: dict | None = None,
              lock_kind: str | None = "crawl") -> int:
    from govinspect.api import run_crawl
    from govinspect.report import print_skipped, print_summary

    sites = None
    if registry is None:
        registry = load_registry(args.registry)
        if getattr(args, "sites", None):
            sites = [s.strip() for s in args.sites.split(",") if s.strip()]
    settings = _settings(args, extra)
    _open_store(settings).close()  # corrupted, read-only, no room: say so before crawling
    result = run_crawl(registry, settings, _as_of(args.as_of), args.run_id, args.max_pages, sites,
                       lock_kind=lock_kind)
    args.run_id = result.run_id
    store_error = result.stats.get("govinspect/store_error")
    try:
        store = _open_store(settings, readonly=True)
        print_summary(store, result.run_id, sys.stdout)
        print_skipped(result.stats, sys.stdout)
        store.close()
    except Exception as exc:  # the summary is a courtesy; the run's outcome is the exit code
        if not store_error:
            raise
        print(f"(no summary: {exc})", file=sys.stderr)
    if store_error:
        print(f"govinspect: run {result.run_id} stopped early, the store could not be written ({store_error});"
              f" findings written so far are kept in {result.store_path}", file=sys.stderr)
    return 0 if result.completed else 1


def cmd_inspect(args: argparse.Namespace) -> int:
    site = adhoc_site(args.url, args.name)
    # on-demand: no crawl lock (it may run next to a scheduled crawl), only the run's own lock
    code = cmd_crawl(args, Registry([site]), lock_kind=None)
    store = _open_store(_settings(args), readonly=True)
    for record in store.findings(site_id=site.id, run_id=args.run_id):  # this run's findings only
        if record["status"] != "fixed":
            print(json.dumps(record, ensure_ascii=False))
    store.close()
    return code


def cmd_export(args: argparse.Namespace) -> int:
    from govinspect.export import export

    out = Path(args.out)
    if out.exists() and not out.is_file():
        print(f"govinspect export: error: --out {out} is not a regular file", file=sys.stderr)
        return 2
    store = _open_store(_settings(args), readonly=True)
    records = store.findings(status=args.status, site_id=args.site, organizer=args.organizer, run_id=args.run)
    count = export(records, args.format, out)
    store.close()
    print(f"wrote {count} findings to {args.out}", file=sys.stderr)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from govinspect.report import print_summary

    store = _open_store(_settings(args), readonly=True)
    runs = store.runs()
    run_id = args.run or (runs[-1]["run_id"] if runs else None)
    if run_id is None:
        print("no runs in the store", file=sys.stderr)
        return 1
    if run_id not in {r["run_id"] for r in runs}:
        print(f"govinspect summary: error: no run {run_id!r} in the store", file=sys.stderr)
        return 2
    print_summary(store, run_id, sys.stdout)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from govinspect.fleet import seed

    registry = load_registry(args.registry)
    if args.sites:
        registry = registry.select(s.strip() for s in args.sites.split(",") if s.strip())
    return seed(_settings(args), registry, _as_of(args.as_of), args.run_id, args.max_pages)


def cmd_worker(args: argparse.Namespace, argv: list[str]) -> int:
    from govinspect.fleet import worker

    return worker(_settings(args), args.run_id, args.forever, argv)


def cmd_runs(args: argparse.Namespace) -> int:
    from govinspect.fleet import runs

    return runs(_settings(args), args.json)


def cmd_probe(args: argparse.Namespace) -> int:
    from govinspect.probing import probe_command

    registry = load_registry(args.registry)
    if args.sites:
        registry = registry.select(s.strip() for s in args.sites.split(",") if s.strip())
    if args.count is not None and args.count < 1:
        raise ValueError("--count takes a number of rounds >= 1")
    if args.interval is not None and args.interval < 0:
        raise ValueError("--interval takes seconds >= 0")
    return probe_command(registry, _settings(args), args.count, args.interval)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    try:
        if args.verb == "crawl":
            return cmd_crawl(args)
        if args.verb == "inspect":
            return cmd_inspect(args)
        if args.verb == "export":
            return cmd_export(args)
        if args.verb == "demo":
            from govinspect.demo.run import cmd_demo

            return cmd_demo(args)
        if args.verb == "summary":
            return cmd_summary(args)
        if args.verb == "seed":
            return cmd_seed(args)
        if args.verb == "worker":
            return cmd_worker(args, argv)
        if args.verb == "runs":
            return cmd_runs(args)
        if args.verb in ("rectify", "report"):
            return args.rectify_cmd(args, _settings(args))
        if args.verb == "probe":
            return cmd_probe(args)
        if args.verb in ("es", "kibana"):
            return args.search_cmd(args, _settings(args) if hasattr(args, "settings_file") else None)
    except RegistryError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except StoreUnavailable as exc:
        print(f"govinspect: {exc}", file=sys.stderr)
        return 1
    except LockHeld as exc:
        print(f"govinspect: {exc}", file=sys.stderr)
        return 3
    except (ValueError, argparse.ArgumentTypeError, OSError) as exc:
        print(f"govinspect: {exc}", file=sys.stderr)
        return 2
    parser.error(f"unknown verb {args.verb}")
    return 2


if __name__ == "__main__":
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    sys.exit(main())
