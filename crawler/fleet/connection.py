"""The Redis client of the fleet: one URL (``REDIS_URL`` / ``GOVINSPECT_REDIS_URL``), retried with backoff.

A restarted Redis is an outage of seconds: every command is retried with exponential backoff and
jitter for up to ``FLEET_REDIS_RETRY_SECONDS`` before the worker gives up, so workers carry on
where they were. Scripts (``register_script``) are reloaded by redis-py after a restart empties the
script cache.
"""

from __future__ import annotations

import math

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError
from redis.retry import Retry

BACKOFF_CAP = 2.0
BACKOFF_BASE = 0.05


def redis_client(url: str, retry_seconds: float = 120.0) -> redis.Redis:
    """A client for ``url`` that rides out a Redis restart of up to ``retry_seconds``."""
    if not url:
        raise ValueError("the fleet needs Redis: set GOVINSPECT_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    retries = max(1, math.ceil(retry_seconds / BACKOFF_CAP) + 6)
    retry = Retry(ExponentialWithJitterBackoff(cap=BACKOFF_CAP, base=BACKOFF_BASE), retries,
                  supported_errors=(ConnectionError, TimeoutError, BusyLoadingError, OSError))
    return redis.Redis.from_url(
        url, retry=retry, socket_timeout=30, socket_connect_timeout=5, health_check_interval=10,
    )


def client_from_settings(settings) -> redis.Redis:
    return redis_client(settings.get("REDIS_URL"), settings.getfloat("FLEET_REDIS_RETRY_SECONDS"))
