"""Lua steps in one round trip (govinspect/runstate/once.py ``ScriptBatch``), against a real Redis.

redis-py's own pipeline asks ``SCRIPT EXISTS`` before each execution (a second round trip); a batch
sends plain ``EVALSHA``s and mends a restarted Redis's empty script cache by loading and resending
only the steps it refused.
"""

from __future__ import annotations

import pytest
import redis
import redis.connection

from govinspect.runstate.once import OnceScript, ScriptBatch
from tests.support.redis import drop_prefix, redis_url, unique_prefix

_INCR = "return redis.call('INCR', KEYS[1])"
_INCR_TWICE = "redis.call('INCR', KEYS[1]) return redis.call('INCR', KEYS[1])"


@pytest.fixture
def client():
    url, prefix = redis_url(), unique_prefix()
    c = redis.Redis.from_url(url)
    c.prefix = prefix  # type: ignore[attr-defined]
    yield c
    c.close()
    drop_prefix(url, prefix)


def _count_sends(monkeypatch) -> list[int]:
    sent: list[int] = []
    send = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(1)
        return send(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    return sent


def test_steps_go_in_one_round_trip(client, monkeypatch):
    incr = client.register_script(_INCR)
    once = OnceScript(client, _INCR, f"{client.prefix}:memo", 60)
    incr(keys=[f"{client.prefix}:warm"])  # loaded, as after a worker's first page
    once(keys=[f"{client.prefix}:warm"])
    sent = _count_sends(monkeypatch)
    batch = ScriptBatch(client)
    batch.add(incr, keys=[f"{client.prefix}:a"])
    batch.add(once, keys=[f"{client.prefix}:a"])
    incr(keys=[f"{client.prefix}:b"], client=(pipe := client.pipeline(transaction=False)))
    assert len(sent) == 0 and len(batch) == 2
    assert batch.execute() == [1, 2]
    assert len(sent) == 1
    pipe.execute()  # decoy: redis-py's pipeline asks SCRIPT EXISTS first
    assert len(sent) == 3


def test_after_redis_lost_its_scripts_each_step_runs_once(client):
    """The refused steps are loaded and sent again alone: the steps that ran are not run twice."""
    incr = client.register_script(_INCR)
    twice = client.register_script(_INCR_TWICE)
    client.script_flush()
    client.script_load(_INCR)  # one script known to Redis, the other not
    batch = ScriptBatch(client)
    batch.add(incr, keys=[f"{client.prefix}:a"])
    batch.add(twice, keys=[f"{client.prefix}:b"])
    batch.add(incr, keys=[f"{client.prefix}:a"])
    assert batch.execute() == [1, 2, 2]
    assert client.get(f"{client.prefix}:a") == b"2" and client.get(f"{client.prefix}:b") == b"2"


def test_a_failing_step_raises(client):
    boom = client.register_script("return redis.error_reply('boom')")
    batch = ScriptBatch(client)
    batch.add(boom)
    with pytest.raises(redis.exceptions.ResponseError, match="boom"):
        batch.execute()
    assert ScriptBatch(client).execute() == []
