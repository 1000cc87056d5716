"""Argument parsers and handlers for ``govinspect es sync`` and ``govinspect kibana import``.

Kept here so ``govinspect/cli.py`` only wires them: ``add_cli_arguments(sub, common=_common)`` in
``build_parser`` and ``return args.search_cmd(args, _settings(args))`` in ``main`` for verbs
``es``/``kibana``. Secrets are not accepted as options except ``--api-key`` for Kibana, which the
issue asks for; the environment variables are preferred (options show in process lists).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

from govinspect.search.adapter import EngineUnavailable
from govinspect.search.config import ConfigError, SearchConfig
from govinspect.search.kibana import KibanaImportError, import_saved_objects

ES_ENV_HELP = {
    "GOVINSPECT_ES_URL": "Elasticsearch/OpenSearch URL (setting ELASTICSEARCH_URL)",
    "GOVINSPECT_ES_API_KEY": "API key (base64 id:key) for the engine",
    "GOVINSPECT_ES_USERNAME / _PASSWORD": "basic auth for the engine",
    "GOVINSPECT_ES_SECRETS_FILE": "file of api_key=/username=/password= lines, mode 600",
    "GOVINSPECT_ES_CA_FILE": "CA bundle for https engines",
    "GOVINSPECT_ES_INDEX_PREFIX": "index name prefix (default govinspect)",
    "GOVINSPECT_KIBANA_API_KEY": "Kibana API key (or GOVINSPECT_KIBANA_USERNAME/_PASSWORD)",
}


def add_cli_arguments(
    subparsers: Any, common: Callable[[argparse.ArgumentParser], None] | None = None
) -> None:
    """Add the ``es`` and ``kibana`` verbs to the main parser's subparsers."""
    epilog = "environment:\n" + "\n".join(f"  {k:<38} {v}" for k, v in ES_ENV_HELP.items())
    fmt = argparse.RawDescriptionHelpFormatter
    es = subparsers.add_parser("es", help="Elasticsearch/OpenSearch index: es sync", epilog=epilog,
                               formatter_class=fmt)
    es_sub = es.add_subparsers(dest="es_verb", required=True, metavar="ACTION")
    p = es_sub.add_parser("sync", help="send the index every finding and observation it lacks",
                          epilog=epilog, formatter_class=fmt)
    p.add_argument("--url", help="engine URL (overrides ELASTICSEARCH_URL / GOVINSPECT_ES_URL)")
    p.add_argument("--index-prefix", help="index name prefix (default govinspect)")
    p.add_argument("--full", action="store_true", help="resend everything, not only what is missing")
    if common:
        common(p)
    p.set_defaults(search_cmd=cmd_es_sync)

    kb = subparsers.add_parser("kibana", help="Kibana saved objects: kibana import", epilog=epilog,
                               formatter_class=fmt)
    kb_sub = kb.add_subparsers(dest="kibana_verb", required=True, metavar="ACTION")
    p = kb_sub.add_parser("import", help="import data views, searches and the dashboard into Kibana",
                          epilog=epilog, formatter_class=fmt)
    p.add_argument("--url", required=True, help="Kibana base URL, e.g. https://kibana.example:5601")
    p.add_argument("--api-key", help="Kibana API key (prefer GOVINSPECT_KIBANA_API_KEY)")
    p.add_argument("--username", help="basic auth user (password from GOVINSPECT_KIBANA_PASSWORD)")
    p.add_argument("--ca-file", help="CA bundle for https")
    p.add_argument("--space", help="Kibana space id (default space when omitted)")
    p.add_argument("--file", help="NDJSON to import (default kibana/govinspect.ndjson)")
    p.add_argument("--index-prefix", default="govinspect", help="index prefix the data views point at")
    p.set_defaults(search_cmd=cmd_kibana_import)


def cmd_es_sync(args: argparse.Namespace, settings: Mapping[str, Any] | Any) -> int:
    """Exit 0 when all was sent, 1 when some documents were refused, 3 when the engine is down."""
    from govinspect.search.sync import run_sync
    from govinspect.store import FindingStore

    try:
        config = SearchConfig.load(settings, url=args.url, index_prefix=args.index_prefix)
    except ConfigError as exc:
        print(f"govinspect es sync: {exc}", file=sys.stderr)
        return 2
    if not config.enabled:
        print("govinspect es sync: no engine URL (ELASTICSEARCH_URL, GOVINSPECT_ES_URL or --url)",
              file=sys.stderr)
        return 2
    store = FindingStore.from_settings(settings)
    try:
        counts = run_sync(store, config, full=args.full)
    except EngineUnavailable as exc:
        print(f"govinspect es sync: {exc}; nothing lost, run it again later", file=sys.stderr)
        return 3
    finally:
        store.close()
    print(json.dumps(counts, ensure_ascii=False))
    return 1 if counts.get("failed") else 0


def cmd_kibana_import(args: argparse.Namespace, settings: Any = None) -> int:
    try:
        reply = import_saved_objects(args.url, args.api_key, username=args.username, ca_file=args.ca_file,
                                     path=args.file, space=args.space, index_prefix=args.index_prefix)
    except (KibanaImportError, FileNotFoundError) as exc:
        print(f"govinspect kibana import: {exc}", file=sys.stderr)
        return 1
    print(f"imported {reply.get('successCount', 0)} saved objects")
    return 0
