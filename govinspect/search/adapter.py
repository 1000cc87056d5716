"""One small interface over Elasticsearch (``elasticsearch8`` client) and OpenSearch (``opensearch-py``).

The Elasticsearch client refuses servers without ``X-Elastic-Product`` and OpenSearch refuses its
vendor media types, so the client is picked from what the server says it is. Everything above this
module (mapping, documents, queries) is plain dicts in the subset both engines share.
"""

from __future__ import annotations

import base64
import json
import logging
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from govinspect.search.config import SearchConfig

log = logging.getLogger(__name__)

ELASTICSEARCH = "elasticsearch"
OPENSEARCH = "opensearch"


class EngineUnavailable(RuntimeError):
    """The engine could not be reached (down, refused, timed out): retry later with ``es sync``."""


@dataclass(frozen=True)
class ServerInfo:
    flavor: str  # ELASTICSEARCH or OPENSEARCH
    version: str

    def __str__(self) -> str:
        return f"{self.flavor} {self.version}"


def _auth_header(config: SearchConfig) -> dict[str, str]:
    if config.api_key:
        return {"Authorization": f"ApiKey {config.api_key}"}
    if config.username:
        token = base64.b64encode(f"{config.username}:{config.password or ''}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {}


def _ssl_context(config: SearchConfig) -> ssl.SSLContext | None:
    if not config.url.startswith("https"):
        return None
    return ssl.create_default_context(cafile=config.ca_file)


def detect(config: SearchConfig) -> ServerInfo:
    """Ask ``GET /`` what the server is (through the proxy variables, as the clients do).

    The ES integ-test build has no root endpoint (405), but its every answer carries
    ``X-Elastic-Product``; OpenSearch answers with ``version.distribution``.
    """
    req = urllib.request.Request(config.url.rstrip("/") + "/", headers=_auth_header(config))
    try:
        with urllib.request.urlopen(req, timeout=config.timeout, context=_ssl_context(config)) as resp:
            status, headers, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        status, headers, raw = exc.code, exc.headers, exc.read()
    except (OSError, TimeoutError) as exc:
        raise EngineUnavailable(f"search engine at {config.url} unreachable: {exc}") from exc
    if status in (401, 403):
        raise PermissionError(f"search engine at {config.url} refused the credentials (HTTP {status})")
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = {}
    version = body.get("version", {}) if isinstance(body, dict) else {}
    if headers.get("X-Elastic-Product") == "Elasticsearch":
        return ServerInfo(ELASTICSEARCH, version.get("number", ""))
    if status >= 500:
        raise EngineUnavailable(f"search engine at {config.url} answered HTTP {status}")
    # OpenSearch, and ES-7-compatible services without the product header, speak plain JSON.
    return ServerInfo(OPENSEARCH, version.get("number", ""))


class SearchEngine:
    """The calls govinspect needs, with the same shapes on both engines."""

    def __init__(self, config: SearchConfig, info: ServerInfo | None = None):
        self.config = config
        self.info = info or detect(config)
        self.client: Any = self._make_client()
        if not self.info.version:
            self.info = ServerInfo(self.info.flavor, self._node_version())
        log.info("search engine %s at %s", self.info, config.url)

    def _make_client(self) -> Any:
        c = self.config
        common: dict[str, Any] = {"request_timeout" if self.is_es else "timeout": c.timeout}
        if c.ca_file:
            common["ca_certs"] = c.ca_file
        if self.is_es:
            from elasticsearch8 import Elasticsearch

            if c.api_key:
                common["api_key"] = c.api_key
            elif c.username:
                common["basic_auth"] = (c.username, c.password or "")
            # The requests-based node honours http(s)_proxy/no_proxy like every request govinspect makes.
            return Elasticsearch(c.url, max_retries=0, node_class="requests", **common)
        from opensearchpy import OpenSearch, RequestsHttpConnection

        if c.api_key:
            common["headers"] = {"Authorization": f"ApiKey {c.api_key}"}
        elif c.username:
            common["http_auth"] = (c.username, c.password or "")
        return OpenSearch([c.url], max_retries=0, connection_class=RequestsHttpConnection, **common)

    @property
    def is_es(self) -> bool:
        return self.info.flavor == ELASTICSEARCH

    def _node_version(self) -> str:
        nodes = self.request("GET", "/_nodes/_local", params={"filter_path": "nodes.*.version"})
        return next(iter(nodes.get("nodes", {}).values()), {}).get("version", "")

    # ---- raw ------------------------------------------------------------------------------------
    def request(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A JSON request; connection problems become :class:`EngineUnavailable`."""
        try:
            if self.is_es:
                headers = {"accept": "application/json"}
                if body is not None:
                    headers["content-type"] = "application/json"
                resp = self.client.perform_request(method, path, params=params, headers=headers, body=body)
                return dict(resp.body) if resp.body else {}
            return self.client.transport.perform_request(method, path, params=params, body=body) or {}
        except Exception as exc:
            raise translate(exc) from exc

    # ---- typed calls used by govinspect ----------------------------------------------------------
    def bulk(self, operations: list[dict[str, Any]], refresh: bool = False) -> dict[str, Any]:
        try:
            kwargs: dict[str, Any] = {"refresh": "true" if refresh else "false"}
            if self.is_es:
                return dict(self.client.bulk(operations=operations, **kwargs))
            return self.client.bulk(body=operations, **kwargs)
        except Exception as exc:
            raise translate(exc) from exc

    def get_template(self, name: str) -> dict[str, Any] | None:
        try:
            found = self.request("GET", f"/_index_template/{name}")
        except NotFound:
            return None
        templates = found.get("index_templates", [])
        return templates[0]["index_template"] if templates else None

    def put_template(self, name: str, body: dict[str, Any]) -> None:
        self.request("PUT", f"/_index_template/{name}", body=body)

    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/{index}/_search", body=body, params={"ignore_unavailable": "true"})

    def get(self, index: str, doc_id: str) -> dict[str, Any] | None:
        try:
            return self.request("GET", f"/{index}/_doc/{doc_id}").get("_source")
        except NotFound:
            return None

    def refresh(self, index: str) -> None:
        self.request("POST", f"/{index}/_refresh", params={"ignore_unavailable": "true"})

    def index_exists(self, index: str) -> bool:
        try:
            self.request("GET", f"/{index}/_settings", params={"filter_path": "*.settings.index.uuid"})
            return True
        except NotFound:
            return False

    def field_caps(self, index: str, fields: str = "*") -> dict[str, Any]:
        return self.request("GET", f"/{index}/_field_caps", params={"fields": fields})

    def mapping(self, index: str) -> dict[str, Any]:
        return self.request("GET", f"/{index}/_mapping")

    def delete_index(self, pattern: str) -> None:
        try:
            self.request("DELETE", f"/{pattern}", params={"ignore_unavailable": "true"})
        except NotFound:
            pass

    def delete_template(self, name: str) -> None:
        try:
            self.request("DELETE", f"/_index_template/{name}")
        except NotFound:
            pass

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # closing a broken connection must not hide the real error
            pass


class NotFound(LookupError):
    """HTTP 404 from the engine."""


class EngineError(RuntimeError):
    """The engine answered with an error other than 404 (a bad request, a mapping conflict)."""

    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


def translate(exc: Exception) -> Exception:
    """Map either client's exceptions onto ours, so callers need no client-specific code."""
    import elastic_transport
    import opensearchpy

    if isinstance(exc, elastic_transport.ConnectionError | elastic_transport.ConnectionTimeout
                  | opensearchpy.ConnectionError | opensearchpy.ConnectionTimeout):
        return EngineUnavailable(f"search engine unreachable: {type(exc).__name__}")
    status = getattr(getattr(exc, "meta", None), "status", None)
    if status is None:
        status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        if status == 404:
            return NotFound(str(exc)[:300])
        if status in (429, 502, 503, 504):
            return EngineUnavailable(f"search engine busy or unavailable: HTTP {status}")
        return EngineError(status, str(exc)[:500])
    return exc
