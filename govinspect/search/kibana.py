"""Import govinspect's Kibana saved objects (``kibana/govinspect.ndjson``) through Kibana's API.

``POST /api/saved_objects/_import?overwrite=true`` with header ``kbn-xsrf``, multipart field ``file``
and a filename ending ``.ndjson`` (Kibana rejects other extensions). Kibana answers 200 even when
objects fail, so ``success`` and ``errors`` decide. Credentials come from arguments or the
environment (``GOVINSPECT_KIBANA_API_KEY``, ``GOVINSPECT_KIBANA_USERNAME``/``_PASSWORD``) and are
never logged.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import ssl
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "govinspect"
_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "kibana" / "govinspect.ndjson",  # source checkout
    Path(__file__).resolve().with_name("govinspect.ndjson"),  # packaged copy, if one is shipped
)


class KibanaImportError(RuntimeError):
    """Kibana refused the request or some objects; ``errors`` holds Kibana's per-object errors."""

    def __init__(self, message: str, errors: list[Any] | None = None):
        super().__init__(message)
        self.errors = errors or []


def default_path() -> Path:
    for candidate in _CANDIDATES:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("kibana/govinspect.ndjson not found; pass path=")


def load_objects(path: str | os.PathLike[str] | None = None, index_prefix: str = DEFAULT_PREFIX) -> str:
    """The NDJSON to send; data view titles follow a non-default index prefix."""
    text = Path(path or default_path()).read_text(encoding="utf-8")
    if index_prefix == DEFAULT_PREFIX:
        return text
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        if obj["type"] == "index-pattern":
            title = obj["attributes"]["title"]
            obj["attributes"]["title"] = index_prefix + title[len(DEFAULT_PREFIX):]
        lines.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n"


def multipart(field: str, filename: str, content: bytes, content_type: str) -> tuple[bytes, str]:
    """A one-file multipart/form-data body and its Content-Type header."""
    boundary = f"govinspect-{uuid.uuid4().hex}"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n").encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def import_saved_objects(
    url: str, api_key: str | None = None, *, username: str | None = None, password: str | None = None,
    ca_file: str | None = None, path: str | os.PathLike[str] | None = None, space: str | None = None,
    index_prefix: str = DEFAULT_PREFIX, timeout: float = 60.0,
) -> dict[str, Any]:
    """Post the saved objects; returns Kibana's reply. Raises :class:`KibanaImportError` unless every
    object was imported."""
    api_key = api_key or os.environ.get("GOVINSPECT_KIBANA_API_KEY")
    username = username or os.environ.get("GOVINSPECT_KIBANA_USERNAME")
    password = password or os.environ.get("GOVINSPECT_KIBANA_PASSWORD")
    body, content_type = multipart("file", "govinspect.ndjson", load_objects(path, index_prefix).encode(),
                                   "application/x-ndjson")
    base = url.rstrip("/") + (f"/s/{space}" if space else "")
    headers = {"kbn-xsrf": "true", "Content-Type": content_type}
    if api_key:
        headers["Authorization"] = f"ApiKey {api_key}"
    elif username:
        token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    req = urllib.request.Request(f"{base}/api/saved_objects/_import?overwrite=true", data=body,
                                 headers=headers, method="POST")
    context = ssl.create_default_context(cafile=ca_file) if base.startswith("https") else None
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            reply = json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:500].decode("utf-8", "replace")
        raise KibanaImportError(f"Kibana import refused: HTTP {exc.code}: {detail}") from exc
    except OSError as exc:
        raise KibanaImportError(f"Kibana at {url} unreachable: {exc}") from exc
    if not reply.get("success"):
        errors = reply.get("errors") or []
        summary = "; ".join(
            f"{e.get('type')}/{e.get('id')}: {e.get('error', {}).get('type')}" for e in errors
        )
        raise KibanaImportError(f"Kibana imported {reply.get('successCount', 0)} objects, failed: {summary}",
                                errors)
    log.info("Kibana imported %s saved objects", reply.get("successCount"))
    return reply
