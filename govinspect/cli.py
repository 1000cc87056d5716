"""The ``govinspect`` command: crawl, inspect, export, and the bundled demo (``shared/spec/cli.md``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from govinspect.config import ENV_HELP, build_settings
from govinspect.locks import LockHeld
from govinspect.registry import Registry, RegistryError, adhoc_site, load_registry

EPILOG = "environment:\n" + "\n".join(f"  {k:<38} {v}" for k, v in ENV_HELP.items())


def _as_of(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--as-of takes YYYY-MM-DD, not {value!r}") from None


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--settings-file", help="TOML/YAML/JSON file of Scrapy settings")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override one setting (repeatable)")
    p.add_argument("--store", help="SQLite store path or postgresql:// URL (overrides GOVINSPECT_STORE)")


def _crawl_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", help="inspection date YYYY-MM-DD (default today)")
    p.add_argument("--run-id", help="id of this run (default: a timestamp)")
    p.add_argument("--max-pages", type=int, help="pages crawled per site at most (default 2000)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govinspect", description="Inspect a cluster of government websites (政府网站群).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    fmt = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser("crawl", help="crawl and inspect every registered site once", epilog=EPILOG,
                       formatter_class=fmt)
    p.add_argument("--registry", required=True, help="registry file (CSV or YAML, see registry.md)")
    p.add_argument("--sites", help="only these site ids, comma-separated")
    _crawl_args(p)
    _common(p)

    p = sub.add_parser("inspect", help="inspect one site on demand (need not be registered)", epilog=EPILOG,
                       formatter_class=fmt)
    p.add_argument("url", help="homepage URL")
    p.add_argument("--name", help="the site's name (default: its host)")
    _crawl_args(p)
    _common(p)

    p = sub.add_parser("export", help="write findings as jsonl, csv or xlsx", epilog=EPILOG,
                       formatter_class=fmt)
    p.add_argument("--format", required=True, choices=("jsonl", "csv", "xlsx"))
    p.add_argument("--out", required=True, help="output file")
    p.add_argument("--status", choices=("open", "fixed", "reopened"))
    p.add_argument("--site", help="site id")
    p.add_argument("--organizer", help="主办单位")
    p.add_argument("--run", help="run id (findings last seen by that run)")
    _common(p)

    p = sub.add_parser("demo", help="build the bundled demo cluster, serve it on loopback, crawl and export",
                       epilog=EPILOG, formatter_class=fmt)
    p.add_argument("--out", default="demo-output", help="folder for the cluster, store and exports")
    p.add_argument("--as-of", help="inspection date YYYY-MM-DD (default today)")
    p.add_argument("--max-pages", type=int)
    _common(p)

    p = sub.add_parser("summary", help="print the summary table of a run")
    p.add_argument("--run", help="run id (default: the latest)")
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
    return build_settings(args.settings_file, args.set, extra)


def cmd_crawl(args: argparse.Namespace, registry: Registry | None = None, extra: dict | None = None,
              lock_kind: str | None = "crawl") -> int:
    from govinspect.api import run_crawl
    from govinspect.report import print_summary
    from govinspect.store import FindingStore

    sites = None
    if registry is None:
        registry = load_registry(args.registry)
        if getattr(args, "sites", None):
            sites = [s.strip() for s in args.sites.split(",") if s.strip()]
    settings = _settings(args, extra)
    result = run_crawl(registry, settings, _as_of(args.as_of), args.run_id, args.max_pages, sites,
                       lock_kind=lock_kind)
    store = FindingStore.from_settings(settings)
    print_summary(store, result.run_id, sys.stdout)
    store.close()
    return 0 if result.completed else 1


def cmd_inspect(args: argparse.Namespace) -> int:
    from govinspect.store import FindingStore

    site = adhoc_site(args.url, args.name)
    # on-demand: no crawl lock (it may run next to a scheduled crawl), only the run's own lock
    code = cmd_crawl(args, Registry([site]), lock_kind=None)
    store = FindingStore.from_settings(_settings(args))
    for record in store.findings(site_id=site.id):
        if record["status"] != "fixed":
            print(json.dumps(record, ensure_ascii=False))
    store.close()
    return code


def cmd_export(args: argparse.Namespace) -> int:
    from govinspect.export import export
    from govinspect.store import FindingStore

    store = FindingStore.from_settings(_settings(args))
    records = store.findings(status=args.status, site_id=args.site, organizer=args.organizer, run_id=args.run)
    count = export(records, args.format, Path(args.out))
    store.close()
    print(f"wrote {count} findings to {args.out}", file=sys.stderr)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from govinspect.report import print_summary
    from govinspect.store import FindingStore

    store = FindingStore.from_settings(_settings(args))
    runs = store.runs()
    run_id = args.run or (runs[-1]["run_id"] if runs else None)
    if run_id is None:
        print("no runs in the store", file=sys.stderr)
        return 1
    print_summary(store, run_id, sys.stdout)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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
        if args.verb in ("rectify", "report"):
            return args.rectify_cmd(args, _settings(args))
        if args.verb in ("es", "kibana"):
            return args.search_cmd(args, _settings(args) if hasattr(args, "settings_file") else None)
    except RegistryError as exc:
        print(str(exc), file=sys.stderr)
        return 2
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
