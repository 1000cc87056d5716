"""Search-engine configuration: URL and CA from settings or environment, secrets never from settings.

Scrapy logs overridden settings and the CLI may echo its arguments, so credentials are read only from
environment variables or from a secrets file that others cannot read. ``repr`` never shows them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "GOVINSPECT_ES_"
# setting name → environment variable (settings win when both are set)
SETTING_ENV = {
    "ELASTICSEARCH_URL": "GOVINSPECT_ES_URL",
    "ELASTICSEARCH_CA_FILE": "GOVINSPECT_ES_CA_FILE",
    "ELASTICSEARCH_SECRETS_FILE": "GOVINSPECT_ES_SECRETS_FILE",
    "ELASTICSEARCH_INDEX_PREFIX": "GOVINSPECT_ES_INDEX_PREFIX",
    "ELASTICSEARCH_TIMEOUT": "GOVINSPECT_ES_TIMEOUT",
}
SECRET_KEYS = ("api_key", "username", "password")


class ConfigError(ValueError):
    """A configuration that must not be used (for example credentials in a readable file)."""


@dataclass(frozen=True)
class SearchConfig:
    """Where and how to reach Elasticsearch/OpenSearch. Secret fields are hidden from ``repr``."""

    index_prefix: str  # ELASTICSEARCH_INDEX_PREFIX
    timeout: float  # ELASTICSEARCH_TIMEOUT
    url: str = ""
    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def target(self) -> str:
        """A credential-free name of the index set, the key of the sync watermark."""
        return f"{self.url.rstrip('/')}/{self.index_prefix}"

    @classmethod
    def load(
        cls, settings: Mapping[str, Any] | Any | None = None, env: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> SearchConfig:
        """Build from Scrapy settings (or a dict), then environment; keyword overrides win."""
        env = os.environ if env is None else env
        settings = _project(settings, env)

        def get(name: str) -> str | None:
            value = settings.get(name)
            return str(value) if value not in (None, "") else (env.get(SETTING_ENV[name]) or None)

        values: dict[str, Any] = {
            "url": get("ELASTICSEARCH_URL") or "",
            "ca_file": get("ELASTICSEARCH_CA_FILE"),
            "index_prefix": get("ELASTICSEARCH_INDEX_PREFIX"),
            "timeout": float(get("ELASTICSEARCH_TIMEOUT")),
        }
        secrets_file = get("ELASTICSEARCH_SECRETS_FILE")
        secrets = read_secrets_file(secrets_file) if secrets_file else {}
        for key in SECRET_KEYS:
            values[key] = env.get(ENV_PREFIX + key.upper()) or secrets.get(key)
        values.update({k: v for k, v in overrides.items() if v is not None})
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        if not self.url:
            return
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"search engine URL must be http(s)://host[:port], got {parts.scheme}://…")
        if parts.username or parts.password:
            raise ConfigError(
                "put no credentials in the search engine URL; use GOVINSPECT_ES_USERNAME/"
                "GOVINSPECT_ES_PASSWORD, GOVINSPECT_ES_API_KEY or a secrets file"
            )
        if self.ca_file and not Path(self.ca_file).is_file():
            raise ConfigError(f"CA file {self.ca_file} does not exist")


def _project(settings: Mapping[str, Any] | Any | None, env: Mapping[str, str]) -> Any:
    """Scrapy settings as given; anything else (``None``, a dict from a test or a tool) on top of the
    project's declared settings, with the ``GOVINSPECT_ES_*`` variables of ``env`` between them (as
    :func:`govinspect.config.build_settings` puts them), so no default is needed here."""
    from scrapy.settings import BaseSettings

    if isinstance(settings, BaseSettings) and settings.get("ELASTICSEARCH_TIMEOUT") is not None:
        return settings  # the project's: they declare the ELASTICSEARCH_* settings
    from govinspect.config import project_settings

    base = project_settings()
    for name, var in SETTING_ENV.items():
        if env.get(var):
            base.set(name, env[var], priority="project")
    base.setdict(dict(settings or {}), priority="cmdline")
    return base


def read_secrets_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read ``key=value`` lines (api_key, username, password); refuse a file others may read."""
    p = Path(path)
    mode = p.stat().st_mode
    if mode & (stat.S_IROTH | stat.S_IWOTH | stat.S_IWGRP):
        raise ConfigError(
            f"secrets file {p} is readable or writable by others (mode {stat.filemode(mode)}); "
            f"chmod 600 {p}"
        )
    secrets: dict[str, str] = {}
    for line in p.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key.lower() in SECRET_KEYS:
            secrets[key.lower()] = value
    return secrets
