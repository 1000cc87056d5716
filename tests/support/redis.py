"""The real Redis the tests use: ``GOVINSPECT_TEST_REDIS_URL`` (``scripts/services.sh`` starts one)."""

from __future__ import annotations

import os
import uuid

import pytest

DEFAULT_URL = "redis://127.0.0.1:6390/0"


def redis_url() -> str:
    """The test Redis; fails (not skips) when it is not running: these tests need the real thing."""
    import redis

    url = os.environ.get("GOVINSPECT_TEST_REDIS_URL") or DEFAULT_URL
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"no Redis at {url} ({exc}): start it with scripts/services.sh start")
    return url


def unique_prefix() -> str:
    """A key prefix of its own per test, so parallel runs sharing a Redis database never collide."""
    return f"gitest-{uuid.uuid4().hex[:12]}"


def drop_prefix(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
