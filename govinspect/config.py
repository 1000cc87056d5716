"""Building Scrapy settings for a govinspect run from defaults, a settings file, env and flags.

Precedence (lowest first): ``settings/`` defaults, the settings file (TOML, YAML or JSON with Scrapy
setting names as keys), ``GOVINSPECT_*`` environment variables, then ``-s NAME=VALUE`` flags.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

import yaml
from scrapy.settings import Settings

# Environment variable → Scrapy setting. Listed in ``govinspect --help``.
ENV_SETTINGS = {
    "GOVINSPECT_STORE": "GOVINSPECT_STORE",
    "GOVINSPECT_USER_AGENT": "USER_AGENT",
    "GOVINSPECT_CONCURRENCY_PER_HOST": "CONCURRENT_REQUESTS_PER_DOMAIN",
    "GOVINSPECT_DOWNLOAD_DELAY": "DOWNLOAD_DELAY",
    "GOVINSPECT_TIMEOUT": "DOWNLOAD_TIMEOUT",
    "GOVINSPECT_OBEY_ROBOTS": "ROBOTSTXT_OBEY",
    "GOVINSPECT_LOG_LEVEL": "LOG_LEVEL",
    "GOVINSPECT_ES_URL": "ELASTICSEARCH_URL",
    "GOVINSPECT_ES_CA_FILE": "ELASTICSEARCH_CA_FILE", "GOVINSPECT_ES_SECRETS_FILE": "ELASTICSEARCH_SECRETS_FILE",
    "GOVINSPECT_ES_INDEX_PREFIX": "ELASTICSEARCH_INDEX_PREFIX", "GOVINSPECT_ES_TIMEOUT": "ELASTICSEARCH_TIMEOUT",
    "GOVINSPECT_REDIS_URL": "REDIS_URL",
}
ENV_HELP = {
    "GOVINSPECT_SETTINGS_FILE": "settings file (TOML/YAML/JSON of Scrapy settings)",
    "GOVINSPECT_STORE": "SQLite store path (default govinspect-data/findings.sqlite3) or postgresql:// URL",
    "GOVINSPECT_USER_AGENT": "User-Agent sent to sites",
    "GOVINSPECT_CONCURRENCY_PER_HOST": "requests at once per host (default 2)",
    "GOVINSPECT_DOWNLOAD_DELAY": "seconds between requests to one host (default 0.5, AutoThrottle on)",
    "GOVINSPECT_TIMEOUT": "request timeout in seconds (default 15)",
    "GOVINSPECT_OBEY_ROBOTS": "obey robots.txt (default false)",
    "GOVINSPECT_LOG_LEVEL": "log level (default INFO)",
    "GOVINSPECT_ES_URL": "Elasticsearch/OpenSearch URL; indexing is off when unset",
    "GOVINSPECT_REDIS_URL": "Redis URL for distributed runs",
    "http_proxy / https_proxy / no_proxy": "proxy variables, honoured by every request",
}


def load_settings_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        data = tomllib.loads(text)
    elif path.suffix.lower() in (".yaml", ".yml"):
        data = yaml.safe_load(text) or {}
    elif path.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        raise ValueError(f"settings file {path} must be .toml, .yaml, .yml or .json")
    if not isinstance(data, dict):
        raise ValueError(f"settings file {path} must hold a mapping of setting names to values")
    return data


def build_settings(settings_file: str | None = None, overrides: list[str] | None = None,
                   extra: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("settings", priority="project")
    path = settings_file or os.environ.get("GOVINSPECT_SETTINGS_FILE")
    if path:
        settings.update(load_settings_file(Path(path)), priority="project")
    for env, name in ENV_SETTINGS.items():
        if os.environ.get(env):
            settings.set(name, os.environ[env], priority="project")
    for key, value in (extra or {}).items():
        settings.set(key, value, priority="cmdline")
    for item in overrides or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"-s takes NAME=VALUE, not {item!r}")
        settings.set(name.strip(), _parse_value(value), priority="cmdline")
    return settings


def project_settings(values: dict[str, Any] | None = None) -> Settings:
    """The project's declared settings (``settings/``) with ``values`` on top, for code that builds
    components outside a run (tests, tools): components read settings without inline defaults, so a
    bare ``Settings()`` or a dict would give them None/0/False instead of the declared values."""
    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.setdict(values or {}, priority="cmdline")
    return settings


def _parse_value(value: str) -> Any:
    """``-s`` values: JSON when they parse as JSON (numbers, dicts, true/false), else the string."""
    try:
        return json.loads(value)
    except ValueError:
        return value
